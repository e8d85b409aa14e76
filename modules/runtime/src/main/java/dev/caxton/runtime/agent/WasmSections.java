package dev.caxton.runtime.agent;

/**
 * Reads the section headers of a WebAssembly binary. The engine SPI does not say whether a module
 * has a start function, and the instance pool must know: a start function is guest code that runs
 * at instantiation.
 */
final class WasmSections {

    /** The id of the start section in the binary format. */
    static final int START = 8;
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
        if (wasm == null || wasm.length < HEADER || wasm[0] != 0 || wasm[1] != 'a' || wasm[2] != 's' || wasm[3] != 'm') {
            return true;
        }
        int at = HEADER;
        while (at < wasm.length) {
            int id = wasm[at++] & 0xff;
            long size = 0;
            int shift = 0;
            while (true) {
                if (at >= wasm.length || shift > 28) {
                    return true;
                }
                int b = wasm[at++] & 0xff;
                size |= (long) (b & 0x7f) << shift;
                shift += 7;
                if ((b & 0x80) == 0) {
                    break;
                }
            }
            if (id == START) {
                return true;
            }
            if (size > wasm.length - at) {
                return true;
            }
            at += (int) size;
        }
        return false;
    }
}
