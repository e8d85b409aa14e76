package dev.caxton.testkit.plugin;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

/**
 * Builds real plugin jars for tests: Java sources compiled with javac as a named module against the
 * SPI, packed into a jar with the manifest attributes a test wants (a plugin's SPI range, its
 * native-access list, or none at all), in the folder a node would scan. Tests of plugin loading need
 * jars a stranger could have built, not classes already on the test's class path, because what is
 * under test (layers, descriptors, manifests, refusals) only happens to real jars.
 *
 * <pre>{@code
 * PluginJars jars = new PluginJars(tmp.resolve("work"));
 * jars.plugin(plugins.resolve("serializer-future"), "test.serializer.future",
 *         PluginJars.serializer("test.serializer.future", "future", "", ""),
 *         List.of(), Map.of(PluginJars.SPI_RANGE, "[2.0,3.0)"));
 * }</pre>
 *
 * <p>javac is found through {@link ToolProvider} (in {@code java.base}), so a test module need not
 * read {@code java.compiler}; the tests must run on a JDK, which every build does.
 */
public final class PluginJars {

    /** The manifest attribute in which a plugin declares the SPI versions it was built for. */
    public static final String SPI_RANGE = "Caxton-Spi-Range";

    private final Path work;
    private final Path spi;

    /**
     * Compiles against the SPI this class itself was loaded with (a classes directory or a jar).
     *
     * @param work a directory for sources and classes (created when absent)
     */
    public PluginJars(Path work) {
        this(work, spiLocation());
    }

    /**
     * Compiles against the given SPI.
     *
     * @param work a directory for sources and classes (created when absent)
     * @param spi  the SPI's classes directory or jar
     */
    public PluginJars(Path work, Path spi) {
        this.work = work;
        this.spi = spi;
    }

    /**
     * Where the SPI's classes come from in this JVM: the module path entry a plugin compiles against.
     *
     * @return the SPI's classes directory or jar
     */
    public static Path spiLocation() {
        try {
            return Path.of(dev.caxton.spi.Provider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the SPI's classes: " + e.getMessage(), e);
        }
    }

    /**
     * Compiles one module.
     *
     * @param module     the module's name (names its work directories)
     * @param sources    source text by path relative to the module's source root
     *                   ({@code module-info.java}, {@code a/b/C.java})
     * @param modulePath module path entries beside the SPI (classes of other modules built here)
     * @return the classes directory, usable as a later module path entry
     * @throws IOException when the work directory cannot be written
     * @throws IllegalStateException when javac refuses the sources; the message carries its output
     */
    public Path compile(String module, Map<String, String> sources, List<Path> modulePath) throws IOException {
        // Unique directories, so that one test may build two versions of the same module.
        String unique = module + "-" + System.nanoTime();
        Path src = Files.createDirectories(work.resolve("src").resolve(unique));
        Path out = Files.createDirectories(work.resolve("classes").resolve(unique));
        List<String> mp = new ArrayList<>();
        mp.add(spi.toString());
        modulePath.forEach(p -> mp.add(p.toString()));
        List<String> args = new ArrayList<>(List.of("-d", out.toString(), "--release", String.valueOf(Runtime.version().feature()),
                "--module-path", String.join(File.pathSeparator, mp)));
        for (Map.Entry<String, String> e : sources.entrySet()) {
            Path file = src.resolve(e.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, e.getValue());
            args.add(file.toString());
        }
        ToolProvider javac = ToolProvider.findFirst("javac")
                .orElseThrow(() -> new IllegalStateException("no javac in this JVM: plugin jars need a JDK"));
        StringWriter err = new StringWriter();
        PrintWriter pw = new PrintWriter(err);
        int rc = javac.run(pw, pw, args.toArray(String[]::new));
        pw.flush();
        if (rc != 0) {
            throw new IllegalStateException("javac refused module " + module + ": " + err);
        }
        return out;
    }

    /**
     * Packs a classes directory into {@code folder/<jarName>}.
     *
     * @param folder   the plugin folder (created when absent)
     * @param jarName  the jar's file name
     * @param classes  the classes directory
     * @param manifest main attributes beside {@code Manifest-Version}
     * @return the jar
     * @throws IOException when the jar cannot be written
     */
    public static Path jar(Path folder, String jarName, Path classes, Map<String, String> manifest) throws IOException {
        Files.createDirectories(folder);
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.forEach((k, v) -> mf.getMainAttributes().putValue(k, v));
        Path jarFile = folder.resolve(jarName);
        try (OutputStream os = Files.newOutputStream(jarFile);
             JarOutputStream jar = new JarOutputStream(os, mf);
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                jar.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                jar.write(Files.readAllBytes(f));
                jar.closeEntry();
            }
        }
        return jarFile;
    }

    /**
     * Compiles one module and packs it as {@code folder/<module>.jar}.
     *
     * @param folder     the plugin folder (created when absent)
     * @param module     the module's name
     * @param sources    source text by path relative to the module's source root
     * @param modulePath module path entries beside the SPI
     * @param manifest   main attributes of the jar's manifest, e.g. {@link #SPI_RANGE}
     * @return the classes directory, usable as a later module path entry
     * @throws IOException when a file cannot be written
     * @throws IllegalStateException when javac refuses the sources
     */
    public Path plugin(Path folder, String module, Map<String, String> sources, List<Path> modulePath,
                       Map<String, String> manifest) throws IOException {
        Path classes = compile(module, sources, modulePath);
        jar(folder, module + ".jar", classes, manifest);
        return classes;
    }

    /**
     * The sources of a serializer plugin whose provider class is {@code <module>.P}: enough for a node
     * to find, list and select it (its {@code create} returns null, so it carries no traffic).
     *
     * @param module      the module's name, also its package
     * @param name        the provider's name
     * @param requires    extra module directives, e.g. {@code "requires test.lib;"}, or empty
     * @param constructor the provider constructor's body, e.g. a {@code throw}, or empty
     * @return source text by path relative to the source root
     */
    public static Map<String, String> serializer(String module, String name, String requires, String constructor) {
        Map<String, String> sources = new LinkedHashMap<>();
        sources.put("module-info.java", "module " + module + " { requires dev.caxton.spi; " + requires
                + " provides dev.caxton.spi.serializer.SerializerProvider with " + module + ".P; }");
        sources.put(module.replace('.', '/') + "/P.java", "package " + module + ";\n"
                + "public final class P implements dev.caxton.spi.serializer.SerializerProvider {\n"
                + "  public P() { " + constructor + " }\n"
                + "  public String name() { return \"" + name + "\"; }\n"
                + "  public String description() { return \"test provider " + name + "\"; }\n"
                + "  public dev.caxton.spi.serializer.Serializer create(dev.caxton.spi.ProviderContext c,"
                + " dev.caxton.spi.serializer.SerializerLimits l) { return null; }\n"
                + "}\n");
        return sources;
    }

    /**
     * The sources of a library module that exports its one package and provides nothing: a
     * dependency for a plugin to require (or to miss).
     *
     * @param module the module's name, also its package
     * @return source text by path relative to the source root
     */
    public static Map<String, String> library(String module) {
        Map<String, String> sources = new LinkedHashMap<>();
        sources.put("module-info.java", "module " + module + " { exports " + module + "; }");
        sources.put(module.replace('.', '/') + "/Lib.java", "package " + module + "; public final class Lib {}");
        return sources;
    }
}
