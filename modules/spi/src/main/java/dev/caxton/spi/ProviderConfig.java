package dev.caxton.spi;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A provider's configuration section: the raw values under, for instance, {@code storage.sqlite}
 * in {@code caxton.yaml}, with typed accessors that fall back to the declared default.
 *
 * <p>The runtime has already checked every key against the provider's {@link Provider#options()},
 * so accessors only fail for keys the provider forgot to declare or read with the wrong type; those
 * failures are {@link ConfigException}s that name the full key.
 */
public final class ProviderConfig {

    private final String prefix;
    private final Map<String, Object> values;

    private ProviderConfig(String prefix, Map<String, Object> values) {
        this.prefix = Objects.requireNonNull(prefix, "prefix");
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /**
     * A section built from raw YAML-like values (String, Integer, Long, Double, Boolean, List).
     *
     * @param prefix the dotted path of the section, e.g. {@code "storage.sqlite"}, for messages
     * @param values the raw values by key
     * @return the section
     */
    public static ProviderConfig of(String prefix, Map<String, ?> values) {
        return new ProviderConfig(prefix, Map.copyOf(values));
    }

    /**
     * An empty section: every accessor returns its default.
     *
     * @return an empty section
     */
    public static ProviderConfig empty() {
        return new ProviderConfig("", Map.of());
    }

    /**
     * The dotted path of this section.
     *
     * @return e.g. {@code "storage.sqlite"}
     */
    public String prefix() {
        return prefix;
    }

    /**
     * The keys present in this section.
     *
     * @return the keys as written
     */
    public Set<String> keys() {
        return values.keySet();
    }

    /**
     * The raw value of a key.
     *
     * @param key the key
     * @return the value, if present
     */
    public Optional<Object> raw(String key) {
        return Optional.ofNullable(values.get(key));
    }

    /**
     * The full dotted name of a key in this section, for messages.
     *
     * @param key the key
     * @return {@code prefix.key}
     */
    public String fullKey(String key) {
        return prefix.isEmpty() ? key : prefix + "." + key;
    }

    /**
     * A string value.
     *
     * @param key the key
     * @param def the default
     * @return the value or the default
     */
    public String string(String key, String def) {
        Object v = values.get(key);
        if (v == null) {
            return def;
        }
        if (v instanceof String s) {
            return s;
        }
        throw new ConfigException(fullKey(key), "expected a string, got " + Quantities.describe(v));
    }

    /**
     * A whole number.
     *
     * @param key the key
     * @param def the default
     * @return the value or the default
     */
    public long integer(String key, long def) {
        Object v = values.get(key);
        if (v == null) {
            return def;
        }
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        throw new ConfigException(fullKey(key), "expected a whole number, got " + Quantities.describe(v));
    }

    /**
     * A boolean.
     *
     * @param key the key
     * @param def the default
     * @return the value or the default
     */
    public boolean bool(String key, boolean def) {
        Object v = values.get(key);
        if (v == null) {
            return def;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw new ConfigException(fullKey(key), "expected true or false, got " + Quantities.describe(v));
    }

    /**
     * A byte size ({@code 10MB}).
     *
     * @param key the key
     * @param def the default in bytes
     * @return the value in bytes or the default
     */
    public long size(String key, long def) {
        Object v = values.get(key);
        return v == null ? def : Quantities.size(fullKey(key), v);
    }

    /**
     * A duration ({@code 5s}).
     *
     * @param key the key
     * @param def the default
     * @return the value or the default
     */
    public Duration duration(String key, Duration def) {
        Object v = values.get(key);
        return v == null ? def : Quantities.duration(fullKey(key), v);
    }

    /**
     * A path; relative paths are resolved against {@code base} (normally the data directory).
     *
     * @param key  the key
     * @param base what relative paths are relative to
     * @param def  the default, relative or absolute, or null for none
     * @return the resolved path, or null when absent and without default
     */
    public Path path(String key, Path base, String def) {
        String s = string(key, def);
        return s == null ? null : base.resolve(s);
    }

    /**
     * A list of strings.
     *
     * @param key the key
     * @return the list, empty when absent
     */
    public List<String> list(String key) {
        Object v = values.get(key);
        if (v == null) {
            return List.of();
        }
        if (v instanceof List<?> l && l.stream().allMatch(String.class::isInstance)) {
            return l.stream().map(String.class::cast).toList();
        }
        throw new ConfigException(fullKey(key), "expected a list of strings, got " + Quantities.describe(v));
    }

    @Override
    public String toString() {
        return prefix + values;
    }
}
