package dev.caxton.engine.wasmtime;

import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.MemoryAccessException;
import io.github.kawamuray.wasmtime.Caller;
import io.github.kawamuray.wasmtime.Extern;
import io.github.kawamuray.wasmtime.Memory;
import io.github.kawamuray.wasmtime.Store;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Optional;

/**
 * Guest memories as the host sees them. Every access is checked against the memory's size before
 * any byte is touched, so a bad range throws {@link MemoryAccessException} and changes nothing.
 *
 * <p>Bytes move through the binding's direct byte buffer over the linear memory, whose capacity is
 * the memory's size when the buffer was made. Getting one costs a trip through JNI, so a view keeps
 * its buffer until guest code may have run again in the store (which may grow the memory; see
 * {@link Failures.HostCalls#generation()}); between two calls a memory cannot change size, so a
 * buffer is never used past a point where the memory could have grown or moved. Buffers never
 * leave this class.
 */
final class GuestMemories {

    /** The most pages a memory may have in this engine: the binding's buffers are indexed by int. */
    static final long MAX_PAGES = 32767;

    private GuestMemories() {
    }

    /** What a host function gets when the calling instance exports no memory: size 0, so every access fails. */
    static final GuestMemory NONE = new GuestMemory() {
        @Override
        public long size() {
            return 0;
        }

        @Override
        public byte[] read(long address, int length) {
            check(address, length, 0);
            return new byte[0];
        }

        @Override
        public void write(long address, byte[] bytes) {
            check(address, bytes.length, 0);
        }

        @Override
        public void checkBounds(long address, long length) {
            check(address, length, 0);
        }
    };

    /**
     * The SPI's bounds check, written so that a huge address plus a length cannot overflow past it.
     *
     * @param address the first byte
     * @param length  the length
     * @param size    the memory's size
     */
    static void check(long address, long length, long size) {
        if (address < 0 || length < 0 || address > size || length > size - address) {
            throw new MemoryAccessException(address, length, size);
        }
    }

    /**
     * Copies bytes out of a memory.
     *
     * @param buffer  the buffer over the memory (its capacity is the memory's size)
     * @param address the first byte
     * @param length  how many bytes
     * @return the bytes
     */
    static byte[] read(ByteBuffer buffer, long address, int length) {
        check(address, length, buffer.capacity());
        byte[] out = new byte[length];
        buffer.get((int) address, out);
        return out;
    }

    /**
     * Copies bytes into a memory.
     *
     * @param buffer  the buffer over the memory
     * @param address the first byte
     * @param bytes   the bytes
     */
    static void write(ByteBuffer buffer, long address, byte[] bytes) {
        check(address, bytes.length, buffer.capacity());
        buffer.put((int) address, bytes);
    }

    /**
     * The binding's buffer over a memory, or an empty buffer for a memory of size 0 (so the
     * binding is never asked to wrap a zero-length region).
     *
     * @param memory the memory
     * @param store  its store (entered by the caller)
     * @return the buffer
     */
    static ByteBuffer buffer(Memory memory, Store<Void> store) {
        return memory.dataSize(store) == 0 ? ByteBuffer.allocate(0) : memory.buffer(store);
    }

    /** An instance's exported memory named {@code "memory"}; usable until the instance is closed. */
    static final class InstanceMemory implements GuestMemory {
        private final WasmtimeInstance owner;

        InstanceMemory(WasmtimeInstance owner) {
            this.owner = owner;
        }

        @Override
        public long size() {
            return owner.withMemory(ByteBuffer::capacity);
        }

        @Override
        public byte[] read(long address, int length) {
            return owner.withMemory(b -> GuestMemories.read(b, address, length));
        }

        @Override
        public void read(long address, byte[] into, int offset, int length) {
            Objects.requireNonNull(into, "into");
            owner.withMemory(b -> {
                check(address, length, b.capacity());
                Objects.checkFromIndexSize(offset, length, into.length);
                // One bulk copy out of the native memory, straight into the caller's array.
                b.get((int) address, into, offset, length);
                return null;
            });
        }

        @Override
        public void write(long address, byte[] bytes) {
            Objects.requireNonNull(bytes, "bytes");
            owner.withMemory(b -> {
                GuestMemories.write(b, address, bytes);
                return null;
            });
        }

        @Override
        public void write(long address, byte[] bytes, int offset, int length) {
            Objects.requireNonNull(bytes, "bytes");
            owner.withMemory(b -> {
                check(address, length, b.capacity());
                Objects.checkFromIndexSize(offset, length, bytes.length);
                // One bulk copy from the caller's array into the native memory, no exact-size copy first.
                b.put((int) address, bytes, offset, length);
                return null;
            });
        }

        @Override
        public long grow(long pages) {
            return owner.grow(pages);
        }

        @Override
        public void checkBounds(long address, long length) {
            check(address, length, size());
        }
    }

    /**
     * The memory of the instance calling a host function, for the length of that call and on its
     * thread only: the binding's handles on it die with the call.
     */
    static final class CallerMemory implements GuestMemory, AutoCloseable {
        private final Caller<Void> caller;
        private final Store<Void> store;
        private final Failures.HostCalls calls;
        private final Thread thread = Thread.currentThread();
        private boolean open = true;
        private boolean resolved;
        private Memory memory;
        private ByteBuffer buffer;
        private long generation;

        CallerMemory(Caller<Void> caller, Store<Void> store, Failures.HostCalls calls) {
            this.caller = caller;
            this.store = store;
            this.calls = calls;
        }

        /** @return the buffer, or null when the caller exports no memory */
        private ByteBuffer buffer() {
            if (!open || Thread.currentThread() != thread) {
                throw new IllegalStateException("the guest memory given to a host function may only be used by"
                        + " that function, on its own thread, while it runs");
            }
            if (!resolved) {
                resolved = true;
                Optional<Extern> export = caller.getExport("memory");
                if (export.isPresent()) {
                    Extern e = export.get();
                    switch (e.type()) {
                        case MEMORY -> memory = e.memory();
                        case FUNC -> e.func().dispose();
                        case GLOBAL -> e.global().dispose();
                        case TABLE -> e.table().dispose();
                        default -> {
                            // UNKNOWN carries no handle.
                        }
                    }
                }
            }
            if (memory == null) {
                return null;
            }
            if (buffer == null || generation != calls.generation()) {
                buffer = GuestMemories.buffer(memory, store);
                generation = calls.generation();
            }
            return buffer;
        }

        @Override
        public long size() {
            ByteBuffer b = buffer();
            return b == null ? 0 : b.capacity();
        }

        @Override
        public byte[] read(long address, int length) {
            ByteBuffer b = buffer();
            return b == null ? NONE.read(address, length) : GuestMemories.read(b, address, length);
        }

        @Override
        public void write(long address, byte[] bytes) {
            Objects.requireNonNull(bytes, "bytes");
            ByteBuffer b = buffer();
            if (b == null) {
                NONE.write(address, bytes);
            } else {
                GuestMemories.write(b, address, bytes);
            }
        }

        @Override
        public void checkBounds(long address, long length) {
            check(address, length, size());
        }

        /** Ends the view when the host function returns. */
        @Override
        public void close() {
            open = false;
            buffer = null;
            if (memory != null) {
                memory.dispose();
                memory = null;
            }
        }
    }
}
