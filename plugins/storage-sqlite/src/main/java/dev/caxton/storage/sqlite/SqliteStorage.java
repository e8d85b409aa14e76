package dev.caxton.storage.sqlite;

import dev.caxton.spi.storage.AgentStore;
import dev.caxton.spi.storage.CheckpointStore;
import dev.caxton.spi.storage.ConversationStore;
import dev.caxton.spi.storage.DeadLetterStore;
import dev.caxton.spi.storage.HandledStore;
import dev.caxton.spi.storage.OutboxStore;
import dev.caxton.spi.storage.Storage;
import dev.caxton.spi.storage.StorageException;
import dev.caxton.spi.storage.StorageWrite;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The open SQLite store: every store over one {@link Database}. */
final class SqliteStorage implements Storage {

    private final Database db;
    private final SqliteAgentStore agents;
    private final SqliteOutboxStore outbox;
    private final SqliteHandledStore handled;
    private final SqliteCheckpointStore checkpoints;
    private final SqliteDeadLetterStore deadLetters;
    private final SqliteConversationStore conversations;

    private SqliteStorage(Database db) {
        this.db = db;
        this.agents = new SqliteAgentStore(db);
        this.outbox = new SqliteOutboxStore(db);
        this.handled = new SqliteHandledStore(db);
        this.checkpoints = new SqliteCheckpointStore(db);
        this.deadLetters = new SqliteDeadLetterStore(db);
        this.conversations = new SqliteConversationStore(db);
    }

    /**
     * Opens the file the settings name.
     *
     * @param settings the options
     * @return the store
     */
    static SqliteStorage open(Settings settings) {
        return new SqliteStorage(Database.open(settings));
    }

    @Override
    public AgentStore agents() {
        return agents;
    }

    @Override
    public OutboxStore outbox() {
        return outbox;
    }

    @Override
    public HandledStore handled() {
        return handled;
    }

    @Override
    public CheckpointStore checkpoints() {
        return checkpoints;
    }

    /**
     * One {@code BEGIN IMMEDIATE} transaction on the writer for the whole batch, with the writer's
     * cached prepared statements: the commit (one WAL append, one sync at {@code synchronous=full})
     * is what a write costs, so a batch of many writes costs little more than one.
     */
    @Override
    public void apply(List<StorageWrite> writes) {
        Objects.requireNonNull(writes, "writes");
        if (writes.isEmpty()) {
            return;
        }
        // Which write was running when the batch failed: -1 before the first (the transaction did
        // not begin), writes.size() after the last (the commit failed).
        int[] at = {-1};
        try {
            db.writeTransaction("apply a batch of " + writes.size() + " writes", c -> {
                for (StorageWrite w : writes) {
                    at[0]++;
                    write(c, Objects.requireNonNull(w, "write"));
                }
                at[0] = writes.size();
                return null;
            });
        } catch (StorageException e) {
            String where = at[0] < 0 ? "before its first write"
                    : at[0] < writes.size() ? "at write " + (at[0] + 1) + " of " + writes.size() + ": "
                            + describe(writes.get(at[0]))
                    : "at its commit";
            throw new StorageException(e.getMessage() + " (" + where + "); nothing of the batch was stored", e);
        }
    }

    private static void write(Database.Conn c, StorageWrite w) throws SQLException {
        switch (w) {
            case StorageWrite.OutboxAdd a -> SqliteOutboxStore.upsert(c, a.message());
            case StorageWrite.OutboxRemove r -> SqliteOutboxStore.delete(c, r.receiver(), r.id());
            case StorageWrite.MarkHandled h -> SqliteHandledStore.mark(c, h.receiver(), h.id(), h.at());
            case StorageWrite.DeadLetterAdd d -> SqliteDeadLetterStore.upsert(c, d.message());
            case StorageWrite.CheckpointHeader h -> SqliteCheckpointStore.header(c, h);
            case StorageWrite.CheckpointChunk k -> SqliteCheckpointStore.chunk(c, k);
            case StorageWrite.CheckpointDrop d -> SqliteCheckpointStore.drop(c, d.agent());
        }
    }

    /** A write in words, for the message of a failed batch; never its payload. */
    static String describe(StorageWrite w) {
        return switch (w) {
            case null -> "null";
            case StorageWrite.OutboxAdd a -> "add outbox message " + a.message().id() + " for " + a.message().receiver();
            case StorageWrite.OutboxRemove r -> "remove outbox message " + r.id() + " for " + r.receiver();
            case StorageWrite.MarkHandled h -> "mark message " + h.id() + " handled by " + h.receiver();
            case StorageWrite.DeadLetterAdd d -> "add dead letter " + d.message().id();
            case StorageWrite.CheckpointHeader h -> "write the checkpoint header of agent " + h.agent();
            case StorageWrite.CheckpointChunk k -> "write checkpoint chunk " + k.index() + " of agent " + k.agent();
            case StorageWrite.CheckpointDrop d -> "drop the checkpoint of agent " + d.agent();
        };
    }

    @Override
    public DeadLetterStore deadLetters() {
        return deadLetters;
    }

    @Override
    public ConversationStore conversations() {
        return conversations;
    }

    @Override
    public boolean durable() {
        return true;
    }

    /** A consistent copy made while the node runs; see {@link SqliteBackup} for how and why. */
    @Override
    public void backup(Path target) {
        SqliteBackup.copy(path(), target);
    }

    /** Checkpoints the WAL into the file and closes every connection; idempotent. */
    @Override
    public void close() {
        db.close();
    }

    /** @return the database file */
    Path path() {
        return db.path();
    }

    /**
     * The pragmas in effect on each connection, as SQLite reports them (for tests and diagnostics).
     *
     * @return by connection, the pragma values
     */
    Map<String, Map<String, String>> pragmas() {
        return db.pragmas();
    }

    /** @return the connections, for tests that check how they behave */
    Database database() {
        return db;
    }

    /**
     * Binds an instant as two parameters, seconds then nanoseconds.
     *
     * @param ps    the statement
     * @param index the index of the seconds parameter
     * @param at    the instant
     * @throws SQLException when binding fails
     */
    static void bindInstant(PreparedStatement ps, int index, Instant at) throws SQLException {
        ps.setLong(index, at.getEpochSecond());
        ps.setInt(index + 1, at.getNano());
    }

    /**
     * Reads an instant from two columns, seconds then nanoseconds.
     *
     * @param rs    the row
     * @param index the index of the seconds column
     * @return the instant
     * @throws SQLException when reading fails
     */
    static Instant instant(ResultSet rs, int index) throws SQLException {
        return Instant.ofEpochSecond(rs.getLong(index), rs.getInt(index + 1));
    }

    /**
     * Checks a list limit.
     *
     * @param limit the limit
     * @return the limit
     * @throws IllegalArgumentException when negative
     */
    static int checkLimit(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative, got " + limit);
        }
        return limit;
    }

    /**
     * Checks the size of a cleanup batch.
     *
     * @param limit the most rows to remove in one call
     * @return the limit
     * @throws IllegalArgumentException when below 1
     */
    static int checkBatch(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        }
        return limit;
    }
}
