package dev.caxton.wasm.metering;

/**
 * Steps over the instructions of a function body. Knows the immediates of every instruction
 * Wasmtime 7 accepts with its default features (the core specification 2.0 with multi-value,
 * reference types, bulk memory, sign extension, saturating conversions and fixed-width SIMD), so
 * that a rewriter can find where each instruction starts and ends. Bodies reach it only after
 * the engine has validated the module, so an opcode it does not know means a feature outside that
 * set, and is reported as such rather than guessed at.
 */
public final class Instructions {

    public static final int UNREACHABLE = 0x00;
    public static final int BLOCK = 0x02;
    public static final int LOOP = 0x03;
    public static final int IF = 0x04;
    public static final int ELSE = 0x05;
    public static final int END = 0x0B;
    public static final int BR = 0x0C;
    public static final int BR_IF = 0x0D;
    public static final int BR_TABLE = 0x0E;
    public static final int RETURN = 0x0F;
    public static final int CALL = 0x10;
    public static final int CALL_INDIRECT = 0x11;

    private Instructions() {
    }

    /**
     * Reads a block type (of {@code block}, {@code loop} and {@code if}): the empty type, one value
     * type, or a type index.
     *
     * @param r the reader, just past the opcode
     */
    public static void blockType(WasmReader r) {
        int b = r.peek("a block type");
        if (b == 0x40 || isValueType(b)) {
            r.u8("a block type");
        } else {
            r.signed(64, "a block type index"); // a positive signed 33-bit integer
        }
    }

    /**
     * Reads the immediates of one instruction other than the block instructions and branches,
     * which the caller decodes itself because it needs their values.
     *
     * @param r  the reader, just past the opcode byte
     * @param op the opcode byte
     * @throws WasmReader.MalformedException for an opcode outside the supported set
     */
    public static void skipImmediates(WasmReader r, int op) {
        if (op <= 0x01 || op == ELSE || op == END || op == RETURN || op == 0x1A || op == 0x1B || op == 0xD1
                || (op >= 0x45 && op <= 0xC4)) {
            return;
        }
        switch (op) {
            case BLOCK, LOOP, IF -> blockType(r);
            case BR, BR_IF -> r.u32("a label index");
            case BR_TABLE -> {
                long n = r.u32("the length of a br_table");
                for (long i = 0; i <= n; i++) {
                    r.u32("a br_table label");
                }
            }
            case 0x10 -> r.u32("a function index");
            case 0x11 -> {
                r.u32("a type index");
                r.u32("a table index");
            }
            case 0x1C -> {
                long n = r.u32("the number of select types");
                for (long i = 0; i < n; i++) {
                    r.u8("a select type");
                }
            }
            case 0x20, 0x21, 0x22 -> r.u32("a local index");
            case 0x23, 0x24 -> r.u32("a global index");
            case 0x25, 0x26 -> r.u32("a table index");
            case 0x3F, 0x40 -> r.u32("a memory index");
            case 0x41 -> r.signed(32, "an i32.const");
            case 0x42 -> r.signed(64, "an i64.const");
            case 0x43 -> r.skip(4, "an f32.const");
            case 0x44 -> r.skip(8, "an f64.const");
            case 0xD0 -> r.u8("a reference type");
            case 0xD2 -> r.u32("a function index");
            case 0xFC -> misc(r);
            case 0xFD -> vector(r);
            default -> {
                if (op >= 0x28 && op <= 0x3E) {
                    memarg(r);
                    return;
                }
                throw unsupported(r, "0x" + Integer.toHexString(op));
            }
        }
    }

    /** The 0xFC group: saturating conversions, bulk memory and table instructions. */
    private static void misc(WasmReader r) {
        long sub = r.u32("a 0xFC sub-opcode");
        switch ((int) Math.min(sub, Integer.MAX_VALUE)) {
            case 0, 1, 2, 3, 4, 5, 6, 7 -> {
                // the saturating truncations take no immediates
            }
            case 8 -> {
                r.u32("a data segment index");
                r.u32("a memory index");
            }
            case 9 -> r.u32("a data segment index");
            case 10 -> {
                r.u32("a memory index");
                r.u32("a memory index");
            }
            case 11 -> r.u32("a memory index");
            case 12, 14 -> {
                r.u32("a segment or table index");
                r.u32("a table index");
            }
            case 13 -> r.u32("an element segment index");
            case 15, 16, 17 -> r.u32("a table index");
            default -> throw unsupported(r, "0xfc " + sub);
        }
    }

    /** The 0xFD group: fixed-width SIMD. */
    private static void vector(WasmReader r) {
        long sub = r.u32("a 0xFD sub-opcode");
        if (sub <= 11 || sub == 92 || sub == 93) {
            memarg(r);
        } else if (sub == 12 || sub == 13) {
            r.skip(16, "a 16-byte immediate");
        } else if (sub >= 21 && sub <= 34) {
            r.u8("a lane index");
        } else if (sub >= 84 && sub <= 91) {
            memarg(r);
            r.u8("a lane index");
        } else if (sub > 255) {
            throw unsupported(r, "0xfd " + sub);
        }
    }

    private static void memarg(WasmReader r) {
        long align = r.u32("an alignment");
        if ((align & 0x40) != 0) {
            r.u32("a memory index");
        }
        r.u32("an offset");
    }

    private static boolean isValueType(int b) {
        // i32, i64, f32, f64, v128, funcref, externref
        return (b >= 0x7B && b <= 0x7F) || b == 0x70 || b == 0x6F;
    }

    private static WasmReader.MalformedException unsupported(WasmReader r, String opcode) {
        return r.malformed("instruction " + opcode + " is outside the features this engine meters");
    }
}
