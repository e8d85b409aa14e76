package dev.caxton.runtime.durability;

import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.storage.AgentCheckpoint;
import dev.caxton.spi.storage.StorageWrite;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Keeps one durable agent's state in step with storage: after each message it compares the
 * instance's memory with the last checkpoint in fixed-size chunks and returns the writes for what
 * changed (a header and the changed chunks), nothing when nothing changed; it puts a checkpoint back
 * into a fresh instance after a restart or a fault.
 *
 * <p>The comparison is against a shadow copy of the last checkpoint held here, so a message that
 * touched one page of a 16 MiB memory writes one chunk. Reading the memory costs a copy of it per
 * message; engines give no dirty-page tracking through the SPI, and the copy was measured cheaper
 * than the write it avoids (figures in docs/durability.md).
 *
 * <p>Not thread-safe: used by the agent's own thread.
 */
public final class Checkpointer {

    /** The chunk size: one WebAssembly page is 16 of them. */
    public static final int CHUNK = 4096;

    private final String agent;
    private String moduleDigest;
    private byte[] shadow = new byte[0];
    private long[] globals;
    private long version = -1;
    private final byte[] scratch = new byte[CHUNK];
    private long bytesWritten;
    // Whether the agent keeps state on the host too (an Extism plugin's vars). The checkpoint has no
    // field for it, so it rides after the module's globals: [globals..., words..., byte length, global count].
    private final boolean hostful;

    /**
     * A checkpointer with no state written yet.
     *
     * @param agent        the agent
     * @param moduleDigest the digest of its module
     */
    public Checkpointer(String agent, String moduleDigest) {
        this(agent, moduleDigest, false);
    }

    /**
     * A checkpointer with no state written yet, for an agent that may also keep state on the host.
     *
     * @param agent        the agent
     * @param moduleDigest the digest of its module
     * @param hostState    whether {@link #capture(WasmInstance, byte[])} is given host state to keep
     */
    public Checkpointer(String agent, String moduleDigest, boolean hostState) {
        this.agent = agent;
        this.moduleDigest = moduleDigest;
        this.hostful = hostState;
    }

    /**
     * The host state of the last checkpoint.
     *
     * @return its bytes, empty when there is none (no checkpoint, or an agent without host state)
     */
    public byte[] hostState() {
        if (!hostful || globals == null || globals.length < 2) {
            return new byte[0];
        }
        int count = (int) globals[globals.length - 1];
        int length = (int) globals[globals.length - 2];
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            out[i] = (byte) (globals[count + i / 8] >>> (8 * (i % 8)));
        }
        return out;
    }

    /** The module's own globals of a stored array: without the host state riding after them. */
    private long[] moduleGlobals(long[] stored) {
        if (!hostful || stored.length < 2) {
            return stored;
        }
        return Arrays.copyOf(stored, (int) stored[stored.length - 1]);
    }

    private long[] withHostState(long[] moduleGlobals, byte[] host) {
        if (!hostful) {
            return moduleGlobals;
        }
        byte[] h = host == null ? new byte[0] : host;
        int words = (h.length + 7) / 8;
        long[] out = Arrays.copyOf(moduleGlobals, moduleGlobals.length + words + 2);
        for (int i = 0; i < h.length; i++) {
            out[moduleGlobals.length + i / 8] |= (h[i] & 0xFFL) << (8 * (i % 8));
        }
        out[out.length - 2] = h.length;
        out[out.length - 1] = moduleGlobals.length;
        return out;
    }

    /**
     * Takes a stored checkpoint as the last one, without touching an instance yet.
     *
     * @param cp the checkpoint
     */
    public void adopt(AgentCheckpoint cp) {
        byte[] mem = new byte[Math.toIntExact(cp.memorySize())];
        int chunk = cp.chunkSize();
        cp.chunks().forEach((index, bytes) -> {
            long at = (long) index * chunk;
            if (at < mem.length) {
                System.arraycopy(bytes, 0, mem, (int) at, (int) Math.min(bytes.length, mem.length - at));
            }
        });
        shadow = mem;
        globals = cp.globals();
        version = cp.version();
    }

    /** @return whether a checkpoint exists (written or adopted) */
    public boolean hasState() {
        return globals != null;
    }

    /** @return the digest of the module the state belongs to */
    public String moduleDigest() {
        return moduleDigest;
    }

    /** @return the version of the last checkpoint, -1 before the first */
    public long version() {
        return version;
    }

    /** @return the memory size of the last checkpoint in bytes */
    public long stateBytes() {
        return shadow.length;
    }

    /** @return chunk bytes written since start */
    public long bytesWritten() {
        return bytesWritten;
    }

    /**
     * Puts the last checkpoint into an instance: grows its memory to the checkpoint's size, writes
     * every chunk (zeros where the checkpoint has none) and sets the mutable globals. Memory the
     * instance has beyond the checkpoint is zeroed: the agent's state is exactly the checkpoint.
     *
     * @param inst a fresh instance of a module with the same globals
     * @throws IllegalStateException when the instance cannot take the state (memory limit, globals)
     */
    public void restoreInto(WasmInstance inst) {
        if (!hasState()) {
            return;
        }
        GuestMemory mem = inst.memory();
        long have = mem.size();
        if (have < shadow.length) {
            long pages = (shadow.length - have + 65535) / 65536;
            if (mem.grow(pages) < 0) {
                throw new IllegalStateException("the saved state of '" + agent + "' needs " + shadow.length
                        + " bytes of memory; the instance cannot grow from " + have + " bytes to that");
            }
        }
        long size = mem.size();
        byte[] zeros = null;
        for (long at = 0; at < size; at += CHUNK) {
            int len = (int) Math.min(CHUNK, size - at);
            if (at < shadow.length) {
                int n = (int) Math.min(len, shadow.length - at);
                mem.write(at, Arrays.copyOfRange(shadow, (int) at, (int) at + n));
                if (n < len) {
                    mem.write(at + n, new byte[len - n]);
                }
            } else {
                if (zeros == null) {
                    zeros = new byte[CHUNK];
                }
                mem.write(at, len == CHUNK ? zeros : new byte[len]);
            }
        }
        long[] now = inst.mutableGlobals();
        long[] saved = moduleGlobals(globals);
        if (now.length != saved.length) {
            throw new IllegalStateException("the saved state of '" + agent + "' has " + saved.length
                    + " mutable globals; this module defines " + now.length);
        }
        inst.restoreMutableGlobals(saved);
    }

    /**
     * The writes that bring storage to the instance's current state, and the shadow with it.
     *
     * @param inst the agent's instance after a message
     * @return the writes, empty when nothing changed
     */
    public List<StorageWrite> capture(WasmInstance inst) {
        return capture(inst, null);
    }

    /**
     * The writes that bring storage to the instance's current state and the agent's host state.
     *
     * @param inst the agent's instance after a message
     * @param host the host state (for a checkpointer made with host state), or null
     * @return the writes, empty when nothing changed
     */
    public List<StorageWrite> capture(WasmInstance inst, byte[] host) {
        GuestMemory mem = inst.memory();
        long size = mem.size();
        long[] g = withHostState(inst.mutableGlobals(), host);
        List<StorageWrite> out = new ArrayList<>();
        byte[] old = shadow;
        if (size != old.length) {
            shadow = Arrays.copyOf(old, Math.toIntExact(size));
        }
        for (long at = 0; at < size; at += CHUNK) {
            int len = (int) Math.min(CHUNK, size - at);
            mem.read(at, scratch, 0, len);
            int off = (int) at;
            boolean before = off < old.length;
            if (before && Arrays.equals(scratch, 0, len, old, off, off + len)) {
                continue;
            }
            if (!before && allZero(scratch, len)) {
                continue;
            }
            System.arraycopy(scratch, 0, shadow, off, len);
            out.add(new StorageWrite.CheckpointChunk(agent, (int) (at / CHUNK),
                    allZero(scratch, len) ? null : Arrays.copyOf(scratch, len)));
            bytesWritten += len;
        }
        if (out.isEmpty() && size == old.length && Arrays.equals(g, globals)) {
            return List.of();
        }
        globals = g;
        version++;
        out.addFirst(new StorageWrite.CheckpointHeader(agent, moduleDigest, size, CHUNK, g, version));
        return out;
    }

    /**
     * Forgets the state (the module changed): the next capture writes the whole new state.
     *
     * @param newDigest the digest of the new module
     * @return the write that removes the stored state
     */
    public StorageWrite reset(String newDigest) {
        moduleDigest = newDigest;
        shadow = new byte[0];
        globals = null;
        version = -1;
        return new StorageWrite.CheckpointDrop(agent);
    }

    /**
     * Keeps the state for a new module whose author vouches for the same memory layout.
     *
     * @param newDigest the digest of the new module
     * @return the write that records the state under the new module
     */
    public List<StorageWrite> rebind(String newDigest) {
        moduleDigest = newDigest;
        if (!hasState()) {
            return List.of();
        }
        version++;
        return List.of(new StorageWrite.CheckpointHeader(agent, moduleDigest, shadow.length, CHUNK, globals, version));
    }

    private static boolean allZero(byte[] b, int len) {
        for (int i = 0; i < len; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
