package dev.caxton.testkit;

import com.dylibso.chicory.wabt.Wat2Wasm;

/**
 * Compiles WebAssembly text to binary in tests, so that every test module is readable source in
 * the test itself rather than an opaque checked-in binary.
 */
public final class Wat {

    private Wat() {
    }

    /**
     * Compiles a WAT module.
     *
     * @param wat the module text
     * @return the binary module
     * @throws IllegalArgumentException when the text does not compile (wabt only says that it failed)
     */
    public static byte[] compile(String wat) {
        try {
            return Wat2Wasm.parse(wat);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("WAT did not compile: " + e.getMessage()
                    + "\n--- module text ---\n" + wat, e);
        }
    }
}
