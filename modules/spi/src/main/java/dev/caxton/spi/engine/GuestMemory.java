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
     * Copies part of an array into the memory, so that a host writing from a buffer it reuses (a
     * message's encoding) need not copy the bytes into an exact-size array first. Engines override
     * this to copy straight from the array; the default makes that copy and calls
     * {@link #write(long, byte[])}.
     *
     * @param address the first byte
     * @param bytes   the source
     * @param offset  the first index of {@code bytes} copied
     * @param length  how many bytes
     * @throws MemoryAccessException when any byte would fall outside the memory
     * @throws IndexOutOfBoundsException when the range lies outside {@code bytes}
     */
    default void write(long address, byte[] bytes, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
        write(address, offset == 0 && length == bytes.length ? bytes
                : java.util.Arrays.copyOfRange(bytes, offset, offset + length));
    }

    /**
     * Copies bytes out of the memory into an array the caller owns, so that a host reading the
     * whole memory often (a checkpoint of a durable agent) does not allocate a copy each time.
     *
     * @param address the first byte
     * @param into    where to copy
     * @param offset  the first index of {@code into} written
     * @param length  how many bytes
     * @throws MemoryAccessException when any byte is outside the memory
     */
    default void read(long address, byte[] into, int offset, int length) {
        System.arraycopy(read(address, length), 0, into, offset, length);
    }

    /**
     * Grows the memory as the guest's {@code memory.grow} would, within the instance's limits.
     *
     * @param pages how many 64 KiB pages to add
     * @return the size in pages before growing, or -1 when the memory cannot grow that much (the
     *         memory is then unchanged)
     * @throws IllegalArgumentException when {@code pages} is negative
     * @throws UnsupportedOperationException when the engine cannot grow a memory from the host
     */
    default long grow(long pages) {
        throw new UnsupportedOperationException("this engine cannot grow a memory from the host");
    }

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
