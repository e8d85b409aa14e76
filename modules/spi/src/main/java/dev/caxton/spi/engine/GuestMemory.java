package dev.caxton.spi.engine;

/**
 * An instance's linear memory as the host sees it. Every access is bounds-checked: one that falls
 * outside the memory throws {@link MemoryAccessException} and touches nothing.
 */
public interface GuestMemory {

    /**
     * The current size.
     *
     * @return the size in bytes
     */
    long size();

    /**
     * Copies bytes out of the memory.
     *
     * @param address the first byte (an unsigned 32-bit guest address, as a non-negative long)
     * @param length  how many bytes
     * @return a copy of the bytes
     * @throws MemoryAccessException when any byte is outside the memory
     */
    byte[] read(long address, int length);

    /**
     * Copies bytes into the memory.
     *
     * @param address the first byte
     * @param bytes   what to write
     * @throws MemoryAccessException when any byte would fall outside the memory
     */
    void write(long address, byte[] bytes);

    /**
     * Checks that a range lies inside the memory, as hosts do before trusting a guest pointer.
     *
     * @param address the first byte
     * @param length  the length
     * @throws MemoryAccessException when it does not
     */
    default void checkBounds(long address, long length) {
        if (address < 0 || length < 0 || address + length > size()) {
            throw new MemoryAccessException(address, length, size());
        }
    }
}
