package dev.caxton.runtime.plugin;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * Builds real plugin folders (modules compiled with javac, packed into jars with a manifest) and
 * runs {@link PluginCatalog} the way a node does: the runtime and the SPI as named modules of a layer,
 * each folder as a layer on top. Unit tests run on the class path, where the SPI is not a module a
 * plugin layer could read, hence the runtime's own layer made here and reflection into it.
 */
final class PluginFolders {

    private final Path work;
    private final Path spi;
    private final ModuleLayer runtimeLayer;

    PluginFolders(Path work) throws Exception {
        this.work = work;
        this.spi = location(dev.caxton.spi.Provider.class);
        List<Path> entries = new ArrayList<>();
        entries.add(spi);
        entries.add(location(PluginCatalog.class));
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (e.contains("jackson") || e.contains("snakeyaml")) {
                entries.add(Path.of(e));
            }
        }
        ModuleFinder finder = ModuleFinder.of(entries.toArray(Path[]::new));
        Configuration cf = ModuleLayer.boot().configuration().resolve(finder, ModuleFinder.of(), Set.of("dev.caxton.runtime"));
        ModuleLayer.Controller c = ModuleLayer.defineModulesWithOneLoader(cf, List.of(ModuleLayer.boot()),
                ClassLoader.getPlatformClassLoader());
        // As the launcher does for the image: the runtime may grant native access to plugin modules.
        c.enableNativeAccess(c.layer().findModule("dev.caxton.runtime").orElseThrow());
        this.runtimeLayer = c.layer();
    }

    private static Path location(Class<?> type) throws URISyntaxException {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /**
     * Compiles one module and packs it into a jar in {@code folder}.
     *
     * @param folder     the plugin folder (created)
     * @param modulePath extra module path entries (other compiled modules)
     * @param manifest   main attributes of the jar's manifest
     * @param sources    relative path to source text
     * @return the compiled classes directory (usable on a later module path)
     */
    Path module(Path folder, List<Path> modulePath, Map<String, String> manifest, Map<String, String> sources)
            throws IOException {
        String name = sources.keySet().iterator().next().split("/")[0];
        Path src = Files.createDirectories(work.resolve("src-" + name + "-" + System.nanoTime()));
        Path out = Files.createDirectories(work.resolve("out-" + name + "-" + System.nanoTime()));
        List<String> args = new ArrayList<>(List.of("-d", out.toString(), "--release", "25"));
        List<Path> mp = new ArrayList<>(modulePath);
        mp.add(spi);
        args.addAll(List.of("--module-path", String.join(java.io.File.pathSeparator, mp.stream().map(Path::toString).toList())));
        for (Map.Entry<String, String> e : sources.entrySet()) {
            Path file = src.resolve(e.getKey().substring(e.getKey().indexOf('/') + 1));
            Files.createDirectories(file.getParent());
            Files.writeString(file, e.getValue());
            args.add(file.toString());
        }
        // java.util.spi.ToolProvider (java.base) rather than javax.tools: the tests are compiled into
        // the runtime module, which does not read java.compiler.
        java.util.spi.ToolProvider javac = java.util.spi.ToolProvider.findFirst("javac").orElseThrow();
        java.io.StringWriter err = new java.io.StringWriter();
        java.io.PrintWriter pw = new java.io.PrintWriter(err);
        int rc = javac.run(pw, pw, args.toArray(String[]::new));
        if (rc != 0) {
            pw.flush();
            throw new IllegalStateException("javac failed: " + err);
        }
        Files.createDirectories(folder);
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.forEach((k, v) -> mf.getMainAttributes().putValue(k, v));
        try (OutputStream fos = Files.newOutputStream(folder.resolve(name + ".jar"));
             JarOutputStream jar = new JarOutputStream(fos, mf);
             Stream<Path> files = Files.walk(out)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                jar.putNextEntry(new JarEntry(out.relativize(f).toString().replace('\\', '/')));
                jar.write(Files.readAllBytes(f));
                jar.closeEntry();
            }
        }
        return out;
    }

    /**
     * The sources of a serializer plugin module.
     *
     * @param module       the module name
     * @param name         the provider name
     * @param requires     extra {@code requires} lines
     * @param constructor  the provider constructor's body
     * @return path to text
     */
    static Map<String, String> serializer(String module, String name, String requires, String constructor) {
        String pkg = module;
        return Map.of(
                module + "/module-info.java", "module " + module + " { requires dev.caxton.spi; " + requires
                        + " provides dev.caxton.spi.serializer.SerializerProvider with " + pkg + ".P; }",
                module + "/" + pkg.replace('.', '/') + "/P.java", "package " + pkg + ";\n"
                        + "public final class P implements dev.caxton.spi.serializer.SerializerProvider {\n"
                        + "  public P() { " + constructor + " }\n"
                        + "  public String name() { return \"" + name + "\"; }\n"
                        + "  public String description() { return \"test provider " + name + "\"; }\n"
                        + "  public dev.caxton.spi.serializer.Serializer create(dev.caxton.spi.ProviderContext c,"
                        + " dev.caxton.spi.serializer.SerializerLimits l) { return null; }\n"
                        + "}\n");
    }

    /** The sources of a library module with no code of interest. */
    static Map<String, String> library(String module) {
        return Map.of(module + "/module-info.java", "module " + module + " { exports " + module + "; }",
                module + "/" + module.replace('.', '/') + "/Lib.java", "package " + module + "; public final class Lib {}");
    }

    /** The catalog, made inside the runtime's layer. */
    Catalog discover(Path pluginsDir) throws Exception {
        Class<?> type = runtimeLayer.findLoader("dev.caxton.runtime").loadClass(PluginCatalog.class.getName());
        return new Catalog(type.getMethod("discover", Path.class).invoke(null, pluginsDir));
    }

    /** A view of a catalog of another layer, by reflection. */
    final class Catalog {
        private final Object catalog;

        Catalog(Object catalog) {
            this.catalog = catalog;
        }

        /** Each provider as a map of its record components. */
        List<Map<String, Object>> plugins() throws Exception {
            List<Map<String, Object>> out = new ArrayList<>();
            for (Object info : (List<?>) catalog.getClass().getMethod("plugins").invoke(catalog)) {
                Map<String, Object> m = new java.util.LinkedHashMap<>();
                for (var c : info.getClass().getRecordComponents()) {
                    m.put(c.getName(), c.getAccessor().invoke(info));
                }
                out.add(m);
            }
            return out;
        }

        Map<String, Object> plugin(String name) throws Exception {
            return plugins().stream().filter(p -> p.get("name").equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError("no provider " + name));
        }

        /** Selects a serializer as the configuration does; returns the provider or throws its exception. */
        Object selectSerializer(String name) throws Throwable {
            Class<?> spiEnum = catalog.getClass().getClassLoader().loadClass(Spi.class.getName());
            Object serializer = Arrays.stream(spiEnum.getEnumConstants()).filter(e -> e.toString().equals("SERIALIZER"))
                    .findFirst().orElseThrow();
            Class<?> type = (Class<?>) spiEnum.getMethod("type").invoke(serializer);
            Method select = catalog.getClass().getMethod("select", spiEnum, String.class, Class.class);
            try {
                return select.invoke(catalog, serializer, name, type);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }
}
