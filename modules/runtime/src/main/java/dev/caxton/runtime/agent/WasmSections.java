package dev.caxton.runtime.agent;

import dev.caxton.spi.engine.InstanceLimits;

/**
 * Reads the section headers of a WebAssembly binary. The engine SPI does not say whether a module
 * has a start function, and the instance pool must know: a start function is guest code that runs
 * at instantiation.
 */
final class WasmSections {

    /** The id of the start section in the binary format. */
    static final int START = 8;
    private static final int TABLE = 4;
    private static final int MEMORY = 5;
    private static final int HEADER = 8;

    private WasmSections() {
    }

    /**
     * Whether a module binary has a start section. Anything it cannot read counts as having one, so
     * a binary it does not understand is never pooled.
     *
     * @param wasm the module binary (already validated by the engine)
     * @return true when it declares a start function, or cannot be read
     */
    static boolean hasStart(byte[] wasm) {
        if (!looksLikeWasm(wasm)) {
            return true;
        }
        Reader r = new Reader(wasm, HEADER);
        try {
            while (r.at < wasm.length) {
                int id = r.u8();
                long size = r.leb();
                if (id == START || size < 0 || size > wasm.length - r.at) {
                    return true;
                }
                r.at += (int) size;
            }
        } catch (ArithmeticException | ArrayIndexOutOfBoundsException e) {
            return true;
        }
        return false;
    }

    private static boolean looksLikeWasm(byte[] wasm) {
        return wasm != null && wasm.length >= HEADER && wasm[0] == 0 && wasm[1] == 'a' && wasm[2] == 's' && wasm[3] == 'm';
    }

    /**
     * What a never-run instance of a module holds: the initial sizes its memory and table sections
     * declare, tables at {@link InstanceLimits#TABLE_ELEMENT_BYTES} an element. No guest code runs
     * on such an instance, so it cannot grow past this.
     *
     * @param wasm the module binary (already validated by the engine)
     * @return the bytes, or -1 when the sections cannot be read (an encoding this reader does not know)
     */
    static long initialBytes(byte[] wasm) {
        if (!looksLikeWasm(wasm)) {
            return -1;
        }
        Reader r = new Reader(wasm, HEADER);
        long total = 0;
        try {
            while (r.at < wasm.length) {
                int id = r.u8();
                long size = r.leb();
                if (size < 0 || size > wasm.length - r.at) {
                    return -1;
                }
                int end = r.at + (int) size;
                if (id == MEMORY || id == TABLE) {
                    long count = r.leb();
                    for (long i = 0; i < count; i++) {
                        if (id == TABLE) {
                            int ref = r.u8();
                            // 0x70 funcref, 0x6f externref; a table with an initialiser (0x40) or a typed
                            // reference is not read here.
                            if (ref != 0x70 && ref != 0x6f) {
                                return -1;
                            }
                        }
                        int flags = r.u8();
                        // bit 0: a maximum follows; bit 1: shared; bit 2: 64-bit. Anything else
                        // (custom page sizes) is not read here.
                        if ((flags & ~0x7) != 0) {
                            return -1;
                        }
                        long min = r.leb();
                        if (min < 0) {
                            return -1;
                        }
                        if ((flags & 1) != 0) {
                            r.leb();
                        }
                        long unit = id == MEMORY ? InstanceLimits.PAGE_SIZE : InstanceLimits.TABLE_ELEMENT_BYTES;
                        total = Math.addExact(total, Math.multiplyExact(min, unit));
                    }
                    if (r.at != end) {
                        return -1;
                    }
                }
                r.at = end;
            }
        } catch (ArithmeticException | ArrayIndexOutOfBoundsException e) {
            return -1;
        }
        return total;
    }

    /** A cursor over the binary: bytes and unsigned LEB128 numbers. */
    private static final class Reader {
        final byte[] b;
        int at;

        Reader(byte[] b, int at) {
            this.b = b;
            this.at = at;
        }

        int u8() {
            return b[at++] & 0xff;
        }

        long leb() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int x = u8();
                v |= (long) (x & 0x7f) << shift;
                if ((x & 0x80) == 0) {
                    return v;
                }
            }
            throw new ArithmeticException("LEB128 number too long");
        }
    }
}
