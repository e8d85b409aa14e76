package dev.caxton.runtime.durability;

import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.MemoryAccessException;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.storage.AgentCheckpoint;
import dev.caxton.spi.storage.StorageWrite;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointerTest {

    private static final int PAGE = 65536;

    /** An instance that is only memory and globals, with the growth limit of a real one. */
    static final class FakeInstance implements WasmInstance, GuestMemory {
        byte[] mem;
        long[] globals;
        final int maxPages;

        FakeInstance(int pages, int maxPages, long... globals) {
            this.mem = new byte[pages * PAGE];
            this.maxPages = maxPages;
            this.globals = globals.clone();
        }

        @Override
        public Optional<FunctionType> exportedFunction(String name) {
            return Optional.empty();
        }

        @Override
        public long[] call(String name, long... args) {
            throw new IllegalArgumentException("no functions");
        }

        @Override
        public GuestMemory memory() {
            return this;
        }

        @Override
        public long global(String name) {
            throw new IllegalArgumentException(name);
        }

        @Override
        public long[] mutableGlobals() {
            return globals.clone();
        }

        @Override
        public void restoreMutableGlobals(long[] values) {
            if (values.length != globals.length) {
                throw new IllegalArgumentException("expected " + globals.length + " globals, got " + values.length);
            }
            globals = values.clone();
        }

        @Override
        public void close() {
        }

        @Override
        public long size() {
            return mem.length;
        }

        @Override
        public byte[] read(long address, int length) {
            checkBounds(address, length);
            return Arrays.copyOfRange(mem, (int) address, (int) address + length);
        }

        @Override
        public void write(long address, byte[] bytes) {
            checkBounds(address, bytes.length);
            System.arraycopy(bytes, 0, mem, (int) address, bytes.length);
        }

        @Override
        public long grow(long pages) {
            long old = mem.length / PAGE;
            if (old + pages > maxPages) {
                return -1;
            }
            mem = Arrays.copyOf(mem, (int) ((old + pages) * PAGE));
            return old;
        }
    }

    /** Applies checkpoint writes the way a store does, to check what a store would hold. */
    private static final class Store {
        long size;
        long[] globals;
        long version = -1;
        String digest;
        final Map<Integer, byte[]> chunks = new HashMap<>();

        void apply(List<StorageWrite> writes) {
            for (StorageWrite w : writes) {
                switch (w) {
                    case StorageWrite.CheckpointHeader h -> {
                        size = h.memorySize();
                        globals = h.globals();
                        version = h.version();
                        digest = h.moduleDigest();
                        chunks.keySet().removeIf(i -> (long) i * h.chunkSize() >= h.memorySize());
                    }
                    case StorageWrite.CheckpointChunk c -> {
                        if (c.bytes() == null) {
                            chunks.remove(c.index());
                        } else {
                            chunks.put(c.index(), c.bytes());
                        }
                    }
                    case StorageWrite.CheckpointDrop d -> {
                        chunks.clear();
                        globals = null;
                    }
                    default -> throw new AssertionError(w);
                }
            }
        }

        AgentCheckpoint checkpoint() {
            return new AgentCheckpoint("a", digest, size, Checkpointer.CHUNK, globals, chunks, version);
        }
    }

    @Test
    void theFirstCaptureWritesEveryNonZeroChunkAndLaterOnesOnlyWhatChanged() {
        FakeInstance inst = new FakeInstance(1, 4, 7L, 9L);
        inst.mem[10] = 1;
        inst.mem[5000] = 2;
        Checkpointer cp = new Checkpointer("a", "d1");
        Store store = new Store();

        List<StorageWrite> first = cp.capture(inst);
        store.apply(first);
        assertThat(first.getFirst()).isInstanceOf(StorageWrite.CheckpointHeader.class);
        assertThat(first).filteredOn(StorageWrite.CheckpointChunk.class::isInstance)
                .extracting(w -> ((StorageWrite.CheckpointChunk) w).index()).containsExactly(0, 1);

        assertThat(cp.capture(inst)).as("nothing changed").isEmpty();

        inst.mem[3 * Checkpointer.CHUNK + 1] = 5;
        List<StorageWrite> second = cp.capture(inst);
        store.apply(second);
        assertThat(second).filteredOn(StorageWrite.CheckpointChunk.class::isInstance)
                .extracting(w -> ((StorageWrite.CheckpointChunk) w).index()).containsExactly(3);
        assertThat(((StorageWrite.CheckpointHeader) second.getFirst()).version()).isEqualTo(1);

        inst.globals[1] = 10;
        List<StorageWrite> third = cp.capture(inst);
        assertThat(third).as("a global alone changes the header only").hasSize(1);
        store.apply(third);

        inst.mem[10] = 0;
        List<StorageWrite> fourth = cp.capture(inst);
        store.apply(fourth);
        assertThat(fourth).filteredOn(StorageWrite.CheckpointChunk.class::isInstance)
                .extracting(w -> ((StorageWrite.CheckpointChunk) w).bytes()).containsExactly((byte[]) null);
        assertThat(store.chunks).containsOnlyKeys(1, 3);
    }

    @Test
    void aCheckpointRestoredIntoAFreshInstanceIsTheStateByteForByteIncludingGrowth() {
        FakeInstance inst = new FakeInstance(1, 4, 1L, 2L, 3L);
        Checkpointer cp = new Checkpointer("a", "d1");
        Store store = new Store();
        inst.grow(2);
        inst.mem[2 * PAGE + 100] = 42;
        inst.mem[7] = -1;
        inst.globals = new long[] {11, 22, Double.doubleToRawLongBits(Double.NaN) | 1};
        store.apply(cp.capture(inst));

        // A fresh instance whose init left other bytes around.
        FakeInstance fresh = new FakeInstance(1, 4, 0L, 0L, 0L);
        fresh.mem[300] = 9;
        Checkpointer restored = new Checkpointer("a", "d1");
        restored.adopt(store.checkpoint());
        restored.restoreInto(fresh);

        assertThat(fresh.mem).isEqualTo(inst.mem);
        assertThat(fresh.globals).isEqualTo(inst.globals);
        assertThat(restored.capture(fresh)).as("restored state equals the checkpoint").isEmpty();
    }

    @Test
    void hostStateRidesWithTheGlobalsAndComesBackWithoutDisturbingThem() {
        FakeInstance inst = new FakeInstance(1, 4, 5L, 6L);
        Checkpointer cp = new Checkpointer("a", "d1", true);
        Store store = new Store();
        byte[] host = "count=41 and some more bytes".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        store.apply(cp.capture(inst, host));
        assertThat(cp.capture(inst, host)).as("nothing changed").isEmpty();
        byte[] changed = host.clone();
        changed[7] = '2';
        List<StorageWrite> onlyHost = cp.capture(inst, changed);
        assertThat(onlyHost).as("host state alone changes the header only").hasSize(1);
        store.apply(onlyHost);

        Checkpointer restored = new Checkpointer("a", "d1", true);
        restored.adopt(store.checkpoint());
        assertThat(restored.hostState()).isEqualTo(changed);
        FakeInstance fresh = new FakeInstance(1, 4, 0L, 0L);
        restored.restoreInto(fresh);
        assertThat(fresh.globals).containsExactly(5L, 6L);
        assertThat(restored.capture(fresh, changed)).isEmpty();
        assertThat(new Checkpointer("a", "d1", true).hostState()).as("before any checkpoint").isEmpty();
        assertThat(new Checkpointer("a", "d1").hostState()).isEmpty();
    }

    @Test
    void stateThatDoesNotFitTheInstanceIsRefusedWithWhy() {
        FakeInstance big = new FakeInstance(3, 3, 1L);
        Checkpointer cp = new Checkpointer("a", "d1");
        cp.capture(big);

        assertThatThrownBy(() -> cp.restoreInto(new FakeInstance(1, 2, 1L)))
                .hasMessageContaining("needs 196608 bytes");
        assertThatThrownBy(() -> cp.restoreInto(new FakeInstance(3, 3, 1L, 2L)))
                .hasMessageContaining("has 1 mutable globals; this module defines 2");
    }

    @Test
    void resetStartsOverAndRebindKeepsTheStateUnderTheNewModule() {
        FakeInstance inst = new FakeInstance(1, 1, 1L);
        inst.mem[0] = 1;
        Checkpointer cp = new Checkpointer("a", "d1");
        cp.capture(inst);

        List<StorageWrite> rebind = cp.rebind("d2");
        assertThat(rebind).singleElement().satisfies(w ->
                assertThat(((StorageWrite.CheckpointHeader) w).moduleDigest()).isEqualTo("d2"));
        assertThat(cp.reset("d3")).isEqualTo(new StorageWrite.CheckpointDrop("a"));
        assertThat(cp.hasState()).isFalse();
        assertThat(cp.capture(inst)).filteredOn(StorageWrite.CheckpointChunk.class::isInstance).hasSize(1);
    }

    @Test
    void readsOutsideTheMemoryAreStillRefused() {
        FakeInstance inst = new FakeInstance(1, 1);
        assertThatThrownBy(() -> inst.read(PAGE - 1, 2)).isInstanceOf(MemoryAccessException.class);
    }
}
