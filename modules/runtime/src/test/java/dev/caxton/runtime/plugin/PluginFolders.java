package dev.caxton.runtime.plugin;

import dev.caxton.testkit.plugin.PluginJars;

import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs {@link PluginCatalog} over plugin folders (built with the testkit's {@link PluginJars}) the
 * way a node does: the runtime and the SPI as named modules of a layer, each folder as a layer on top. Unit tests run on the class path, where the SPI is not a module a
 * plugin layer could read, hence the runtime's own layer made here and reflection into it.
 */
final class PluginFolders {

    private final ModuleLayer runtimeLayer;

    PluginFolders() throws Exception {
        List<Path> entries = new ArrayList<>();
        entries.add(PluginJars.spiLocation());
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
