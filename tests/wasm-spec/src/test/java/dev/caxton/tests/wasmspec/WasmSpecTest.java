package dev.caxton.tests.wasmspec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.spi.engine.WasmEngineProvider;
import dev.caxton.testkit.spec.Expectations;
import dev.caxton.testkit.spec.Outcome;
import dev.caxton.testkit.spec.SpecSuite;
import dev.caxton.testkit.spec.SuiteResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the WebAssembly core spec suite on every engine configuration and compares each run with its
 * expectation file, {@code src/test/resources/expected/<configuration>.txt}: a command the file
 * expects to pass that now fails (or is skipped) fails the test; known failures do not, and those
 * that now pass are reported as improvements. {@code -Dcaxton.wasmSpec.update=true} rewrites the
 * files from the run instead.
 *
 * <p>Engines are looked up by provider name through {@link ServiceLoader}, so a configuration whose
 * engine plugin is not on the test class path is skipped, and adding an engine is one dependency.
 * The suite comes from the directory in the system property {@code caxton.wasmSpec}; when it is
 * missing every test is skipped.
 */
class WasmSpecTest {

    @TempDir
    Path data;

    /** Chicory's interpreter, on every script. */
    @Test
    void chicoryInterpreter(TestReporter reporter) throws IOException {
        check("chicory-interpreter", "chicory", Map.of("mode", "interpreter"), reporter, 0);
    }

    /** Chicory's runtime compiler, on every script too: translating the suite's modules takes seconds, not minutes. */
    @Test
    void chicoryCompiler(TestReporter reporter) throws IOException {
        check("chicory-compiler", "chicory", Map.of("mode", "compiler"), reporter, 0);
    }

    /**
     * Chicory's compiler with a fuel budget on every call, far more than any script uses: every
     * module then runs compiled in its metered form (the shared instrumentation), which must
     * behave exactly as the plain compiled one.
     */
    @Test
    void chicoryCompilerMetered(TestReporter reporter) throws IOException {
        check("chicory-compiler-metered", "chicory", Map.of("mode", "compiler"), reporter, 1L << 40);
    }

    /** Metering must change nothing else on Chicory's compiler either. */
    @Test
    void meteredChicoryCompilerExpectsWhatPlainCompilerDoes() throws IOException {
        Path dir = directory("caxton.wasmSpec.expected");
        assertEquals(withoutFirstLine(dir.resolve("chicory-compiler.txt")),
                withoutFirstLine(dir.resolve("chicory-compiler-metered.txt")),
                "expected/chicory-compiler-metered.txt differs from expected/chicory-compiler.txt beyond its title line");
    }

    /** Wasmtime, when its plugin is on the test class path. */
    @Test
    void wasmtime(TestReporter reporter) throws IOException {
        check("wasmtime", "wasmtime", Map.of(), reporter, 0);
    }

    /**
     * Wasmtime with a fuel budget on every call, far more than any script uses: every module then
     * runs in its metered form (the engine instruments modules to count fuel), which must behave
     * exactly as the plain one, so its expectation matches the plain run's.
     */
    @Test
    void wasmtimeMetered(TestReporter reporter) throws IOException {
        check("wasmtime-metered", "wasmtime", Map.of(), reporter, 1L << 40);
    }

    /** Metering must change nothing else: both Wasmtime expectations list the same outcomes. */
    @Test
    void meteredWasmtimeExpectsWhatPlainWasmtimeDoes() throws IOException {
        Path dir = directory("caxton.wasmSpec.expected");
        assertEquals(withoutFirstLine(dir.resolve("wasmtime.txt")), withoutFirstLine(dir.resolve("wasmtime-metered.txt")),
                "expected/wasmtime-metered.txt differs from expected/wasmtime.txt beyond its title line");
    }

    private static List<String> withoutFirstLine(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        return lines.subList(1, lines.size());
    }

    private void check(String configuration, String providerName, Map<String, Object> config, TestReporter reporter,
                       long fuel) throws IOException {
        Path suite = suiteDirectory();
        WasmEngineProvider provider = provider(providerName);
        Optional<String> unsupported;
        WasmEngine created;
        try {
            unsupported = provider.unsupportedReason();
            created = unsupported.isPresent() ? null
                    : provider.create(ProviderContext.of(ProviderConfig.of("runtime." + providerName, config), data));
        } catch (LinkageError e) {
            throw new AssertionError("engine plugin '" + providerName + "' is on the test class path, but its classes"
                    + " cannot load (" + e + "): its own dependencies are missing. In a -pl build this happens when"
                    + " the caxton-parent POM in the local repository predates the plugin; re-install it with"
                    + " ./mvnw -N install", e);
        }
        unsupported.ifPresent(reason -> abort("engine " + providerName + " cannot run here: " + reason));

        SuiteResult result;
        try (WasmEngine engine = created) {
            result = SpecSuite.builder(engine, suite)
                    .commandTimeout(Duration.ofSeconds(Long.getLong("caxton.wasmSpec.timeout", 20)))
                    // Two scripts at a time: CI machines have two cores, and the engine is shared.
                    .parallelism(Integer.getInteger("caxton.wasmSpec.parallelism",
                            Math.min(2, Runtime.getRuntime().availableProcessors())))
                    .fuel(fuel)
                    .build()
                    .run();
        }

        Path report = directory("caxton.wasmSpec.reports").resolve(configuration + ".txt");
        result.writeReport(report);
        reporter.publishEntry(configuration, result.summary() + "; report: " + report);

        Path expected = directory("caxton.wasmSpec.expected").resolve(configuration + ".txt");
        if (Boolean.getBoolean("caxton.wasmSpec.update")) {
            Expectations previous = Files.isRegularFile(expected) ? Expectations.read(expected) : null;
            Expectations.of(result, previous).write(expected, List.of(
                    "WebAssembly spec suite expectation for the configuration " + configuration,
                    // Up to the first ';': engines append run-time details (paths of extracted
                    // native libraries) that would change the file on every recording.
                    "engine: " + result.engine().split(";", 2)[0],
                    String.format(Locale.ROOT, "totals: %d commands: %d passed, %d failed, %d skipped",
                            result.total(Outcome.PASSED) + result.total(Outcome.FAILED) + result.total(Outcome.SKIPPED),
                            result.total(Outcome.PASSED), result.total(Outcome.FAILED), result.total(Outcome.SKIPPED)),
                    "Per script: the counts, every known failure (with its reason then) and every skipped command,",
                    "by .wast line (#n: the n-th command on that line); every other command must pass.",
                    "'unstable' lines are hand-written (commands whose outcome varies between runs) and survive updates.",
                    "Regenerate: ./mvnw -o -pl tests/wasm-spec test -Dcaxton.wasmSpec.update=true"));
            reporter.publishEntry(configuration, "expectation rewritten: " + expected);
            return;
        }
        if (!Files.isRegularFile(expected)) {
            fail("no expectation file " + expected + " for " + configuration + " (" + result.summary()
                    + "); record one with -Dcaxton.wasmSpec.update=true and review it. Report: " + report);
        }
        Expectations.Comparison comparison = Expectations.read(expected).compare(result);
        Path differences = report.resolveSibling(configuration + "-comparison.txt");
        Files.writeString(differences, comparison.describe());
        reporter.publishEntry(configuration, comparison.describe());
        if (comparison.hasRegressions()) {
            fail(configuration + ": regressions against " + expected + " (" + result.summary() + "; full report "
                    + report + ")\n" + comparison.describe());
        }
    }

    private static Path suiteDirectory() {
        String property = System.getProperty("caxton.wasmSpec");
        assumeTrue(property != null && !property.isBlank(),
                "system property caxton.wasmSpec is not set: no WebAssembly spec suite to run");
        Path dir = Path.of(property).toAbsolutePath().normalize();
        assumeTrue(Files.isDirectory(dir.resolve("json")),
                "the WebAssembly spec suite is not at " + dir + " (set -Dcaxton.wasmSpec to its directory)");
        return dir;
    }

    private static WasmEngineProvider provider(String name) {
        Optional<WasmEngineProvider> found = ServiceLoader.load(WasmEngineProvider.class).stream()
                .map(ServiceLoader.Provider::get).filter(p -> p.name().equals(name)).findFirst();
        assumeTrue(found.isPresent(), "engine plugin '" + name + "' is not on the test class path");
        return found.get();
    }

    private static Path directory(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + property + " is not set (the pom sets it)");
        }
        return Path.of(value);
    }
}
