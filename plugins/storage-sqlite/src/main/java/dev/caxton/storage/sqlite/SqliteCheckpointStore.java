package dev.caxton.storage.sqlite;

import dev.caxton.spi.storage.AgentCheckpoint;
import dev.caxton.spi.storage.CheckpointStore;
import dev.caxton.spi.storage.StorageException;
import dev.caxton.spi.storage.StorageWrite;
import java.nio.ByteBuffer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Agent checkpoints: a header row in {@code checkpoints} and the non-zero chunks of memory in
 * {@code checkpoint_chunks}. Written only through {@link SqliteStorage#apply}, so a header and its
 * chunks always change in one transaction.
 */
final class SqliteCheckpointStore implements CheckpointStore {

    private static final String HEADER = "INSERT INTO checkpoints (agent, module_digest, memory_size, chunk_size, globals, "
            + "version) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (agent) DO UPDATE SET module_digest = excluded.module_digest, "
            + "memory_size = excluded.memory_size, chunk_size = excluded.chunk_size, globals = excluded.globals, "
            + "version = excluded.version";
    private static final String CHUNK = "INSERT INTO checkpoint_chunks (agent, chunk_index, bytes) VALUES (?, ?, ?) "
            + "ON CONFLICT (agent, chunk_index) DO UPDATE SET bytes = excluded.bytes";

    private final Database db;

    SqliteCheckpointStore(Database db) {
        this.db = db;
    }

    /**
     * Writes a header, refusing a change of chunk size over existing chunks, and drops the chunks
     * the new memory size no longer covers.
     *
     * @param c the writer, in the batch's transaction
     * @param h the header
     * @throws SQLException when SQLite fails
     * @throws StorageException when the chunk size changes without a drop first
     */
    static void header(Database.Conn c, StorageWrite.CheckpointHeader h) throws SQLException {
        if (h.memorySize() < 0 || h.chunkSize() <= 0 || Integer.bitCount(h.chunkSize()) != 1) {
            throw new StorageException("checkpoint of agent " + h.agent() + ": memory size " + h.memorySize()
                    + " and chunk size " + h.chunkSize() + " are not a valid pair (chunk size must be a power of two)");
        }
        PreparedStatement current = c.prepare("SELECT chunk_size FROM checkpoints WHERE agent = ?");
        current.setString(1, h.agent());
        try (ResultSet rs = current.executeQuery()) {
            if (rs.next() && rs.getInt(1) != h.chunkSize()) {
                throw new StorageException("checkpoint of agent " + h.agent() + ": chunk size changes from "
                        + rs.getInt(1) + " to " + h.chunkSize() + " without dropping the checkpoint first");
            }
        }
        PreparedStatement ps = c.prepare(HEADER);
        ps.setString(1, h.agent());
        ps.setString(2, h.moduleDigest());
        ps.setLong(3, h.memorySize());
        ps.setInt(4, h.chunkSize());
        ps.setBytes(5, encode(h.globals()));
        ps.setLong(6, h.version());
        ps.executeUpdate();
        PreparedStatement shrink = c.prepare("DELETE FROM checkpoint_chunks WHERE agent = ? AND chunk_index >= ?");
        shrink.setString(1, h.agent());
        shrink.setLong(2, chunkCount(h.memorySize(), h.chunkSize()));
        shrink.executeUpdate();
    }

    /**
     * Writes or (for null bytes) removes a chunk.
     *
     * @param c the writer, in the batch's transaction
     * @param w the chunk
     * @throws SQLException when SQLite fails
     */
    static void chunk(Database.Conn c, StorageWrite.CheckpointChunk w) throws SQLException {
        if (w.bytes() == null) {
            PreparedStatement ps = c.prepare("DELETE FROM checkpoint_chunks WHERE agent = ? AND chunk_index = ?");
            ps.setString(1, w.agent());
            ps.setInt(2, w.index());
            ps.executeUpdate();
            return;
        }
        PreparedStatement ps = c.prepare(CHUNK);
        ps.setString(1, w.agent());
        ps.setInt(2, w.index());
        ps.setBytes(3, w.bytes());
        ps.executeUpdate();
    }

    /**
     * Removes an agent's header and chunks.
     *
     * @param c     the writer, in the batch's transaction
     * @param agent the agent
     * @throws SQLException when SQLite fails
     */
    static void drop(Database.Conn c, String agent) throws SQLException {
        for (String sql : new String[] {"DELETE FROM checkpoint_chunks WHERE agent = ?", "DELETE FROM checkpoints WHERE agent = ?"}) {
            PreparedStatement ps = c.prepare(sql);
            ps.setString(1, agent);
            ps.executeUpdate();
        }
    }

    @Override
    public Optional<AgentCheckpoint> load(String agent) {
        Objects.requireNonNull(agent, "agent");
        // One read transaction, so a batch committing in between cannot pair a header with other chunks.
        return db.readSnapshot("load the checkpoint of agent " + agent, c -> {
            PreparedStatement ps = c.prepare("SELECT module_digest, memory_size, chunk_size, globals, version "
                    + "FROM checkpoints WHERE agent = ?");
            ps.setString(1, agent);
            String digest;
            long memorySize;
            int chunkSize;
            long[] globals;
            long version;
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.<AgentCheckpoint>empty();
                }
                digest = rs.getString(1);
                memorySize = rs.getLong(2);
                chunkSize = rs.getInt(3);
                globals = decode(rs.getBytes(4));
                version = rs.getLong(5);
            }
            Map<Integer, byte[]> chunks = new HashMap<>();
            PreparedStatement cs = c.prepare("SELECT chunk_index, bytes FROM checkpoint_chunks WHERE agent = ? "
                    + "AND chunk_index < ? ORDER BY chunk_index");
            cs.setString(1, agent);
            cs.setLong(2, chunkCount(memorySize, chunkSize));
            try (ResultSet rs = cs.executeQuery()) {
                while (rs.next()) {
                    chunks.put(rs.getInt(1), rs.getBytes(2));
                }
            }
            return Optional.of(new AgentCheckpoint(agent, digest, memorySize, chunkSize, globals, chunks, version));
        });
    }

    @Override
    public long count() {
        return db.read("count checkpoints", c -> {
            try (ResultSet rs = c.prepare("SELECT count(*) FROM checkpoints").executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /** How many chunks cover a memory of that size: chunk indexes at or past this are outside it. */
    static long chunkCount(long memorySize, int chunkSize) {
        return (memorySize + chunkSize - 1) / chunkSize;
    }

    private static byte[] encode(long[] globals) {
        ByteBuffer b = ByteBuffer.allocate(globals.length * Long.BYTES);
        for (long g : globals) {
            b.putLong(g);
        }
        return b.array();
    }

    private static long[] decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        long[] globals = new long[bytes.length / Long.BYTES];
        for (int i = 0; i < globals.length; i++) {
            globals[i] = b.getLong();
        }
        return globals;
    }
}
