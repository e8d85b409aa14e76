package dev.caxton.storage.memory;

import dev.caxton.spi.storage.AgentCheckpoint;
import dev.caxton.spi.storage.CheckpointStore;
import dev.caxton.spi.storage.StorageWrite;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Agent checkpoints: a header and the non-zero chunks per agent. Changed only by
 * {@link MemoryStorage#apply} under the store's exclusive lock, read under its shared lock, so a
 * reader never sees half a batch.
 */
final class MemoryCheckpointStore implements CheckpointStore {

    /** What an agent's checkpoint holds; mutable, guarded by the store's lock. */
    private static final class State {
        StorageWrite.CheckpointHeader header;
        final TreeMap<Integer, byte[]> chunks = new TreeMap<>();
    }

    private final MemoryStorage owner;
    private final ConcurrentHashMap<String, State> byAgent = new ConcurrentHashMap<>();

    MemoryCheckpointStore(MemoryStorage owner) {
        this.owner = owner;
    }

    /**
     * The chunk size an agent's checkpoint has now, for validating a batch before applying it.
     *
     * @param agent the agent
     * @return its chunk size, or null when it has no header
     */
    Integer chunkSize(String agent) {
        State s = byAgent.get(agent);
        return s == null || s.header == null ? null : s.header.chunkSize();
    }

    /** Writes a header that was validated; the caller holds the exclusive lock. */
    void header(StorageWrite.CheckpointHeader h) {
        State s = byAgent.computeIfAbsent(h.agent(), a -> new State());
        s.header = h;
        s.chunks.tailMap((int) Math.min(Integer.MAX_VALUE, chunkCount(h.memorySize(), h.chunkSize())), true).clear();
    }

    /** Writes or removes a chunk; the caller holds the exclusive lock. */
    void chunk(StorageWrite.CheckpointChunk c) {
        if (c.bytes() == null) {
            State s = byAgent.get(c.agent());
            if (s != null) {
                s.chunks.remove(c.index());
                forgetIfEmpty(c.agent(), s);
            }
            return;
        }
        byAgent.computeIfAbsent(c.agent(), a -> new State()).chunks.put(c.index(), c.bytes().clone());
    }

    /** Removes a checkpoint; the caller holds the exclusive lock. */
    void drop(String agent) {
        byAgent.remove(agent);
    }

    private void forgetIfEmpty(String agent, State s) {
        if (s.header == null && s.chunks.isEmpty()) {
            byAgent.remove(agent);
        }
    }

    @Override
    public Optional<AgentCheckpoint> load(String agent) {
        Objects.requireNonNull(agent, "agent");
        return owner.shared(() -> {
            State s = byAgent.get(agent);
            if (s == null || s.header == null) {
                return Optional.<AgentCheckpoint>empty();
            }
            StorageWrite.CheckpointHeader h = s.header;
            Map<Integer, byte[]> chunks = new TreeMap<>();
            long count = chunkCount(h.memorySize(), h.chunkSize());
            s.chunks.headMap((int) Math.min(Integer.MAX_VALUE, count), false)
                    .forEach((i, b) -> chunks.put(i, b.clone()));
            return Optional.of(new AgentCheckpoint(agent, h.moduleDigest(), h.memorySize(), h.chunkSize(), h.globals(),
                    chunks, h.version()));
        });
    }

    @Override
    public long count() {
        return owner.shared(() -> byAgent.values().stream().filter(s -> s.header != null).count());
    }

    /** How many chunks cover a memory of that size: indexes at or past this are outside it. */
    static long chunkCount(long memorySize, int chunkSize) {
        return (memorySize + chunkSize - 1) / chunkSize;
    }

    void clear() {
        byAgent.clear();
    }
}
