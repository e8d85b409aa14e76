package dev.caxton.engine.chicory;

import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.SubType;
import com.dylibso.chicory.wasm.types.TypeSection;
import com.dylibso.chicory.wasm.types.ValType;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.ValueType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Converts types and values between Chicory and the SPI.
 *
 * <p>Values: Chicory passes every value in a {@code long}. The SPI wants an {@code i32}
 * sign-extended and an {@code f32} as its raw bits, also sign-extended as Java widens an
 * {@code int}; both directions normalise those two types so that garbage in the upper half of an
 * argument never reaches the guest.
 */
final class Types {

    private Types() {
    }

    /**
     * The SPI type of a Chicory value type.
     *
     * @param t     the type
     * @param types the module's type section, to classify references to concrete types
     * @return the SPI type, or null when the SPI has no name for it (GC reference types)
     */
    static ValueType toSpi(ValType t, TypeSection types) {
        switch (t.opcode()) {
            case ValType.ID.I32:
                return ValueType.I32;
            case ValType.ID.I64:
                return ValueType.I64;
            case ValType.ID.F32:
                return ValueType.F32;
            case ValType.ID.F64:
                return ValueType.F64;
            case ValType.ID.V128:
                return ValueType.V128;
            case ValType.ID.FuncRef:
            case ValType.ID.NoFuncRef:
                return ValueType.FUNCREF;
            case ValType.ID.ExternRef:
            case ValType.ID.NoExternRef:
                return ValueType.EXTERNREF;
            case ValType.ID.Ref:
            case ValType.ID.RefNull:
                return heapType(t.typeIdx(), types);
            default:
                return null;
        }
    }

    private static ValueType heapType(int typeIdx, TypeSection types) {
        if (typeIdx == ValType.TypeIdxCode.FUNC.code() || typeIdx == ValType.TypeIdxCode.NOFUNC.code()) {
            return ValueType.FUNCREF;
        }
        if (typeIdx == ValType.TypeIdxCode.EXTERN.code() || typeIdx == ValType.TypeIdxCode.NOEXTERN.code()) {
            return ValueType.EXTERNREF;
        }
        if (typeIdx >= 0 && typeIdx < types.subTypeCount()) {
            SubType sub = types.getSubType(typeIdx);
            return sub.compType().funcType() != null ? ValueType.FUNCREF : null;
        }
        return null;
    }

    /**
     * The SPI signature of a Chicory one.
     *
     * @param f     the signature
     * @param types the module's type section
     * @return the signature, or null when a type in it has no SPI name
     */
    static FunctionType toSpi(com.dylibso.chicory.wasm.types.FunctionType f, TypeSection types) {
        List<ValueType> params = new ArrayList<>();
        for (ValType t : f.params()) {
            ValueType v = toSpi(t, types);
            if (v == null) {
                return null;
            }
            params.add(v);
        }
        List<ValueType> results = new ArrayList<>();
        for (ValType t : f.returns()) {
            ValueType v = toSpi(t, types);
            if (v == null) {
                return null;
            }
            results.add(v);
        }
        return FunctionType.of(params, results);
    }

    /**
     * The Chicory value type of an SPI one.
     *
     * @param v the SPI type
     * @return Chicory's
     */
    static ValType toChicory(ValueType v) {
        return switch (v) {
            case I32 -> ValType.I32;
            case I64 -> ValType.I64;
            case F32 -> ValType.F32;
            case F64 -> ValType.F64;
            case V128 -> ValType.V128;
            case FUNCREF -> ValType.FuncRef;
            case EXTERNREF -> ValType.ExternRef;
        };
    }

    /**
     * The Chicory signature of an SPI one.
     *
     * @param f the SPI signature
     * @return Chicory's
     */
    static com.dylibso.chicory.wasm.types.FunctionType toChicory(FunctionType f) {
        return com.dylibso.chicory.wasm.types.FunctionType.of(
                f.params().stream().map(Types::toChicory).toList(),
                f.results().stream().map(Types::toChicory).toList());
    }

    /**
     * Brings one value to the SPI's encoding (which Chicory accepts as well).
     *
     * @param type  the value's type
     * @param value the raw value
     * @return the normalised value
     */
    static long normalize(ValType type, long value) {
        int op = type.opcode();
        return op == ValType.ID.I32 || op == ValType.ID.F32 ? (long) (int) value : value;
    }

    /**
     * Whether values of these types are already in the SPI's encoding whatever they hold (no i32 or
     * f32 among them), so an array of them can be used as it is.
     *
     * @param types the value types
     * @return true when {@link #normalize(ValType, long)} changes none of them
     */
    static boolean normalized(ValType[] types) {
        for (ValType t : types) {
            int op = t.opcode();
            if (op == ValType.ID.I32 || op == ValType.ID.F32) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether values are already what {@link #normalize(ValType[], long[])} would make them.
     *
     * @param types  the value types
     * @param values as many values
     * @return true when normalising would change none of them
     */
    static boolean inNormalForm(ValType[] types, long[] values) {
        for (int i = 0; i < types.length; i++) {
            if (normalize(types[i], values[i]) != values[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Normalises every value into a fresh array.
     *
     * @param types  the value types
     * @param values the values, at least as many as types
     * @return a new array
     */
    static long[] normalize(ValType[] types, long[] values) {
        long[] out = new long[types.length];
        for (int i = 0; i < types.length; i++) {
            out[i] = normalize(types[i], values[i]);
        }
        return out;
    }

    /**
     * A value type the way WebAssembly text writes it, for messages.
     *
     * @param t the type
     * @return e.g. {@code i32}, {@code funcref}, {@code (ref null 3)}
     */
    static String describe(ValType t) {
        return switch (t.opcode()) {
            case ValType.ID.Ref -> "(ref " + heapName(t.typeIdx()) + ")";
            case ValType.ID.RefNull -> nullableShorthand(t.typeIdx());
            case ValType.ID.I32 -> "i32";
            case ValType.ID.I64 -> "i64";
            case ValType.ID.F32 -> "f32";
            case ValType.ID.F64 -> "f64";
            case ValType.ID.V128 -> "v128";
            case ValType.ID.FuncRef -> "funcref";
            case ValType.ID.ExternRef -> "externref";
            case ValType.ID.ExnRef -> "exnref";
            case ValType.ID.AnyRef -> "anyref";
            case ValType.ID.EqRef -> "eqref";
            case ValType.ID.i31 -> "i31ref";
            case ValType.ID.StructRef -> "structref";
            case ValType.ID.ArrayRef -> "arrayref";
            case ValType.ID.NoneRef -> "nullref";
            case ValType.ID.NoExternRef -> "nullexternref";
            case ValType.ID.NoFuncRef -> "nullfuncref";
            default -> "type 0x" + Integer.toHexString(t.opcode());
        };
    }

    /** WAT's short names for nullable references to abstract heap types, e.g. {@code anyref}. */
    private static String nullableShorthand(int typeIdx) {
        for (ValType.TypeIdxCode c : ValType.TypeIdxCode.values()) {
            if (c.code() == typeIdx && c != ValType.TypeIdxCode.BOT) {
                return switch (c) {
                    case NONE -> "nullref";
                    case NOFUNC -> "nullfuncref";
                    case NOEXTERN -> "nullexternref";
                    default -> c.name().toLowerCase(Locale.ROOT) + "ref";
                };
            }
        }
        return "(ref null " + heapName(typeIdx) + ")";
    }

    private static String heapName(int typeIdx) {
        for (ValType.TypeIdxCode c : ValType.TypeIdxCode.values()) {
            if (c.code() == typeIdx) {
                return c.name().toLowerCase(Locale.ROOT);
            }
        }
        return Integer.toString(typeIdx);
    }

    /**
     * A Chicory signature the way the SPI prints one.
     *
     * @param f the signature
     * @return e.g. {@code (i32, i32) -> (i32)}
     */
    static String describe(com.dylibso.chicory.wasm.types.FunctionType f) {
        return "(" + String.join(", ", f.params().stream().map(Types::describe).toList()) + ") -> ("
                + String.join(", ", f.returns().stream().map(Types::describe).toList()) + ")";
    }

    /**
     * A global type for messages.
     *
     * @param t          the value type
     * @param mutability whether it is mutable
     * @return e.g. {@code global mut i64}
     */
    static String describeGlobal(ValType t, MutabilityType mutability) {
        return "global " + (mutability == MutabilityType.Var ? "mut " : "const ") + describe(t);
    }
}
