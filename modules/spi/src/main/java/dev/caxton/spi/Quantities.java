package dev.caxton.spi;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes and durations as people write them in configuration files, parsed and printed the same way
 * everywhere (runtime, CLI and every plugin), so {@code 10MB} means one thing across the product.
 *
 * <p>Sizes: a whole number of bytes, or a number with {@code B}, {@code KB}, {@code MB}, {@code GB}
 * (powers of 1024; {@code KiB}, {@code MiB}, {@code GiB} are accepted too). Durations: a number with
 * {@code ms}, {@code s}, {@code m}, {@code h} or {@code d}; a bare number is milliseconds.
 */
public final class Quantities {

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-zA-Z]*)");
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-zA-Z]*)");
    private static final Map<String, Long> SIZE_UNITS = Map.ofEntries(
            Map.entry("", 1L), Map.entry("b", 1L),
            Map.entry("k", 1L << 10), Map.entry("kb", 1L << 10), Map.entry("kib", 1L << 10),
            Map.entry("m", 1L << 20), Map.entry("mb", 1L << 20), Map.entry("mib", 1L << 20),
            Map.entry("g", 1L << 30), Map.entry("gb", 1L << 30), Map.entry("gib", 1L << 30));
    private static final Map<String, Long> DURATION_UNITS = Map.of(
            "", 1L, "ms", 1L, "s", 1000L, "m", 60_000L, "h", 3_600_000L, "d", 86_400_000L);

    private Quantities() {
    }

    /**
     * Parses a size.
     *
     * @param key   the key, for the error message
     * @param value a number (bytes) or a string such as {@code "10MB"}
     * @return the size in bytes
     * @throws ConfigException when the value is not a size
     */
    public static long size(String key, Object value) {
        if (value instanceof Integer || value instanceof Long) {
            long v = ((Number) value).longValue();
            if (v < 0) {
                throw new ConfigException(key, "a size cannot be negative: " + v);
            }
            return v;
        }
        if (value instanceof String s) {
            Matcher m = SIZE.matcher(s.trim());
            Long unit = m.matches() ? SIZE_UNITS.get(m.group(2).toLowerCase(Locale.ROOT)) : null;
            if (unit != null) {
                double bytes = Double.parseDouble(m.group(1)) * unit;
                // Math.round saturates at 2^63-1: a size past it must be refused, not taken as the maximum.
                if (!(bytes < 0x1p63)) {
                    throw new ConfigException(key, "the size " + s.trim() + " is too large (at most "
                            + Long.MAX_VALUE + " bytes)");
                }
                return Math.round(bytes);
            }
        }
        throw new ConfigException(key, "expected a size such as 512KB, 10MB or 1GB, got " + describe(value));
    }

    /**
     * Parses a duration.
     *
     * @param key   the key, for the error message
     * @param value a number (milliseconds) or a string such as {@code "500ms"}, {@code "5s"}
     * @return the duration
     * @throws ConfigException when the value is not a duration
     */
    public static Duration duration(String key, Object value) {
        if (value instanceof Integer || value instanceof Long) {
            long v = ((Number) value).longValue();
            if (v < 0) {
                throw new ConfigException(key, "a duration cannot be negative: " + v);
            }
            return Duration.ofMillis(v);
        }
        if (value instanceof String s) {
            Matcher m = DURATION.matcher(s.trim());
            Long unit = m.matches() ? DURATION_UNITS.get(m.group(2).toLowerCase(Locale.ROOT)) : null;
            if (unit != null) {
                return Duration.ofMillis(Math.round(Double.parseDouble(m.group(1)) * unit));
            }
        }
        throw new ConfigException(key, "expected a duration such as 500ms, 5s, 2m or 1h, got " + describe(value));
    }

    /**
     * Prints a size the way a person would write it: the largest unit that divides it exactly.
     *
     * @param bytes the size
     * @return e.g. {@code "10MB"}, {@code "1536B"}
     */
    public static String formatSize(long bytes) {
        if (bytes != 0) {
            for (String unit : List.of("GB", "MB", "KB")) {
                long f = SIZE_UNITS.get(unit.toLowerCase(Locale.ROOT));
                if (bytes % f == 0) {
                    return bytes / f + unit;
                }
            }
        }
        return bytes + "B";
    }

    /**
     * Prints a duration the way a person would write it.
     *
     * @param d the duration
     * @return e.g. {@code "5s"}, {@code "250ms"}, {@code "2m"}
     */
    public static String formatDuration(Duration d) {
        long ms = d.toMillis();
        if (ms != 0) {
            for (String unit : List.of("d", "h", "m", "s")) {
                long f = DURATION_UNITS.get(unit);
                if (ms % f == 0) {
                    return ms / f + unit;
                }
            }
        }
        return ms + "ms";
    }

    /**
     * Describes a raw configuration value for an error message: its type and value.
     *
     * @param value the value
     * @return e.g. {@code "the string \"ten\""} or {@code "a list"}
     */
    public static String describe(Object value) {
        if (value == null) {
            return "nothing (null)";
        }
        if (value instanceof String s) {
            return "the string \"" + s + "\"";
        }
        if (value instanceof Boolean b) {
            return "the boolean " + b;
        }
        if (value instanceof Number n) {
            return "the number " + n;
        }
        if (value instanceof List<?>) {
            return "a list";
        }
        if (value instanceof Map<?, ?>) {
            return "a section (map)";
        }
        return "a " + value.getClass().getSimpleName();
    }
}
