package dev.caxton.testkit.verify;

import dev.caxton.spi.Provider;
import dev.caxton.spi.engine.WasmEngineProvider;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.spi.serializer.SerializerProvider;
import dev.caxton.spi.storage.StorageProvider;
import dev.caxton.spi.transport.TransportProvider;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.platform.engine.FilterResult;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.PostDiscoveryFilter;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs the conformance suite of a provider's SPI against that provider, in this process, through
 * the JUnit Platform launcher.
 *
 * <p>The caller ({@code caxton plugins verify}) loads this class from another class loader than
 * its own, so the entry point speaks only {@code java.base} types: the provider goes in as an
 * {@link Object} (its SPI types must be the ones this class sees, which holds when both loaders
 * share the SPI module), and the outcomes come back as maps of strings. One run at a time per
 * class loader: the provider under test is held in a static field, because the JUnit Platform
 * creates the suite's instances itself.
 */
public final class ConformanceRun {

    /** A test that passed. */
    public static final String PASSED = "passed";
    /** A test that failed; its {@code detail} says why. */
    public static final String FAILED = "failed";
    /** A test the suite skipped (an assumption, such as settings the run cannot have); {@code detail} says why. */
    public static final String SKIPPED = "skipped";

    // Longer failure messages are cut: a line per failed test must stay a line.
    private static final int MAX_DETAIL = 400;

    /**
     * Tests that need what only the provider's own build can give (a hook a generic run cannot fill),
     * with the reason each is reported as skipped. Tests that need settings the run does not have
     * (TLS material, a cluster section) skip themselves through the suites' own assumptions.
     */
    static final Map<String, String> NEEDS_THE_PLUGINS_BUILD = Map.of(
            "hostileInputsAreRefusedQuickly", "hostileInputsAreRefusedQuickly needs the format's own hostile inputs "
                    + "(hostileInputs()): run the suite in the plugin's build for it");

    private static volatile Object current;

    private ConformanceRun() {
    }

    /**
     * The provider under test, for the suites of {@link Suites}.
     *
     * @param type the provider interface the suite tests
     * @param <P>  that type
     * @return the provider
     */
    static <P> P current(Class<P> type) {
        Object p = current;
        if (p == null) {
            throw new IllegalStateException("no provider under test: the suites of this package run through "
                    + "ConformanceRun.run");
        }
        return type.cast(p);
    }

    /**
     * The suite for a provider, by the SPI it implements.
     *
     * @param provider the provider
     * @return the suite class, or null when the provider implements no SPI the testkit has a suite for
     */
    static Class<?> suiteOf(Object provider) {
        return switch (provider) {
            case SerializerProvider p -> Suites.Serializer.class;
            case StorageProvider p -> Suites.Storage.class;
            case WasmEngineProvider p -> Suites.Engine.class;
            case TransportProvider p -> Suites.Transport.class;
            case MembershipProvider p -> Suites.Membership.class;
            case dev.caxton.spi.trace.SpanExporterProvider p -> Suites.Trace.class;
            default -> null;
        };
    }

    /**
     * Runs the suite of the provider's SPI against it.
     *
     * @param provider a {@link Provider} of one of the SPIs
     * @return one map per test, in the order they finished, each with {@code test} (the suite's method
     *         name), {@code result} ({@value #PASSED}, {@value #FAILED} or {@value #SKIPPED}) and
     *         {@code detail} (why it failed or was skipped; empty when it passed). A suite that cannot
     *         start at all (its set-up fails) is one failed entry named after the suite.
     * @throws IllegalArgumentException when the object is no provider of an SPI with a suite
     */
    public static synchronized List<Map<String, String>> run(Object provider) {
        if (!(provider instanceof Provider)) {
            throw new IllegalArgumentException("not a Caxton provider: " + provider);
        }
        Class<?> suite = suiteOf(provider);
        if (suite == null) {
            throw new IllegalArgumentException("the testkit has no conformance suite for " + provider.getClass().getName());
        }
        List<Map<String, String>> outcomes = Collections.synchronizedList(new ArrayList<>());
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectClass(suite))
                // Only what this run asks for: no extensions or listeners found on the class path.
                .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "false")
                .filters((PostDiscoveryFilter) descriptor -> {
                    String why = descriptor.getSource().filter(MethodSource.class::isInstance)
                            .map(source -> NEEDS_THE_PLUGINS_BUILD.get(((MethodSource) source).getMethodName()))
                            .orElse(null);
                    if (why == null) {
                        return FilterResult.included("runs here");
                    }
                    outcomes.add(outcome(((MethodSource) descriptor.getSource().orElseThrow()).getMethodName(), SKIPPED, why));
                    return FilterResult.excluded(why);
                })
                .build();
        Launcher launcher = LauncherFactory.create();
        current = provider;
        try {
            launcher.execute(request, new TestExecutionListener() {
                @Override
                public void executionSkipped(TestIdentifier id, String reason) {
                    outcomes.add(outcome(name(id), SKIPPED, reason));
                }

                @Override
                public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                    String why = result.getThrowable().map(ConformanceRun::describe).orElse("");
                    switch (result.getStatus()) {
                        case SUCCESSFUL -> {
                            if (id.isTest()) {
                                outcomes.add(outcome(name(id), PASSED, ""));
                            }
                        }
                        case ABORTED -> outcomes.add(outcome(name(id), SKIPPED,
                                result.getThrowable().map(ConformanceRun::assumption).orElse("")));
                        // A failed container is a suite whose set-up failed: its tests never ran.
                        case FAILED -> outcomes.add(outcome(name(id), FAILED, why));
                    }
                }
            });
        } finally {
            current = null;
        }
        return List.copyOf(outcomes);
    }

    private static String name(TestIdentifier id) {
        return id.getSource().filter(MethodSource.class::isInstance).map(MethodSource.class::cast)
                .map(MethodSource::getMethodName).orElse(id.getDisplayName());
    }

    private static Map<String, String> outcome(String test, String result, String detail) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("test", test);
        m.put("result", result);
        m.put("detail", detail == null ? "" : detail);
        return Collections.unmodifiableMap(m);
    }

    /**
     * Why a test skipped itself, as the suite wrote it: the assumption's own description, without
     * the exception type and the framework's wording around it.
     */
    static String assumption(Throwable t) {
        String text = t.getMessage() == null ? "" : t.getMessage().strip().replaceAll("\\s*\\R\\s*", " ");
        text = text.replaceFirst("^(?i)assumption (was not met due to|failed): *", "");
        int close = text.indexOf(']');
        if (text.startsWith("[") && close > 0) {
            text = text.substring(1, close);
        }
        return text.isEmpty() ? "an assumption of the suite did not hold" : text;
    }

    /** A failure on one line: AssertJ's messages span several, and an exception's type says what broke. */
    private static String describe(Throwable t) {
        String message = t.getMessage();
        String text = message == null || message.isBlank() ? t.getClass().getSimpleName()
                : (t instanceof AssertionError ? "" : t.getClass().getSimpleName() + ": ") + message;
        text = text.strip().replaceAll("\\s*\\R\\s*", " ");
        return text.length() > MAX_DETAIL ? text.substring(0, MAX_DETAIL) + "..." : text;
    }
}
