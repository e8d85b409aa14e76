package dev.caxton.plugin.storage.sqlite;

import dev.caxton.spi.storage.AgentStore;
import dev.caxton.spi.storage.ConversationStore;
import dev.caxton.spi.storage.DeadLetterStore;
import dev.caxton.spi.storage.OutboxStore;
import dev.caxton.spi.storage.Storage;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;

/** The open SQLite store: the four stores over one {@link Database}. */
final class SqliteStorage implements Storage {

    private final Database db;
    private final SqliteAgentStore agents;
    private final SqliteMessageTable outbox;
    private final SqliteMessageTable deadLetters;
    private final SqliteConversationStore conversations;

    private SqliteStorage(Database db) {
        this.db = db;
        this.agents = new SqliteAgentStore(db);
        this.outbox = new SqliteMessageTable(db, "outbox", "outbox message");
        this.deadLetters = new SqliteMessageTable(db, "dead_letters", "dead letter");
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
}
