package dev.caxton.testkit.spec;

import dev.caxton.spi.engine.ValueType;

import java.util.List;
import java.util.Locale;

/**
 * Translates script values to and from the engine SPI's encoding (every value a {@code long}: an
 * {@code i32} or {@code f32} sign-extended from its 32 bits, an {@code i64} or {@code f64} as is,
 * floats as raw bits) and compares results, NaN patterns included.
 */
final class Values {

    private static final int F32_EXPONENT_AND_QUIET = 0x7fc00000;
    private static final long F64_EXPONENT_AND_QUIET = 0x7ff8000000000000L;

    private Values() {
    }

    /**
     * Why a value cannot cross the SPI, if it cannot.
     *
     * @param v the value
     * @return the reason to skip the command, or null when the value is a number the SPI carries
     */
    static String unsupported(Script.Value v) {
        return switch (v.type()) {
            case "i32", "i64", "f32", "f64" -> null;
            case "funcref" -> "funcref value: the engine SPI defines no encoding of function references"
                    + " (not even null) in arguments, results or globals";
            case "externref" -> "externref value: the engine SPI has no way to pass or return host references";
            case "v128" -> "v128 value: the engine SPI carries no 128-bit vectors";
            default -> "value of type " + v.type() + ": unknown to the runner";
        };
    }

    /**
     * The first reason any of the values cannot cross the SPI.
     *
     * @param values the values
     * @return the reason, or null when all can
     */
    static String unsupported(List<Script.Value> values) {
        for (Script.Value v : values) {
            String reason = unsupported(v);
            if (reason != null) {
                return reason;
            }
        }
        return null;
    }

    /**
     * The SPI type of a numeric script value.
     *
     * @param v the value (one {@link #unsupported(Script.Value)} accepts)
     * @return its type
     */
    static ValueType type(Script.Value v) {
        return ValueType.valueOf(v.type().toUpperCase(Locale.ROOT));
    }

    /**
     * Encodes an argument.
     *
     * @param v the value (one {@link #unsupported(Script.Value)} accepts, not a NaN pattern)
     * @return its SPI encoding
     * @throws IllegalArgumentException when the value is not an unsigned decimal bit pattern
     */
    static long encode(Script.Value v) {
        if (v.value() == null) {
            throw new IllegalArgumentException("argument of type " + v.type() + " has no value");
        }
        long bits;
        try {
            bits = Long.parseUnsignedLong(v.value());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("argument '" + v.value() + "' of type " + v.type()
                    + " is not an unsigned decimal bit pattern", e);
        }
        return switch (v.type()) {
            case "i32", "f32" -> (long) (int) bits;
            default -> bits;
        };
    }

    /**
     * Compares a result with what the script expects.
     *
     * @param expected the expected value or NaN pattern
     * @param actual   the SPI encoding the engine returned
     * @return null when they match, else a description of the difference
     */
    static String mismatch(Script.Value expected, long actual) {
        String type = expected.type();
        boolean narrow = type.equals("i32") || type.equals("f32");
        if (narrow && actual != (long) (int) actual) {
            return "got 0x" + Long.toHexString(actual) + ", which is not a sign-extended 32-bit value as the"
                    + " engine SPI requires for " + type;
        }
        String want = expected.value();
        if (want == null) {
            return "the script gives no expected value of type " + type;
        }
        boolean ok = switch (want) {
            case "nan:canonical" -> switch (type) {
                case "f32" -> ((int) actual & 0x7fffffff) == F32_EXPONENT_AND_QUIET;
                case "f64" -> (actual & 0x7fffffffffffffffL) == F64_EXPONENT_AND_QUIET;
                default -> throw new IllegalArgumentException("NaN pattern for non-float type " + type);
            };
            case "nan:arithmetic" -> switch (type) {
                case "f32" -> ((int) actual & F32_EXPONENT_AND_QUIET) == F32_EXPONENT_AND_QUIET;
                case "f64" -> (actual & F64_EXPONENT_AND_QUIET) == F64_EXPONENT_AND_QUIET;
                default -> throw new IllegalArgumentException("NaN pattern for non-float type " + type);
            };
            default -> encode(expected) == actual;
        };
        if (ok) {
            return null;
        }
        String wanted = want.startsWith("nan:") ? want : describe(type, encode(expected));
        return "expected " + type + " " + wanted + ", got " + describe(type, actual);
    }

    /**
     * A value for messages: integers in decimal and hex, floats as bits and as a number.
     *
     * @param type  the script type
     * @param value the SPI encoding
     * @return e.g. {@code 0x7fc00000 (NaN)}
     */
    static String describe(String type, long value) {
        return switch (type) {
            case "i32" -> (int) value + " (0x" + Integer.toHexString((int) value) + ")";
            case "i64" -> value + " (0x" + Long.toHexString(value) + ")";
            case "f32" -> "0x" + Integer.toHexString((int) value) + " (" + Float.intBitsToFloat((int) value) + ")";
            case "f64" -> "0x" + Long.toHexString(value) + " (" + Double.longBitsToDouble(value) + ")";
            default -> "0x" + Long.toHexString(value);
        };
    }

    /**
     * Results for messages.
     *
     * @param types  the result types the export declares (may be fewer than the results, when the
     *               engine returned too many)
     * @param values the results
     * @return e.g. {@code [1 (0x1), 0x3f800000 (1.0)]}
     */
    static String describe(List<ValueType> types, long[] values) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                b.append(", ");
            }
            String type = i < types.size() ? types.get(i).name().toLowerCase(Locale.ROOT) : "";
            b.append(describe(type, values[i]));
        }
        return b.append(']').toString();
    }

    /**
     * Expected values for messages.
     *
     * @param values the values as the script writes them
     * @return e.g. {@code [i32 5, f32 nan:canonical]}
     */
    static String describeAll(List<Script.Value> values) {
        StringBuilder b = new StringBuilder("[");
        for (Script.Value v : values) {
            if (b.length() > 1) {
                b.append(", ");
            }
            b.append(v.type());
            if (v.value() != null) {
                b.append(' ').append(v.value().startsWith("nan:") ? v.value() : describe(v.type(), encode(v)));
            }
        }
        return b.append(']').toString();
    }
}
