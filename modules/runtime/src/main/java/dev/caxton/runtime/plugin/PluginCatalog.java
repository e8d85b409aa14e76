package dev.caxton.runtime.plugin;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.Provider;
import dev.caxton.spi.SpiVersion;

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
 *
 * <p>A folder's provider jar must declare in its manifest the SPI range it was built for
 * ({@value #SPI_RANGE_ATTRIBUTE}); its modules get native access only when that manifest lists them
 * ({@value #NATIVE_ACCESS_ATTRIBUTE}). A folder that is incompatible, cannot be resolved or whose
 * provider cannot be created is <em>refused</em>: it is listed with the reason and logged, and only a
 * configuration that selects it fails ({@link #select}), so one broken folder never stops a node that
 * does not use it.
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
                loadFolder(folder, found);
            }
        }
        for (List<Entry> list : found.values()) {
            list.sort(Comparator.comparing(e -> e.info().name()));
        }
        return new PluginCatalog(found);
    }

    /**
     * Loads one plugin folder exactly as {@link #discover} would, and nothing else (no provider of the
     * image), for {@code caxton plugins verify}.
     *
     * @param folder the plugin folder
     * @return a catalog of that folder's providers, usable or refused
     */
    public static PluginCatalog inspect(Path folder) {
        Map<Spi, List<Entry>> found = new EnumMap<>(Spi.class);
        for (Spi spi : Spi.values()) {
            found.put(spi, new ArrayList<>());
        }
        loadFolder(folder, found);
        return new PluginCatalog(found);
    }

    private static List<Path> pluginFolders(Path pluginsDir) {
        try (Stream<Path> s = Files.list(pluginsDir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new ConfigException("", "cannot list the plugins directory " + pluginsDir + ": " + e.getMessage());
        }
    }

    /**
     * Loads one plugin folder, or records why it is refused: an SPI range that excludes this node's,
     * a missing range, modules that cannot be resolved, a provider that cannot be created. A refused
     * folder never stops discovery; it stops the node only if the configuration selects it
     * ({@link #select}).
     */
    private static void loadFolder(Path folder, Map<Spi, List<Entry>> found) {
        Set<ModuleReference> refs;
        try {
            refs = ModuleFinder.of(folder).findAll();
        } catch (RuntimeException e) {
            refuse(found, folder, guessedSpis(folder), "?", "cannot be read: " + e.getMessage());
            return;
        }
        List<ModuleReference> providerModules = refs.stream()
                .filter(r -> !spisOf(r.descriptor()).isEmpty())
                .sorted(Comparator.comparing(r -> r.descriptor().name()))
                .toList();
        if (providerModules.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "plugin folder ''{0}'' provides no Caxton SPI; ignored", folder);
            return;
        }
        Set<String> nativeAccess = new java.util.TreeSet<>();
        Map<String, String> ranges = new java.util.HashMap<>();
        boolean refused = false;
        for (ModuleReference r : providerModules) {
            String module = r.descriptor().name();
            java.util.jar.Attributes manifest = manifest(r);
            String declared = manifest.getValue(SPI_RANGE_ATTRIBUTE);
            String problem = rangeProblem(declared);
            if (problem != null) {
                refuse(found, folder, spisOf(r.descriptor()), module, problem);
                refused = true;
                continue;
            }
            ranges.put(module, SpiRange.parse(declared).text());
            String natives = manifest.getValue(NATIVE_ACCESS_ATTRIBUTE);
            if (natives != null) {
                java.util.Arrays.stream(natives.split(",")).map(String::strip).filter(n -> !n.isEmpty())
                        .forEach(nativeAccess::add);
            }
        }
        if (refused) {
            // Code built for another SPI is not run at all, not even the folder's other providers.
            return;
        }
        ModuleLayer layer;
        List<String> granted;
        try {
            ModuleLayer parent = parentLayer();
            ModuleFinder finder = ownLibraries(ModuleFinder.of(folder), parent);
            Set<String> roots = finder.findAll().stream()
                    .map(ModuleReference::descriptor)
                    .map(ModuleDescriptor::name)
                    .collect(Collectors.toSet());
            // 'before' finder: a plugin's own copy of a library wins over the boot layer's. Native
            // code needs this: a library that loads JNI code for the plugin's classes (Netty's QUIC
            // codec) must be defined by the plugin's class loader, or the JVM binds the native
            // library to the boot layer's loader, where the plugin's classes cannot link to it.
            Configuration cf = parent.configuration().resolveAndBind(finder, ModuleFinder.of(), roots);
            ModuleLayer.Controller controller = ModuleLayer.defineModulesWithOneLoader(cf, List.of(parent),
                    PluginCatalog.class.getClassLoader());
            layer = controller.layer();
            granted = grantNativeAccess(controller, folder, nativeAccess);
        } catch (RuntimeException e) {
            for (ModuleReference r : providerModules) {
                refuse(found, folder, spisOf(r.descriptor()), r.descriptor().name(),
                        "cannot be loaded: " + e.getMessage());
            }
            return;
        }
        for (ModuleReference r : providerModules) {
            String module = r.descriptor().name();
            for (Spi spi : spisOf(r.descriptor())) {
                try {
                    for (ServiceLoader.Provider<? extends Provider> h : ServiceLoader.load(layer, spi.type()).stream()
                            .filter(h -> h.type().getModule().getLayer() == layer
                                    && h.type().getModule().getName().equals(module))
                            .toList()) {
                        Provider p = h.get();
                        PluginInfo base = info(spi, p, folder.toString());
                        found.get(spi).add(new Entry(p, new PluginInfo(base.spi(), base.name(), base.module(),
                                base.version(), base.description(), base.location(), ranges.get(module), granted,
                                null)));
                    }
                } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                    refuse(found, folder, List.of(spi), module, "has a " + spi.label() + " provider that cannot be created: "
                            + cause(e));
                }
            }
        }
    }

    /** The manifest attribute naming the SPI range a plugin was built for, e.g. {@code [1.0,2.0)}. */
    public static final String SPI_RANGE_ATTRIBUTE = "Caxton-Spi-Range";

    /** The manifest attribute listing the modules of a plugin folder that may use native code. */
    public static final String NATIVE_ACCESS_ATTRIBUTE = "Caxton-Native-Access";

    private static final System.Logger LOG = System.getLogger(PluginCatalog.class.getName());

    /**
     * What is wrong with a declared SPI range, or null when it includes this node's SPI.
     */
    private static String rangeProblem(String declared) {
        if (declared == null || declared.isBlank()) {
            return "does not declare the Caxton SPI range it was built for (manifest attribute "
                    + SPI_RANGE_ATTRIBUTE + ", e.g. [" + SpiVersion.CURRENT + "," + (SpiVersion.major() + 1)
                    + ".0)); this node has SPI " + SpiVersion.CURRENT;
        }
        SpiRange range;
        try {
            range = SpiRange.parse(declared);
        } catch (IllegalArgumentException e) {
            return "has an invalid " + SPI_RANGE_ATTRIBUTE + ": " + e.getMessage();
        }
        return range.contains(SpiVersion.CURRENT) ? null
                : "was built for Caxton SPI " + range.text() + "; this node has SPI " + SpiVersion.CURRENT;
    }

    /** Grants native access to the listed modules of the folder's layer only; returns those granted. */
    private static List<String> grantNativeAccess(ModuleLayer.Controller controller, Path folder, Set<String> names) {
        List<String> granted = new ArrayList<>();
        for (String name : names) {
            Optional<Module> m = controller.layer().findModule(name)
                    .filter(mod -> mod.getLayer() == controller.layer());
            if (m.isEmpty()) {
                LOG.log(System.Logger.Level.WARNING, "plugin folder ''{0}'' lists module {1} in {2}, but the"
                        + " folder has no such module; nothing granted for it", folder, name, NATIVE_ACCESS_ATTRIBUTE);
                continue;
            }
            controller.enableNativeAccess(m.get());
            granted.add(name);
        }
        return granted;
    }

    /** The layer plugin layers are made on: the one the runtime lives in (the boot layer in an image). */
    private static ModuleLayer parentLayer() {
        ModuleLayer own = PluginCatalog.class.getModule().getLayer();
        return own != null ? own : ModuleLayer.boot();
    }

    private static java.util.jar.Attributes manifest(ModuleReference r) {
        try (java.lang.module.ModuleReader reader = r.open()) {
            Optional<java.io.InputStream> in = reader.open("META-INF/MANIFEST.MF");
            if (in.isPresent()) {
                try (java.io.InputStream stream = in.get()) {
                    return new java.util.jar.Manifest(stream).getMainAttributes();
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot read the manifest of module {0}: {1}",
                    r.descriptor().name(), e.getMessage());
        }
        return new java.util.jar.Attributes();
    }

    /** The SPIs a module says it provides. */
    private static List<Spi> spisOf(ModuleDescriptor d) {
        Set<String> services = d.provides().stream().map(ModuleDescriptor.Provides::service).collect(Collectors.toSet());
        return java.util.Arrays.stream(Spi.values()).filter(s -> services.contains(s.type().getName())).toList();
    }

    /** For a folder whose modules cannot even be read: the SPI its name starts with, by the naming rule. */
    private static List<Spi> guessedSpis(Path folder) {
        String first = folder.getFileName().toString().split("-", 2)[0];
        List<Spi> spis = java.util.Arrays.stream(Spi.values()).filter(s -> s.label().equals(first)).toList();
        return spis.isEmpty() ? List.of(Spi.values()) : spis;
    }

    /** The provider name a refused folder stands for: the folder's last word (the naming rule). */
    private static String folderProviderName(Path folder) {
        String name = folder.getFileName().toString();
        return name.substring(name.lastIndexOf('-') + 1);
    }

    private static void refuse(Map<Spi, List<Entry>> found, Path folder, List<Spi> spis, String module, String cause) {
        String reason = "plugin folder '" + folder + "' (module " + module + ") " + cause;
        LOG.log(System.Logger.Level.WARNING, "{0}; a configuration that selects it will not start", reason);
        for (Spi spi : spis) {
            found.get(spi).add(new Entry(null, new PluginInfo(spi.label(), folderProviderName(folder), module,
                    "unknown", "", folder.toString(), "-", List.of(), reason)));
        }
    }

    /** The innermost useful message of a failure, for an operator. */
    private static String cause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String message = t.getMessage();
        return message == null || message.isBlank() ? t.getClass().getSimpleName() : message;
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
        Set<String> jdk = ModuleLayer.boot().modules().stream().map(Module::getName)
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
     * Every provider found, usable or refused, grouped by SPI then sorted by name.
     *
     * @return the providers
     */
    public List<PluginInfo> plugins() {
        return providers.values().stream().flatMap(List::stream).map(Entry::info).toList();
    }

    /**
     * Why the provider of a name was refused, when it was (and no usable provider has that name).
     *
     * @param spi  the SPI
     * @param name the provider name
     * @return the reason, naming the folder and the cause
     */
    public Optional<String> refusal(Spi spi, String name) {
        if (!usable(spi, name).isEmpty()) {
            return Optional.empty();
        }
        return providers.get(spi).stream().map(Entry::info).filter(i -> !i.usable() && i.name().equals(name))
                .map(PluginInfo::refusal).findFirst();
    }

    private List<Entry> usable(Spi spi, String name) {
        return providers.get(spi).stream().filter(e -> e.info().usable() && e.info().name().equals(name)).toList();
    }

    /**
     * The names of the usable providers of one SPI.
     *
     * @param spi the SPI
     * @return the names, sorted
     */
    public List<String> names(Spi spi) {
        return providers.get(spi).stream().filter(e -> e.info().usable()).map(e -> e.info().name()).distinct().toList();
    }

    /**
     * Looks a provider up by name, without failing.
     *
     * @param spi  the SPI
     * @param name the provider name
     * @return the provider, if there is exactly one usable provider of that name
     */
    public Optional<Provider> find(Spi spi, String name) {
        List<Entry> matches = usable(spi, name);
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
     *         no provider of that name, naming the folder and the cause when the provider of that name
     *         was refused, or naming both modules when two providers share it
     */
    public <P extends Provider> P select(Spi spi, String name, Class<P> type) {
        List<Entry> matches = usable(spi, name);
        if (matches.isEmpty()) {
            List<PluginInfo> refused = providers.get(spi).stream().map(Entry::info).filter(i -> !i.usable()).toList();
            List<PluginInfo> refusedByName = refused.stream().filter(i -> i.name().equals(name)).toList();
            if (!refusedByName.isEmpty()) {
                throw new ConfigException(spi.selectorKey(), "the " + spi.label() + " provider '" + name
                        + "' is refused: " + refusedByName.stream().map(PluginInfo::refusal).distinct()
                        .collect(Collectors.joining("; ")));
            }
            List<String> names = names(spi);
            throw new ConfigException(spi.selectorKey(), "no " + spi.label() + " provider is named '" + name
                    + "'; available: " + (names.isEmpty() ? "(none installed)" : String.join(", ", names))
                    + (refused.isEmpty() ? "" : "; refused: " + refused.stream().map(PluginInfo::refusal).distinct()
                    .collect(Collectors.joining("; "))));
        }
        if (matches.size() > 1) {
            throw new ConfigException(spi.selectorKey(), "two " + spi.label() + " providers are named '" + name
                    + "': " + matches.stream().map(e -> e.info().module() + " (" + e.info().location() + ")")
                    .collect(Collectors.joining(" and ")) + "; remove one of them");
        }
        return type.cast(matches.getFirst().provider());
    }
}
