package dev.caxton.engine.chicory;

import com.dylibso.chicory.runtime.Memory;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.MemoryAccessException;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A guest's linear memory as the host sees it. Every access is checked against the current size
 * before Chicory is asked, so a bad range throws the SPI's {@link MemoryAccessException} and
 * touches nothing.
 */
final class ChicoryMemory implements GuestMemory {

    /** What a host function gets when the calling instance exports no memory: size 0, so every access fails. */
    static final GuestMemory NONE = new GuestMemory() {
        @Override
        public long size() {
            return 0;
        }

        @Override
        public byte[] read(long address, int length) {
            checkBounds(address, length);
            return new byte[0];
        }

        @Override
        public void write(long address, byte[] bytes) {
            checkBounds(address, bytes.length);
        }

        @Override
        public void checkBounds(long address, long length) {
            ChicoryMemory.checkBounds(address, length, 0);
        }
    };

    /** Stores eight bytes at once into a byte array, in the guest's (little-endian) order. */
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final Memory memory;
    private final ChicoryInstance owner;

    /**
     * Wraps a memory.
     *
     * @param memory the memory
     * @param owner  the instance whose {@code memory()} this is, so that the view dies when the
     *               instance is closed; null for the short-lived views host functions get
     */
    ChicoryMemory(Memory memory, ChicoryInstance owner) {
        this.memory = memory;
        this.owner = owner;
    }

    @Override
    public long size() {
        ensureLive();
        return (long) memory.pages() * Memory.PAGE_SIZE;
    }

    @Override
    public byte[] read(long address, int length) {
        checkBounds(address, length);
        // In bounds, so the address fits an int: Chicory caps memories below 2 GiB.
        return length == 0 ? new byte[0] : memory.readBytes((int) address, length);
    }

    /**
     * Chicory offers no bulk read into a caller's array, and {@code readBytes} allocates; eight
     * bytes at a time through {@code readLong} copies without any allocation, which is what a host
     * reading the whole memory after every message needs.
     */
    @Override
    public void read(long address, byte[] into, int offset, int length) {
        Objects.requireNonNull(into, "into");
        checkBounds(address, length);
        Objects.checkFromIndexSize(offset, length, into.length);
        int from = (int) address;
        int i = offset;
        int end = offset + length;
        for (; end - i >= Long.BYTES; i += Long.BYTES, from += Long.BYTES) {
            LONGS.set(into, i, memory.readLong(from));
        }
        for (; i < end; i++, from++) {
            into[i] = memory.read(from);
        }
    }

    /**
     * Grows like {@code memory.grow}: the memory's maximum is already the lower of the module's
     * declared maximum and the instance's limit (see {@code ChicoryModule}), so Chicory refuses
     * growth past either with -1 and leaves the memory as it was.
     */
    @Override
    public long grow(long pages) {
        if (pages < 0) {
            throw new IllegalArgumentException("cannot grow a memory by a negative number of pages: " + pages);
        }
        ensureLive();
        if (pages > Integer.MAX_VALUE) {
            return -1;
        }
        return memory.grow((int) pages);
    }

    @Override
    public void write(long address, byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        checkBounds(address, bytes.length);
        if (bytes.length > 0) {
            memory.write((int) address, bytes);
        }
    }

    @Override
    public void write(long address, byte[] bytes, int offset, int length) {
        Objects.requireNonNull(bytes, "bytes");
        Objects.checkFromIndexSize(offset, length, bytes.length);
        checkBounds(address, length);
        if (length > 0) {
            memory.write((int) address, bytes, offset, length);
        }
    }

    @Override
    public void checkBounds(long address, long length) {
        checkBounds(address, length, size());
    }

    /** The SPI's default check, rewritten so that a huge address plus a length cannot overflow past it. */
    private static void checkBounds(long address, long length, long size) {
        if (address < 0 || length < 0 || address > size || length > size - address) {
            throw new MemoryAccessException(address, length, size);
        }
    }

    private void ensureLive() {
        if (owner != null) {
            owner.ensureOpen();
        }
    }
}
