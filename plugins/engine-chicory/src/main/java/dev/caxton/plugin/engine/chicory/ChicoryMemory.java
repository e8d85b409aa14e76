package dev.caxton.plugin.engine.chicory;

import com.dylibso.chicory.runtime.Memory;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.MemoryAccessException;

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

    @Override
    public void write(long address, byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        checkBounds(address, bytes.length);
        if (bytes.length > 0) {
            memory.write((int) address, bytes);
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
