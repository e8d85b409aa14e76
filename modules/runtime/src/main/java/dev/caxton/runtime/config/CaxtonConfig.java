package dev.caxton.runtime.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.runtime.plugin.Spi;
import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.Provider;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.Quantities;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The node's configuration: {@code caxton.yaml} checked against {@link ConfigSchema} and against the
 * options of every provider it configures, with defaults filled in and system-property overrides
 * applied.
 *
 * <p>Any key may be overridden by a system property {@code caxton.<key>}, for instance
 * {@code -Dcaxton.storage.type=memory}; overrides go through the same checks as the file.
 */
public final class CaxtonConfig {

    /** The prefix of system properties that override configuration keys. */
    public static final String PROPERTY_PREFIX = "caxton.";

    private final String source;
    private final Map<String, Object> values;
    private final Map<String, Map<String, Object>> providerSections;
    private final Map<String, Map<String, Object>> overrides;
    /** Core keys the operator wrote (file, property or {@link #with}), as opposed to defaults and derived choices. */
    private final java.util.Set<String> written;
    /** Provider sections written under a provider's old name, by current section: for error messages. */
    private Map<String, String> sectionsAsWritten = Map.of();

    private CaxtonConfig(String source, Map<String, Object> values, Map<String, Map<String, Object>> providerSections,
                         Map<String, Map<String, Object>> overrides, java.util.Set<String> written) {
        this.source = source;
        this.values = values;
        this.providerSections = providerSections;
        this.overrides = overrides;
        this.written = java.util.Set.copyOf(written);
    }

    /**
     * Reads and checks a configuration file.
     *
     * @param file    the YAML file
     * @param catalog the providers, whose names and options the file is checked against
     * @return the configuration
     * @throws ConfigException naming the file and the key at fault, and what is allowed
     */
    public static CaxtonConfig load(Path file, PluginCatalog catalog) {
        return read(file, catalog);
    }

    /**
     * Reads a configuration file for a client command, which needs only the core settings (where
     * the API listens, the data directory, the token file): core keys are checked as for a node,
     * but provider names and provider sections are taken as written, because checking them means
     * discovering every plugin, which costs a client command more than everything else it does.
     * The node checks them in full when it starts, and {@code caxton config validate} does too.
     *
     * @param file the YAML file
     * @return the configuration
     * @throws ConfigException naming the file and the key at fault, and what is allowed
     */
    public static CaxtonConfig loadForClient(Path file) {
        return read(file, null);
    }

    private static CaxtonConfig read(Path file, PluginCatalog catalog) {
        return read(file, catalog, System.getProperties());
    }

    private static CaxtonConfig read(Path file, PluginCatalog catalog, Properties properties) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("", file + ": no such file");
        } catch (IOException e) {
            throw new ConfigException("", file + ": cannot read: " + e.getMessage());
        }
        try {
            return parse(file.toString(), text, catalog, properties);
        } catch (ConfigException e) {
            throw e.getMessage().startsWith(file.toString()) ? e : new ConfigException("", file + ": " + e.getMessage());
        }
    }

    /**
     * The built-in defaults, with system-property overrides applied.
     *
     * @param catalog the providers
     * @return the configuration
     */
    public static CaxtonConfig defaults(PluginCatalog catalog) {
        return parse("defaults", "", catalog, System.getProperties());
    }

    /**
     * Parses configuration text.
     *
     * @param source     a name for messages (the file name)
     * @param yaml       the YAML text (empty for all defaults)
     * @param catalog    the providers, or {@code null} to take provider names and sections
     *                   unchecked (see {@link #loadForClient})
     * @param properties system properties to take {@code caxton.*} overrides from
     * @return the configuration
     * @throws ConfigException on any problem
     */
    public static CaxtonConfig parse(String source, String yaml, PluginCatalog catalog, Properties properties) {
        Map<String, Object> tree = readYaml(yaml);
        Map<String, Object> values = new TreeMap<>();
        Map<String, Map<String, Object>> providerSections = new TreeMap<>();
        Map<String, Map<String, Object>> overrides = new TreeMap<>();
        Map<String, String> asWritten = new TreeMap<>();
        new Walker(catalog, values, providerSections, overrides, asWritten).walk("", tree);
        applyOverrides(properties, catalog, values, providerSections);
        for (Spi spi : Spi.values()) {
            if (values.get(spi.selectorKey()) instanceof String chosen) {
                values.put(spi.selectorKey(), currentProviderName(spi, chosen, spi.selectorKey()));
            }
        }
        java.util.Set<String> written = java.util.Set.copyOf(values.keySet());
        chooseMembership(values);
        applyProfile(values);
        for (ConfigOption o : ConfigSchema.OPTIONS.values()) {
            if (!values.containsKey(o.key()) && o.defaultValue() != null) {
                values.put(o.key(), typedDefault(o));
            }
        }
        CaxtonConfig config = new CaxtonConfig(source, values, providerSections, overrides, written);
        config.sectionsAsWritten = Map.copyOf(asWritten);
        config.checkCoreValues();
        if (catalog != null) {
            config.checkProviderNames(catalog);
            config.checkProviderSections(catalog);
        }
        return config;
    }

    /**
     * Seeds only mean something to a gossip membership: with seeds and no membership written (in the
     * file or as a {@code caxton.*} property), the membership is {@code swim}.
     *
     * @param values the core keys read so far, before defaults are filled in
     */
    static void chooseMembership(Map<String, Object> values) {
        if (!values.containsKey("coordination.cluster.membership")
                && values.get("coordination.cluster.seeds") instanceof List<?> seeds && !seeds.isEmpty()) {
            values.put("coordination.cluster.membership", "swim");
        }
    }

    private static Map<String, Object> readYaml(String yaml) {
        if (yaml.isBlank()) {
            return Map.of();
        }
        ObjectMapper mapper = new ObjectMapper(new YAMLFactory());
        mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        try {
            Object root = mapper.readValue(yaml, Object.class);
            if (root == null) {
                return Map.of();
            }
            if (!(root instanceof Map<?, ?> m)) {
                throw new ConfigException("", "the file must be a YAML mapping of sections (server:, runtime:, ...), got "
                        + Quantities.describe(root));
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> cast = (Map<String, Object>) m;
            return cast;
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : "line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ": ";
            throw new ConfigException("", where + "not valid YAML: " + e.getOriginalMessage());
        }
    }

    private static Object typedDefault(ConfigOption o) {
        return switch (o.type()) {
            case INTEGER -> Long.parseLong(o.defaultValue());
            case BOOLEAN -> Boolean.parseBoolean(o.defaultValue());
            case LIST -> List.of();
            default -> o.defaultValue();
        };
    }

    /** Walks the YAML tree, sorting each value into core keys, provider sections and overrides. */
    private record Walker(PluginCatalog catalog, Map<String, Object> values,
                          Map<String, Map<String, Object>> providerSections,
                          Map<String, Map<String, Object>> overrides, Map<String, String> asWritten) {

        void walk(String prefix, Map<String, Object> map) {
            for (Map.Entry<String, Object> e : map.entrySet()) {
                String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
                Object v = e.getValue();
                ConfigOption option = ConfigSchema.OPTIONS.get(key);
                if (option != null) {
                    if (key.equals(SAMPLE_RATE)) {
                        v = sampleRate(v);
                    }
                    option.check(key, v);
                    values.put(key, normalise(v));
                } else if (ConfigSchema.SECTIONS.contains(key)) {
                    walk(key, section(key, v));
                } else if (key.equals(ConfigSchema.OVERRIDES)) {
                    readOverrides(section(key, v));
                } else if (key.equals(ConfigSchema.FIPA_PLATFORMS)) {
                    values.put(key, fipaPlatforms(section(key, v)));
                } else if (spiOfSection(prefix).isPresent()) {
                    Spi spi = spiOfSection(prefix).get();
                    String current = currentProviderName(spi, e.getKey(), key);
                    if (!current.equals(e.getKey())) {
                        asWritten.put(prefix + "." + current, key);
                    }
                    readProviderSection(spi, prefix, current, v);
                } else {
                    throw unknownKey(prefix, key);
                }
            }
        }

        /** Platform name to MTP address: names as agent names, addresses http(s) URLs. */
        private static Map<String, String> fipaPlatforms(Map<String, Object> byName) {
            Map<String, String> out = new LinkedHashMap<>();
            for (Map.Entry<String, Object> p : byName.entrySet()) {
                String full = ConfigSchema.FIPA_PLATFORMS + "." + p.getKey();
                if (!ConfigSchema.NAME.matcher(p.getKey()).matches()) {
                    throw new ConfigException(full, "a platform name is " + ConfigSchema.NAME_RULE);
                }
                if (!(p.getValue() instanceof String url)
                        || !(url.startsWith("http://") || url.startsWith("https://"))) {
                    throw new ConfigException(full, "the platform's MTP address must be an http:// or https:// URL,"
                            + " e.g. http://127.0.0.1:7778/acc");
                }
                try {
                    java.net.URI u = new java.net.URI(url);
                    if (u.getHost() == null) {
                        throw new java.net.URISyntaxException(url, "no host");
                    }
                } catch (java.net.URISyntaxException ex) {
                    throw new ConfigException(full, "'" + url + "' is not a valid URL: " + ex.getReason());
                }
                out.put(p.getKey(), url);
            }
            return java.util.Collections.unmodifiableMap(out);
        }

        private void readOverrides(Map<String, Object> byAgent) {
            for (Map.Entry<String, Object> agent : byAgent.entrySet()) {
                String agentKey = ConfigSchema.OVERRIDES + "." + agent.getKey();
                Map<String, Object> limits = new LinkedHashMap<>();
                for (Map.Entry<String, Object> l : section(agentKey, agent.getValue()).entrySet()) {
                    String full = agentKey + "." + l.getKey();
                    ConfigOption o = ConfigSchema.OVERRIDE_OPTIONS.get(l.getKey());
                    if (o == null) {
                        throw new ConfigException(full, "unknown key; an agent override may set "
                                + String.join(", ", ConfigSchema.OVERRIDE_OPTIONS.keySet()));
                    }
                    o.check(full, l.getValue());
                    limits.put(l.getKey(), normalise(l.getValue()));
                }
                overrides.put(agent.getKey(), limits);
            }
        }

        private void readProviderSection(Spi spi, String prefix, String name, Object v) {
            String sectionKey = prefix + "." + name;
            if (catalog == null) {
                Map<String, Object> unchecked = new LinkedHashMap<>();
                section(sectionKey, v).forEach((k, x) -> unchecked.put(k, normalise(x)));
                providerSections.put(sectionKey, unchecked);
                return;
            }
            Optional<Provider> provider = catalog.find(spi, name);
            if (provider.isEmpty() && catalog.refusal(spi, name).isPresent()) {
                // The section of a refused plugin: say why it is refused rather than call the key unknown.
                throw new ConfigException(sectionKey, "is the section of the " + spi.label() + " provider '" + name
                        + "', which is refused: " + catalog.refusal(spi, name).get());
            }
            if (provider.isEmpty()) {
                List<String> names = catalog.names(spi);
                throw new ConfigException(sectionKey, "unknown key; it is neither a setting of '" + prefix
                        + "' (" + String.join(", ", coreKeysUnder(prefix)) + ") nor the section of an installed "
                        + spi.label() + " provider (" + (names.isEmpty() ? "none installed" : String.join(", ", names)) + ")");
            }
            String shownKey = asWritten.getOrDefault(sectionKey, sectionKey);
            Map<String, Object> raw = section(shownKey, v);
            Map<String, ConfigOption> declared = new LinkedHashMap<>();
            provider.get().options().forEach(o -> declared.put(o.key(), o));
            Map<String, Object> checked = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : raw.entrySet()) {
                String full = shownKey + "." + e.getKey();
                ConfigOption o = declared.get(e.getKey());
                if (o == null) {
                    throw new ConfigException(full, "unknown key; the " + name + " " + spi.label() + " provider accepts "
                            + (declared.isEmpty() ? "no settings" : String.join(", ", declared.keySet())));
                }
                o.check(full, e.getValue());
                checked.put(e.getKey(), normalise(e.getValue()));
            }
            providerSections.put(sectionKey, checked);
        }

        private static Map<String, Object> section(String key, Object v) {
            if (v == null) {
                return Map.of();
            }
            if (v instanceof Map<?, ?> m) {
                Map<String, Object> out = new LinkedHashMap<>();
                m.forEach((k, val) -> out.put(String.valueOf(k), val));
                return out;
            }
            throw new ConfigException(key, "expected a section (a mapping of keys), got " + Quantities.describe(v));
        }
    }

    private static Optional<Spi> spiOfSection(String section) {
        for (Spi spi : Spi.values()) {
            if (spi.section().equals(section)) {
                return Optional.of(spi);
            }
        }
        return Optional.empty();
    }

    private static List<String> coreKeysUnder(String prefix) {
        List<String> keys = new ArrayList<>();
        for (String k : ConfigSchema.OPTIONS.keySet()) {
            if (k.startsWith(prefix + ".")) {
                String rest = k.substring(prefix.length() + 1);
                String first = rest.contains(".") ? rest.substring(0, rest.indexOf('.')) : rest;
                if (!keys.contains(first)) {
                    keys.add(first);
                }
            }
        }
        for (String s : ConfigSchema.SECTIONS) {
            if (s.startsWith(prefix + ".") && !s.substring(prefix.length() + 1).contains(".")
                    && !keys.contains(s.substring(prefix.length() + 1))) {
                keys.add(s.substring(prefix.length() + 1));
            }
        }
        if ((prefix).equals("agents")) {
            keys.add("overrides");
        }
        return keys;
    }

    private static ConfigException unknownKey(String prefix, String key) {
        if (prefix.isEmpty()) {
            List<String> top = ConfigSchema.SECTIONS.stream().filter(s -> !s.contains(".")).sorted().toList();
            return new ConfigException(key, "unknown section; the sections are " + String.join(", ", top));
        }
        return new ConfigException(key, "unknown key; '" + prefix + "' accepts " + String.join(", ", coreKeysUnder(prefix)));
    }

    /** YAML integers arrive as Integer or Long; keep one type so accessors need not care. */
    private static final String SAMPLE_RATE = "observability.tracing.sample_rate";

    /** The sample rate is a fraction, which YAML reads as a number; it is kept as text and checked here. */
    private static Object sampleRate(Object v) {
        String text = v instanceof Number ? v.toString() : v instanceof String str ? str : null;
        if (text == null) {
            return v;
        }
        try {
            dev.caxton.runtime.trace.Tracer.parseRate(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(SAMPLE_RATE, e.getMessage());
        }
        return text;
    }

    /**
     * Providers renamed since configurations were written with their old names, which keep working:
     * the membership {@code static} is {@code fixed} (a provider's name is its folder's last word and
     * part of its module name, where the keyword {@code static} cannot be).
     */
    private static final Map<String, String> RENAMED_PROVIDERS = Map.of("membership/static", "fixed");

    private static final System.Logger LOG = System.getLogger(CaxtonConfig.class.getName());

    /**
     * The current name of a provider named in a configuration, logging a deprecation warning when an
     * old name is used.
     *
     * @param spi   the SPI
     * @param name  the name as written
     * @param where the key or property it was written in, for the warning
     * @return the name to look the provider up by
     */
    static String currentProviderName(Spi spi, String name, String where) {
        String now = RENAMED_PROVIDERS.get(spi.label() + "/" + name);
        if (now == null) {
            return name;
        }
        LOG.log(System.Logger.Level.WARNING, "{0}: the {1} provider ''{2}'' is now named ''{3}''; ''{2}'' still works"
                + " but is deprecated and will be removed in a later major release", where, spi.label(), name, now);
        return now;
    }

    private static Object normalise(Object v) {
        return v instanceof Integer i ? Long.valueOf(i) : v;
    }

    private static void applyOverrides(Properties properties, PluginCatalog catalog, Map<String, Object> values,
                                       Map<String, Map<String, Object>> providerSections) {
        for (String name : properties.stringPropertyNames()) {
            if (!name.startsWith(PROPERTY_PREFIX) || name.equals("caxton.home")) {
                continue;
            }
            String key = name.substring(PROPERTY_PREFIX.length());
            String raw = properties.getProperty(name);
            ConfigOption o = ConfigSchema.OPTIONS.get(key);
            if (o != null) {
                Object v = coerce(o, raw);
                if (key.equals(SAMPLE_RATE)) {
                    v = sampleRate(v);
                }
                o.check(key + " (system property " + name + ")", v);
                values.put(key, v);
                continue;
            }
            // Provider options: caxton.storage.sqlite.path=...
            int dot = key.lastIndexOf('.');
            int sectionDot = dot < 0 ? -1 : key.lastIndexOf('.', dot - 1);
            if (sectionDot > 0) {
                String prefix = key.substring(0, sectionDot);
                Optional<Spi> spi = spiOfSection(prefix);
                String provider = spi.isPresent() ? currentProviderName(spi.get(), key.substring(sectionDot + 1, dot), name)
                        : key.substring(sectionDot + 1, dot);
                String option = key.substring(dot + 1);
                if (catalog == null && spi.isPresent()) {
                    providerSections.computeIfAbsent(prefix + "." + provider, k -> new LinkedHashMap<>()).put(option, raw);
                    continue;
                }
                Optional<ConfigOption> po = spi.flatMap(s -> catalog.find(s, provider))
                        .flatMap(p -> p.options().stream().filter(x -> x.key().equals(option)).findFirst());
                if (po.isPresent()) {
                    Object v = coerce(po.get(), raw);
                    po.get().check(key + " (system property " + name + ")", v);
                    providerSections.computeIfAbsent(prefix + "." + provider, k -> new LinkedHashMap<>()).put(option, v);
                    continue;
                }
            }
            throw new ConfigException(key, "system property " + name + " names no configuration key");
        }
    }

    /** Fills the keys nobody wrote from the chosen tuning profile (see {@link Profiles}). */
    private static void applyProfile(Map<String, Object> values) {
        Object chosen = values.get(Profiles.KEY);
        if (!(chosen instanceof String name)) {
            return;
        }
        Map<String, String> preset;
        try {
            preset = Profiles.values(name);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(Profiles.KEY, e.getMessage());
        }
        preset.forEach((key, raw) -> {
            if (!values.containsKey(key)) {
                ConfigOption o = ConfigSchema.OPTIONS.get(key);
                Object v = coerce(o, raw);
                if (key.equals(SAMPLE_RATE)) {
                    v = sampleRate(v);
                }
                o.check(key + " (profile " + name + ")", v);
                values.put(key, v);
            }
        });
    }

    /**
     * Reads and checks a configuration file with a tuning profile chosen on the command line, which
     * wins over the file's {@code server.profile} as any {@code caxton.*} property does.
     *
     * @param file    the YAML file, or null for the built-in defaults
     * @param catalog the providers
     * @param profile the profile, or null to keep the file's
     * @return the configuration
     * @throws ConfigException naming the key at fault, or the profile choices
     */
    public static CaxtonConfig load(Path file, PluginCatalog catalog, String profile) {
        Properties properties = System.getProperties();
        if (profile != null) {
            try {
                Profiles.values(profile);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(Profiles.KEY, e.getMessage());
            }
            properties = new Properties();
            properties.putAll(System.getProperties());
            properties.setProperty(PROPERTY_PREFIX + Profiles.KEY, profile);
        }
        if (file == null) {
            return parse("defaults", "", catalog, properties);
        }
        return read(file, catalog, properties);
    }

    private static Object coerce(ConfigOption o, String raw) {
        return switch (o.type()) {
            case INTEGER -> {
                try {
                    yield Long.parseLong(raw.trim());
                } catch (NumberFormatException e) {
                    yield raw;
                }
            }
            case BOOLEAN -> raw.equalsIgnoreCase("true") ? Boolean.TRUE : raw.equalsIgnoreCase("false") ? Boolean.FALSE : raw;
            case LIST -> List.of(raw.split(","));
            default -> raw;
        };
    }

    /**
     * The checks a starting node would otherwise only make when it opens its providers, made here so
     * that {@code config validate} and {@code server start} refuse the same files with the same words.
     */
    private void checkCoreValues() {
        String node = string("server.node_name");
        if (!ConfigSchema.NAME.matcher(node).matches()) {
            throw new ConfigException("server.node_name", "\"" + printable(node) + "\" is not a valid node name; allowed: "
                    + ConfigSchema.NAME_RULE);
        }
        try {
            new dev.caxton.spi.membership.Seeds(list("coordination.cluster.seeds"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("coordination.cluster.seeds", e.getMessage());
        }
        gossipKey();
        String platform = string("fipa.platform_name");
        if (!ConfigSchema.NAME.matcher(platform).matches()) {
            throw new ConfigException("fipa.platform_name", "\"" + printable(platform)
                    + "\" is not a valid platform name; allowed: " + ConfigSchema.NAME_RULE);
        }
    }

    /**
     * The cluster's gossip key, {@code security.cluster.gossip_key}: base64 of 16, 24 or 32 bytes (an
     * AES-128, -192 or -256 key) that gossip memberships seal their packets with.
     *
     * @return the key's bytes, or empty when none is set
     * @throws ConfigException naming the key when it is not base64 or has another length
     */
    public java.util.Optional<byte[]> gossipKey() {
        String text = string("security.cluster.gossip_key").strip();
        if (text.isEmpty()) {
            return java.util.Optional.empty();
        }
        byte[] key;
        try {
            key = java.util.Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("security.cluster.gossip_key", "is not base64 (generate one with "
                    + "'openssl rand -base64 32')");
        }
        if (key.length != 16 && key.length != 24 && key.length != 32) {
            throw new ConfigException("security.cluster.gossip_key", "decodes to " + key.length
                    + " bytes; an AES key is 16, 24 or 32 bytes (generate one with 'openssl rand -base64 32')");
        }
        return java.util.Optional.of(key);
    }

    private void checkProviderSections(PluginCatalog catalog) {
        java.util.Set<String> checked = new java.util.HashSet<>();
        for (Spi spi : Spi.values()) {
            String prefix = spi.section() + ".";
            List<String> names = new ArrayList<>();
            names.add(providerName(spi));
            // Sections of providers that are not selected are checked too: an engine's section is used
            // by agents deployed with that engine, and a section that would be refused later is a mistake now.
            providerSections.keySet().stream().filter(k -> k.startsWith(prefix))
                    .map(k -> k.substring(prefix.length())).forEach(names::add);
            for (String name : names) {
                if (checked.add(prefix + name)) {
                    catalog.find(spi, name).ifPresent(p -> p.check(providerConfig(spi, name)));
                }
            }
        }
    }

    /** A value as it can be shown in one line of an error message. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(200).forEach(c -> {
            if (c == '"' || c == '\\') {
                b.append('\\').appendCodePoint(c);
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }

    private void checkProviderNames(PluginCatalog catalog) {
        for (Spi spi : Spi.values()) {
            if (!spi.none(providerName(spi))) {
                catalog.select(spi, providerName(spi), spi.type());
            }
        }
    }

    /**
     * Where this configuration came from.
     *
     * @return the file name, or {@code defaults}
     */
    public String source() {
        return source;
    }

    /**
     * The provider name configured for an SPI.
     *
     * @param spi the SPI
     * @return e.g. {@code sqlite} for {@link Spi#STORAGE}
     */
    public String providerName(Spi spi) {
        return string(spi.selectorKey());
    }

    /**
     * The section of a provider, for {@link dev.caxton.spi.ProviderContext}.
     *
     * @param spi  the SPI
     * @param name the provider name
     * @return the (possibly empty) section
     */
    public ProviderConfig providerConfig(Spi spi, String name) {
        String prefix = spi.section() + "." + name;
        // Errors a provider finds name the section as the operator wrote it (an old provider name too).
        return ProviderConfig.of(sectionsAsWritten.getOrDefault(prefix, prefix), providerSections.getOrDefault(prefix, Map.of()));
    }

    /**
     * The limit overrides of one agent.
     *
     * @param agent the agent name
     * @return the overrides by key ({@code memory}, {@code execution_timeout}, {@code fuel}), possibly empty
     */
    public ProviderConfig agentOverrides(String agent) {
        return ProviderConfig.of(ConfigSchema.OVERRIDES + "." + agent, overrides.getOrDefault(agent, Map.of()));
    }

    /**
     * Whether a core key was set by the file or a {@code caxton.*} property, rather than by a tuning
     * profile or the defaults.
     *
     * @param key a key of {@link ConfigSchema}
     * @return true when written
     */
    public boolean isWritten(String key) {
        return written.contains(key);
    }

    /**
     * A string value.
     *
     * @param key a key of {@link ConfigSchema}
     * @return the value
     */
    public String string(String key) {
        return (String) require(key);
    }

    /**
     * A whole number.
     *
     * @param key a key of {@link ConfigSchema}
     * @return the value
     */
    public long integer(String key) {
        return ((Number) require(key)).longValue();
    }

    /**
     * A boolean.
     *
     * @param key a key of {@link ConfigSchema}
     * @return the value
     */
    public boolean bool(String key) {
        return (Boolean) require(key);
    }

    /**
     * A list of strings; a single string (as an environment override writes it) holds comma-separated
     * entries.
     *
     * @param key a key of {@link ConfigSchema}
     * @return the entries, possibly empty
     */
    public List<String> list(String key) {
        Object v = require(key);
        if (v instanceof String s) {
            return java.util.Arrays.stream(s.split(",")).map(String::strip).filter(x -> !x.isEmpty()).toList();
        }
        return ((List<?>) v).stream().map(String.class::cast).toList();
    }

    /**
     * The known FIPA peer platforms ({@code fipa.platforms}).
     *
     * @return platform name to MTP address, possibly empty
     */
    @SuppressWarnings("unchecked")
    public Map<String, String> fipaPlatforms() {
        Object v = values.get(ConfigSchema.FIPA_PLATFORMS);
        return v instanceof Map<?, ?> m ? (Map<String, String>) m : Map.of();
    }

    /**
     * A size in bytes.
     *
     * @param key a key of {@link ConfigSchema}
     * @return the value
     */
    public long size(String key) {
        return Quantities.size(key, require(key));
    }

    /**
     * A duration.
     *
     * @param key a key of {@link ConfigSchema}
     * @return the value
     */
    public Duration duration(String key) {
        return Quantities.duration(key, require(key));
    }

    private Object require(String key) {
        Object v = values.get(key);
        if (v == null) {
            throw new IllegalArgumentException("not a configuration key with a value: " + key);
        }
        return v;
    }

    /**
     * The data directory, as configured (not yet overridden by {@code --data-dir}).
     *
     * @return the path
     */
    public Path dataDir() {
        return Path.of(string("server.data_dir"));
    }

    /**
     * The base URL of the management API.
     *
     * @return e.g. {@code http://127.0.0.1:8080}
     */
    public String apiUrl() {
        String host = string("server.host");
        if (host.equals("0.0.0.0") || host.equals("::")) {
            host = "127.0.0.1";
        }
        String scheme = string("server.tls.cert_file").isBlank() ? "http://" : "https://";
        return scheme + (host.contains(":") ? "[" + host + "]" : host) + ":" + integer("server.port");
    }

    /**
     * Every effective value, core keys and provider sections, for {@code config validate --output json}
     * and the startup log.
     *
     * @return the flat map of full keys to values
     */
    public Map<String, Object> effectiveValues() {
        Map<String, Object> all = new TreeMap<>(Comparator.naturalOrder());
        all.putAll(values);
        providerSections.forEach((section, m) -> m.forEach((k, v) -> all.put(section + "." + k, v)));
        overrides.forEach((agent, m) -> m.forEach((k, v) -> all.put(ConfigSchema.OVERRIDES + "." + agent + "." + k, v)));
        return all;
    }

    /**
     * A copy with one core key changed, checked like the file. Derived choices follow as they would had
     * the key been in the file: seeds given here (as {@code server start --join} does) select
     * {@code swim} when no membership was written.
     *
     * @param key   a key of {@link ConfigSchema}
     * @param value the raw value
     * @return the copy
     */
    public CaxtonConfig with(String key, Object value) {
        ConfigOption o = ConfigSchema.OPTIONS.get(key);
        if (o == null) {
            throw new ConfigException(key, "not a configuration key");
        }
        o.check(key, value);
        Map<String, Object> copy = new TreeMap<>(values);
        copy.put(key, normalise(value));
        java.util.Set<String> nowWritten = new java.util.HashSet<>(written);
        nowWritten.add(key);
        if (!nowWritten.contains("coordination.cluster.membership")) {
            copy.remove("coordination.cluster.membership");
            chooseMembership(copy);
            copy.putIfAbsent("coordination.cluster.membership",
                    ConfigSchema.OPTIONS.get("coordination.cluster.membership").defaultValue());
        }
        CaxtonConfig changed = new CaxtonConfig(source, copy, providerSections, overrides, nowWritten);
        changed.sectionsAsWritten = sectionsAsWritten;
        return changed;
    }
}
