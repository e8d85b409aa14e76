package dev.caxton.runtime.plugin;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.Provider;

import java.io.IOException;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Every provider of every SPI this node can use, found with {@link ServiceLoader} in two places:
 * <ol>
 *   <li>the boot layer and class path (plugins linked into the image, or on the module or class
 *       path of an embedding application or a test);</li>
 *   <li>each sub-folder of the plugins directory, loaded as its own {@link ModuleLayer} on top of
 *       the boot layer, so a plugin's libraries (automatic modules included, which jlink refuses)
 *       stay private to it and plugins can be added or removed without relinking the image.</li>
 * </ol>
 * A folder's jars that duplicate a module the boot layer already has are ignored in favour of the
 * boot layer's copy, so plugin folders may carry their whole dependency set.
 */
public final class PluginCatalog {

    private final Map<Spi, List<Entry>> providers;

    private record Entry(Provider provider, PluginInfo info) {
    }

    private PluginCatalog(Map<Spi, List<Entry>> providers) {
        this.providers = providers;
    }

    /**
     * Finds every provider on the boot layer, the class path and in the plugin folders.
     *
     * @param pluginsDir the plugins directory (one sub-folder per plugin), or null
     * @return the catalog
     * @throws ConfigException when a plugin folder cannot be loaded (the message names the folder)
     */
    public static PluginCatalog discover(Path pluginsDir) {
        Map<Spi, List<Entry>> found = new EnumMap<>(Spi.class);
        for (Spi spi : Spi.values()) {
            found.put(spi, new ArrayList<>());
        }
        for (Spi spi : Spi.values()) {
            try {
                for (Provider p : ServiceLoader.load(spi.type(), PluginCatalog.class.getClassLoader())) {
                    found.get(spi).add(new Entry(p, info(spi, p, "image")));
                }
            } catch (ServiceConfigurationError e) {
                throw new ConfigException("", "a " + spi.label() + " provider on the module or class path cannot be loaded: "
                        + e.getMessage());
            }
        }
        if (pluginsDir != null && Files.isDirectory(pluginsDir)) {
            for (Path folder : pluginFolders(pluginsDir)) {
                ModuleLayer layer = loadLayer(folder);
                for (Spi spi : Spi.values()) {
                    try {
                        ServiceLoader.load(layer, spi.type()).stream()
                                .filter(h -> h.type().getModule().getLayer() == layer)
                                .forEach(h -> {
                                    Provider p = h.get();
                                    found.get(spi).add(new Entry(p, info(spi, p, folder.toString())));
                                });
                    } catch (ServiceConfigurationError e) {
                        throw new ConfigException("", "the plugin folder " + folder + " has a " + spi.label()
                                + " provider that cannot be loaded: " + e.getMessage());
                    }
                }
            }
        }
        for (List<Entry> list : found.values()) {
            list.sort(Comparator.comparing(e -> e.info().name()));
        }
        return new PluginCatalog(found);
    }

    private static List<Path> pluginFolders(Path pluginsDir) {
        try (Stream<Path> s = Files.list(pluginsDir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new ConfigException("", "cannot list the plugins directory " + pluginsDir + ": " + e.getMessage());
        }
    }

    private static ModuleLayer loadLayer(Path folder) {
        ModuleLayer boot = ModuleLayer.boot();
        try {
            ModuleFinder finder = ownLibraries(ModuleFinder.of(folder), boot);
            Set<String> roots = finder.findAll().stream()
                    .map(ModuleReference::descriptor)
                    .map(ModuleDescriptor::name)
                    .collect(Collectors.toSet());
            // 'before' finder: a plugin's own copy of a library wins over the boot layer's. Native
            // code needs this: a library that loads JNI code for the plugin's classes (Netty's QUIC
            // codec) must be defined by the plugin's class loader, or the JVM binds the native
            // library to the boot layer's loader, where the plugin's classes cannot link to it.
            Configuration cf = boot.configuration().resolveAndBind(finder, ModuleFinder.of(), roots);
            ModuleLayer.Controller controller = ModuleLayer.defineModulesWithOneLoader(cf, List.of(boot),
                    PluginCatalog.class.getClassLoader());
            // Plugins such as SQLite load native code; granting it per module here keeps the JDK from
            // warning on every start, without opening native access to the whole class path.
            for (Module m : controller.layer().modules()) {
                controller.enableNativeAccess(m);
            }
            return controller.layer();
        } catch (RuntimeException e) {
            throw new ConfigException("", "cannot load the plugin folder " + folder + ": " + e.getMessage());
        }
    }

    /**
     * The modules of a plugin folder the plugin's layer defines itself: every library, but never a
     * Caxton module the boot layer already has. The SPI must be the boot layer's (a provider built
     * against a second copy of it would implement types the node does not know), and a plugin linked
     * into the image stays the one that counts.
     */
    private static ModuleFinder ownLibraries(ModuleFinder folder, ModuleLayer boot) {
        java.util.function.Predicate<String> own = n -> !(n.startsWith("dev.caxton.") && boot.findModule(n).isPresent());
        // An automatic module reads every module of its layer and of the boot layer; when the folder
        // has its own copy of a module the boot layer also has (Netty, for the transports), it would
        // read two modules of one name and the layer could not be made. Such a folder's automatic
        // modules (lz4-java in the transports' folders) become open modules that read the JDK only.
        boolean shadows = folder.findAll().stream()
                .map(r -> r.descriptor().name())
                .anyMatch(n -> own.test(n) && boot.findModule(n).isPresent());
        Set<String> jdk = boot.modules().stream().map(Module::getName)
                .filter(n -> n.startsWith("java.") || n.startsWith("jdk."))
                .collect(Collectors.toSet());
        java.util.function.UnaryOperator<ModuleReference> fit = r -> shadows && r.descriptor().isAutomatic()
                ? readingTheJdkOnly(r, jdk) : r;
        return new ModuleFinder() {
            @Override
            public java.util.Optional<ModuleReference> find(String name) {
                return own.test(name) ? folder.find(name).map(fit) : java.util.Optional.empty();
            }

            @Override
            public Set<ModuleReference> findAll() {
                return folder.findAll().stream().filter(r -> own.test(r.descriptor().name())).map(fit)
                        .collect(Collectors.toSet());
            }
        };
    }

    /**
     * The same jar as an open module that exports all its packages, keeps its services and version,
     * and reads the JDK's modules instead of everything.
     */
    private static ModuleReference readingTheJdkOnly(ModuleReference automatic, Set<String> jdk) {
        ModuleDescriptor d = automatic.descriptor();
        ModuleDescriptor.Builder b = ModuleDescriptor.newOpenModule(d.name()).packages(d.packages());
        d.version().ifPresent(b::version);
        d.packages().forEach(b::exports);
        d.provides().forEach(b::provides);
        jdk.stream().filter(n -> !n.equals("java.base")).forEach(b::requires);
        ModuleDescriptor explicit = b.build();
        return new ModuleReference(explicit, automatic.location().orElse(null)) {
            @Override
            public java.lang.module.ModuleReader open() throws IOException {
                return automatic.open();
            }
        };
    }

    private static PluginInfo info(Spi spi, Provider p, String location) {
        Module m = p.getClass().getModule();
        String module = m.isNamed() ? m.getName() : "unnamed";
        String version = m.isNamed()
                ? m.getDescriptor().rawVersion().orElse(null)
                : null;
        if (version == null) {
            version = Optional.ofNullable(p.getClass().getPackage().getImplementationVersion()).orElse("unknown");
        }
        return new PluginInfo(spi.label(), p.name(), module, version, p.description(), location);
    }

    /**
     * Every provider found, grouped by SPI then sorted by name.
     *
     * @return the providers
     */
    public List<PluginInfo> plugins() {
        return providers.values().stream().flatMap(List::stream).map(Entry::info).toList();
    }

    /**
     * The names of the providers of one SPI.
     *
     * @param spi the SPI
     * @return the names, sorted
     */
    public List<String> names(Spi spi) {
        return providers.get(spi).stream().map(e -> e.info().name()).distinct().toList();
    }

    /**
     * Looks a provider up by name, without failing.
     *
     * @param spi  the SPI
     * @param name the provider name
     * @return the provider, if there is exactly one of that name
     */
    public Optional<Provider> find(Spi spi, String name) {
        List<Entry> matches = providers.get(spi).stream().filter(e -> e.info().name().equals(name)).toList();
        return matches.size() == 1 ? Optional.of(matches.getFirst().provider()) : Optional.empty();
    }

    /**
     * The provider the configuration selects.
     *
     * @param spi  the SPI
     * @param name the name the configuration gives
     * @param type the provider interface
     * @param <P>  the provider type
     * @return the provider
     * @throws ConfigException naming the selector key and listing the names that exist, when there is
     *         no provider of that name, or naming both modules when two providers share it
     */
    public <P extends Provider> P select(Spi spi, String name, Class<P> type) {
        List<Entry> matches = providers.get(spi).stream().filter(e -> e.info().name().equals(name)).toList();
        if (matches.isEmpty()) {
            List<String> names = names(spi);
            throw new ConfigException(spi.selectorKey(), "no " + spi.label() + " provider is named '" + name
                    + "'; available: " + (names.isEmpty() ? "(none installed)" : String.join(", ", names)));
        }
        if (matches.size() > 1) {
            throw new ConfigException(spi.selectorKey(), "two " + spi.label() + " providers are named '" + name
                    + "': " + matches.stream().map(e -> e.info().module() + " (" + e.info().location() + ")")
                    .collect(Collectors.joining(" and ")) + "; remove one of them");
        }
        return type.cast(matches.getFirst().provider());
    }
}
