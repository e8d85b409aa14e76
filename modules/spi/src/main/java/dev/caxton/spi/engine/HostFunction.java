package dev.caxton.spi.engine;

import java.util.Objects;

/**
 * A function the host offers a guest as an import.
 *
 * @param module the import module name the guest uses (e.g. {@code "caxton"})
 * @param name   the import field name (e.g. {@code "log"})
 * @param type   the signature; a guest importing it with another signature fails to link
 * @param body   the implementation
 */
public record HostFunction(String module, String name, FunctionType type, Body body) {

    /** Checks the parts. */
    public HostFunction {
        Objects.requireNonNull(module, "module");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(body, "body");
    }

    /**
     * The implementation of a host function.
     *
     * <p>It runs on the thread that called into the guest. Throwing any {@link RuntimeException}
     * ends the guest's invocation: the engine reports it as a {@link WasmTrapException} whose cause
     * is the thrown exception, so the runtime can tell a host-detected fault (a bad pointer) from a
     * guest trap.
     */
    @FunctionalInterface
    public interface Body {
        /**
         * Runs the function.
         *
         * @param memory the calling instance's exported memory (or a memory that refuses every
         *               access when the caller exports none)
         * @param args   the arguments, encoded as described in the package documentation
         * @return the results, as many as the signature declares (an empty array for none)
         */
        long[] call(GuestMemory memory, long[] args);
    }
}
