package dev.caxton.cli;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The installation's test kit ({@code tools/verify}: the testkit jar, JUnit and AssertJ), loaded on
 * demand by {@code plugins verify} so that none of it is linked into the image. Its jars go on a
 * class loader of their own (the class path, where JUnit may reach the suites by reflection),
 * beside {@code tools/wat} for the engine suite's WAT; the parent is the image's loader, so the
 * suites and the plugin layers share one SPI module and a provider can be handed over as it is.
 */
final class ConformanceKit {

    private static final String RUNNER = "dev.caxton.testkit.verify.ConformanceRun";

    private final ClassLoader loader;
    private final Method run;

    private ConformanceKit(ClassLoader loader, Method run) {
        this.loader = loader;
        this.run = run;
    }

    /**
     * Loads the kit of an installation.
     *
     * @param home the installation directory, or null
     * @return the kit, empty when the installation has no {@code tools/verify}
     * @throws CliException when the folder is there but does not hold a working kit
     */
    static Optional<ConformanceKit> find(Path home) {
        if (home == null || !Files.isDirectory(home.resolve("tools/verify"))) {
            return Optional.empty();
        }
        Path dir = home.resolve("tools/verify");
        List<URL> jars = new ArrayList<>();
        try {
            jars.addAll(jarsIn(dir));
            if (Files.isDirectory(home.resolve("tools/wat"))) {
                jars.addAll(jarsIn(home.resolve("tools/wat")));
            }
            ClassLoader loader = new URLClassLoader("caxton-verify", jars.toArray(URL[]::new),
                    ConformanceKit.class.getClassLoader());
            return Optional.of(new ConformanceKit(loader, loader.loadClass(RUNNER).getMethod("run", Object.class)));
        } catch (IOException | ReflectiveOperationException | LinkageError e) {
            throw new CliException(dir + ": the test kit cannot be loaded (" + e.getMessage() + "); reinstall Caxton");
        }
    }

    private static List<URL> jarsIn(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<URL> urls = new ArrayList<>();
            for (Path p : s.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                try {
                    urls.add(p.toUri().toURL());
                } catch (MalformedURLException e) {
                    throw new IOException(p + ": " + e.getMessage(), e);
                }
            }
            return urls;
        }
    }

    /**
     * Runs the conformance suite of the provider's SPI against it.
     *
     * @param provider the provider, as a plugin layer created it
     * @return the outcome of each test: {@code test}, {@code result} (passed, failed, skipped), {@code detail}
     */
    @SuppressWarnings("unchecked")
    List<Map<String, String>> run(Object provider) {
        Thread thread = Thread.currentThread();
        ClassLoader before = thread.getContextClassLoader();
        // The JUnit Platform finds its test engine through the context class loader.
        thread.setContextClassLoader(loader);
        // Suites print report lines (fuzzing figures) on System.out: keep them off the command's
        // output, which may be JSON, and beside its diagnostics.
        java.io.PrintStream out = System.out;
        System.setOut(System.err);
        try {
            return (List<Map<String, String>>) run.invoke(null, provider);
        } catch (InvocationTargetException e) {
            throw new CliException("the conformance suite could not run: " + e.getCause().getMessage());
        } catch (ReflectiveOperationException e) {
            throw new CliException("the conformance suite could not run: " + e.getMessage());
        } finally {
            System.setOut(out);
            thread.setContextClassLoader(before);
        }
    }
}
