package dev.caxton.engine.wasmtime;

import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.ValueType;
import io.github.kawamuray.wasmtime.Val;

import java.util.List;
import java.util.Locale;

/**
 * Converts between the SPI's encoding of values (every value a {@code long}, floats as raw bits)
 * and the binding's {@link Val}. Floats travel as Java floats and doubles, which carry their bits
 * unchanged, so NaN payloads survive.
 */
final class Values {

    private Values() {
    }

    /**
     * Whether the binding can pass a value type: it knows only the four number types.
     *
     * @param t the type
     * @return whether it is i32, i64, f32 or f64
     */
    static boolean isNumber(ValueType t) {
        return t == ValueType.I32 || t == ValueType.I64 || t == ValueType.F32 || t == ValueType.F64;
    }

    /**
     * Whether every value of a signature is a number.
     *
     * @param type the signature
     * @return whether the binding can pass all of them
     */
    static boolean allNumbers(FunctionType type) {
        return type.params().stream().allMatch(Values::isNumber) && type.results().stream().allMatch(Values::isNumber);
    }

    /**
     * The binding's name for a number type.
     *
     * @param t the type (a number type)
     * @return the binding's type
     */
    static Val.Type valType(ValueType t) {
        return switch (t) {
            case I32 -> Val.Type.I32;
            case I64 -> Val.Type.I64;
            case F32 -> Val.Type.F32;
            case F64 -> Val.Type.F64;
            default -> throw new IllegalArgumentException(unsupported(t));
        };
    }

    /**
     * The binding's names for a list of number types.
     *
     * @param types the types
     * @return the binding's types
     */
    static Val.Type[] valTypes(List<ValueType> types) {
        Val.Type[] out = new Val.Type[types.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = valType(types.get(i));
        }
        return out;
    }

    /**
     * Brings a value to the SPI's canonical form: 32-bit values sign-extended.
     *
     * @param t the type
     * @param v the value
     * @return the canonical value
     */
    static long normalize(ValueType t, long v) {
        return t == ValueType.I32 || t == ValueType.F32 ? (long) (int) v : v;
    }

    /**
     * Makes a binding value.
     *
     * @param t the type
     * @param v the value in the SPI's encoding
     * @return the binding's value
     */
    static Val toVal(ValueType t, long v) {
        return switch (t) {
            case I32 -> Val.fromI32((int) v);
            case I64 -> Val.fromI64(v);
            case F32 -> Val.fromF32(Float.intBitsToFloat((int) v));
            case F64 -> Val.fromF64(Double.longBitsToDouble(v));
            default -> throw new IllegalArgumentException(unsupported(t));
        };
    }

    /**
     * Reads a binding value.
     *
     * @param t the type the signature declares
     * @param v the binding's value
     * @return the value in the SPI's encoding
     */
    static long toLong(ValueType t, Val v) {
        return switch (t) {
            case I32 -> v.i32();
            case I64 -> v.i64();
            case F32 -> Float.floatToRawIntBits(v.f32());
            case F64 -> Double.doubleToRawLongBits(v.f64());
            default -> throw new IllegalArgumentException(unsupported(t));
        };
    }

    /**
     * Makes binding values.
     *
     * @param types  the types
     * @param values as many values
     * @return the binding's values
     */
    static Val[] toVals(List<ValueType> types, long[] values) {
        Val[] out = new Val[types.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = toVal(types.get(i), values[i]);
        }
        return out;
    }

    /**
     * Reads binding values.
     *
     * @param types  the types the signature declares
     * @param values the binding's values
     * @return the values in the SPI's encoding
     */
    static long[] toLongs(List<ValueType> types, Val[] values) {
        if (values.length != types.size()) {
            throw new IllegalStateException("wasmtime returned " + values.length + " values where " + types.size()
                    + " were expected");
        }
        long[] out = new long[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = toLong(types.get(i), values[i]);
        }
        return out;
    }

    /**
     * Why a type cannot cross the binding.
     *
     * @param t the type
     * @return the explanation
     */
    static String unsupported(ValueType t) {
        return t.name().toLowerCase(Locale.ROOT) + " values cannot cross the wasmtime-java binding, which passes only"
                + " i32, i64, f32 and f64";
    }
}
