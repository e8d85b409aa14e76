package dev.caxton.spi.engine;

/**
 * A host access to guest memory outside its bounds (a bad pointer or length handed over by a
 * guest). Thrown from a host function, it ends the guest's invocation as a trap.
 */
public class MemoryAccessException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param address    the first byte asked for
     * @param length     the length asked for
     * @param memorySize the memory's size at the time
     */
    public MemoryAccessException(long address, long length, long memorySize) {
        super("out of bounds memory access: " + length + " bytes at address " + address
                + " (memory size " + memorySize + " bytes)");
    }
}
