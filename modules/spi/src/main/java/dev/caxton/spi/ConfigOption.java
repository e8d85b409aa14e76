package dev.caxton.spi;

import java.util.List;
import java.util.Objects;

/**
 * One key a provider accepts in its configuration section: its type, default, range and meaning.
 * The runtime uses these to reject unknown keys and bad values before the provider ever sees them,
 * and {@code docs/} is written from the same declarations.
 *
 * @param key          the key inside the provider's section, snake_case (e.g. {@code busy_timeout})
 * @param type         the kind of value
 * @param defaultValue the default as a user would write it ({@code "5s"}, {@code "10MB"}), or
 *                     {@code null} when the option has none
 * @param description  what the option does, one or two sentences
 * @param min          the smallest allowed value for numbers, sizes (bytes) and durations
 *                     (milliseconds); {@code Long.MIN_VALUE} when unbounded
 * @param max          the largest allowed value, likewise; {@code Long.MAX_VALUE} when unbounded
 * @param allowed      for {@link Type#ENUM}, the allowed words; empty otherwise
 */
public record ConfigOption(String key, Type type, String defaultValue, String description,
                           long min, long max, List<String> allowed) {

    /** The kinds of value an option can hold, as written in YAML. */
    public enum Type {
        /** Any string. */
        STRING,
        /** A whole number. */
        INTEGER,
        /** {@code true} or {@code false}. */
        BOOLEAN,
        /** A byte size written as people write it: {@code 512}, {@code 64KB}, {@code 10MB}, {@code 1GB}. */
        SIZE,
        /** A duration written as people write it: {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}. */
        DURATION,
        /** One of the words in {@link ConfigOption#allowed()}. */
        ENUM,
        /** A list of strings. */
        LIST,
        /** A file-system path. */
        PATH
    }

    /** Validates the parts. */
    public ConfigOption {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(description, "description");
        allowed = List.copyOf(allowed);
        if (min > max) {
            throw new IllegalArgumentException("min > max for option " + key);
        }
    }

    /**
     * An option without range restrictions.
     *
     * @param key          the key
     * @param type         the type
     * @param defaultValue the default, or null
     * @param description  the meaning
     * @return the option
     */
    public static ConfigOption of(String key, Type type, String defaultValue, String description) {
        return new ConfigOption(key, type, defaultValue, description, Long.MIN_VALUE, Long.MAX_VALUE, List.of());
    }

    /**
     * A numeric, size or duration option with an allowed range (inclusive; sizes in bytes,
     * durations in milliseconds).
     *
     * @param key          the key
     * @param type         the type
     * @param defaultValue the default, or null
     * @param description  the meaning
     * @param min          the smallest allowed value
     * @param max          the largest allowed value
     * @return the option
     */
    public static ConfigOption ranged(String key, Type type, String defaultValue, String description, long min, long max) {
        return new ConfigOption(key, type, defaultValue, description, min, max, List.of());
    }

    /**
     * An option that takes one of a fixed set of words.
     *
     * @param key          the key
     * @param defaultValue the default, or null
     * @param description  the meaning
     * @param allowed      the allowed words
     * @return the option
     */
    public static ConfigOption oneOf(String key, String defaultValue, String description, String... allowed) {
        return new ConfigOption(key, Type.ENUM, defaultValue, description, Long.MIN_VALUE, Long.MAX_VALUE, List.of(allowed));
    }

    /**
     * Checks a raw value (as it came from YAML: String, Number, Boolean or List) against this option.
     *
     * @param fullKey the full dotted key, for the error message
     * @param value   the raw value
     * @throws ConfigException when the value does not fit
     */
    public void check(String fullKey, Object value) {
        switch (type) {
            case STRING, PATH -> {
                if (!(value instanceof String)) {
                    throw new ConfigException(fullKey, "expected a string, got " + Quantities.describe(value));
                }
            }
            case BOOLEAN -> {
                if (!(value instanceof Boolean)) {
                    throw new ConfigException(fullKey, "expected true or false, got " + Quantities.describe(value));
                }
            }
            case INTEGER -> {
                if (!(value instanceof Integer || value instanceof Long)) {
                    throw new ConfigException(fullKey, "expected a whole number, got " + Quantities.describe(value));
                }
                checkRange(fullKey, ((Number) value).longValue(), String.valueOf(value));
            }
            case SIZE -> checkRange(fullKey, Quantities.size(fullKey, value), String.valueOf(value));
            case DURATION -> checkRange(fullKey, Quantities.duration(fullKey, value).toMillis(), String.valueOf(value));
            case ENUM -> {
                if (!(value instanceof String s) || !allowed.contains(s)) {
                    throw new ConfigException(fullKey, "expected one of " + String.join(", ", allowed)
                            + ", got " + Quantities.describe(value));
                }
            }
            case LIST -> {
                if (!(value instanceof List<?> list) || !list.stream().allMatch(String.class::isInstance)) {
                    throw new ConfigException(fullKey, "expected a list of strings, got " + Quantities.describe(value));
                }
            }
        }
    }

    private void checkRange(String fullKey, long v, String written) {
        if (v < min || v > max) {
            throw new ConfigException(fullKey, written + " is out of range; allowed: " + rangeText());
        }
    }

    /**
     * The allowed range in words, as the configuration reference and error messages show it.
     *
     * @return e.g. {@code "1 to 65535"}, {@code "at least 1ms"} or {@code "any"}
     */
    public String rangeText() {
        String lo = format(min);
        String hi = format(max);
        if (min == Long.MIN_VALUE && max == Long.MAX_VALUE) {
            return type == Type.ENUM ? String.join(", ", allowed) : "any";
        }
        if (max == Long.MAX_VALUE) {
            return "at least " + lo;
        }
        if (min == Long.MIN_VALUE) {
            return "at most " + hi;
        }
        return lo + " to " + hi;
    }

    private String format(long v) {
        return switch (type) {
            case SIZE -> Quantities.formatSize(v);
            case DURATION -> Quantities.formatDuration(java.time.Duration.ofMillis(v));
            default -> Long.toString(v);
        };
    }
}
