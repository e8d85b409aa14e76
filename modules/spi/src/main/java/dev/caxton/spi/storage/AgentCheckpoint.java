package dev.caxton.spi.storage;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The durable state of an agent as last checkpointed: its linear memory, cut into fixed-size
 * chunks, and the values of its mutable globals. Chunks that are all zero are not stored: a chunk
 * index inside {@code memorySize} with no entry reads as zeros.
 *
 * @param agent        the agent's name
 * @param moduleDigest the SHA-256 (hex) of the module the state belongs to; a different module
 *                     means a different memory layout
 * @param memorySize   the memory size in bytes
 * @param chunkSize    the size of every chunk but possibly the last, in bytes (a power of two)
 * @param globals      the mutable globals, in the engine SPI's encoding and the module's order
 * @param chunks       the non-zero chunks by index
 * @param version      how many checkpoints were written before this one (0 for the first)
 */
public record AgentCheckpoint(String agent, String moduleDigest, long memorySize, int chunkSize, long[] globals,
                              Map<Integer, byte[]> chunks, long version) {

    /** Checks and copies the parts. */
    public AgentCheckpoint {
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(moduleDigest, "moduleDigest");
        if (memorySize < 0) {
            throw new IllegalArgumentException("memorySize cannot be negative");
        }
        if (chunkSize <= 0 || Integer.bitCount(chunkSize) != 1) {
            throw new IllegalArgumentException("chunkSize must be a power of two, got " + chunkSize);
        }
        globals = globals.clone();
        chunks = java.util.Collections.unmodifiableMap(new TreeMap<>(chunks));
    }

    @Override
    public long[] globals() {
        return globals.clone();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof AgentCheckpoint c) || !agent.equals(c.agent) || !moduleDigest.equals(c.moduleDigest)
                || memorySize != c.memorySize || chunkSize != c.chunkSize || version != c.version
                || !Arrays.equals(globals, c.globals) || !chunks.keySet().equals(c.chunks.keySet())) {
            return false;
        }
        for (Map.Entry<Integer, byte[]> e : chunks.entrySet()) {
            if (!Arrays.equals(e.getValue(), c.chunks.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Objects.hash(agent, moduleDigest, memorySize, chunkSize, version) * 31 + Arrays.hashCode(globals);
    }

    @Override
    public String toString() {
        return "AgentCheckpoint[" + agent + ", module " + moduleDigest + ", " + memorySize + " bytes in "
                + chunks.size() + " chunks of " + chunkSize + ", " + globals.length + " globals, version " + version + "]";
    }
}
