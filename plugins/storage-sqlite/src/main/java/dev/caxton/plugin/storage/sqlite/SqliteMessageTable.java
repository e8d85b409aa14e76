package dev.caxton.plugin.storage.sqlite;

import static dev.caxton.plugin.storage.sqlite.SqliteStorage.bindInstant;
import static dev.caxton.plugin.storage.sqlite.SqliteStorage.checkLimit;
import static dev.caxton.plugin.storage.sqlite.SqliteStorage.instant;

import dev.caxton.spi.storage.DeadLetterStore;
import dev.caxton.spi.storage.OutboxStore;
import dev.caxton.spi.storage.StoredMessage;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One table of messages: {@code outbox} (served oldest first) or {@code dead_letters} (listed
 * newest first); both read their age index, one forwards and one backwards.
 */
final class SqliteMessageTable implements OutboxStore, DeadLetterStore {

    private static final String COLUMNS = "id, receiver, envelope, reason, attempts, at_seconds, at_nanos";

    private final Database db;
    private final String noun;
    private final String upsert;
    private final String delete;
    private final String selectById;
    private final String oldestFirst;
    private final String newestFirst;
    private final String count;

    /**
     * @param db    the database
     * @param table the table; a constant of this package, never user input
     * @param noun  what a row is, for error messages
     */
    SqliteMessageTable(Database db, String table, String noun) {
        this.db = db;
        this.noun = noun;
        // An upsert, not INSERT OR REPLACE: it keeps the row and its seq, so a replaced message keeps
        // its place among messages of the same instant.
        this.upsert = "INSERT INTO " + table + " (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE "
                + "SET receiver = excluded.receiver, envelope = excluded.envelope, reason = excluded.reason, "
                + "attempts = excluded.attempts, at_seconds = excluded.at_seconds, at_nanos = excluded.at_nanos";
        this.delete = "DELETE FROM " + table + " WHERE id = ?";
        this.selectById = "SELECT " + COLUMNS + " FROM " + table + " WHERE id = ?";
        this.oldestFirst = "SELECT " + COLUMNS + " FROM " + table + " ORDER BY at_seconds, at_nanos, seq LIMIT ?";
        this.newestFirst = "SELECT " + COLUMNS + " FROM " + table
                + " ORDER BY at_seconds DESC, at_nanos DESC, seq DESC LIMIT ?";
        this.count = "SELECT count(*) FROM " + table;
    }

    @Override
    public void add(StoredMessage message) {
        Objects.requireNonNull(message, "message");
        db.writeOne("store " + noun + " " + message.id(), c -> {
            PreparedStatement ps = c.prepare(upsert);
            ps.setString(1, message.id());
            ps.setString(2, message.receiver());
            ps.setBytes(3, message.envelope());
            ps.setString(4, message.reason());
            ps.setInt(5, message.attempts());
            bindInstant(ps, 6, message.at());
            return ps.executeUpdate();
        });
    }

    @Override
    public boolean remove(String id) {
        Objects.requireNonNull(id, "id");
        return db.writeOne("remove " + noun + " " + id, c -> {
            PreparedStatement ps = c.prepare(delete);
            ps.setString(1, id);
            return ps.executeUpdate() > 0;
        });
    }

    @Override
    public Optional<StoredMessage> get(String id) {
        Objects.requireNonNull(id, "id");
        return db.read("read " + noun + " " + id, c -> {
            PreparedStatement ps = c.prepare(selectById);
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(message(rs)) : Optional.<StoredMessage>empty();
            }
        });
    }

    @Override
    public List<StoredMessage> pending(int limit) {
        return select(oldestFirst, limit);
    }

    @Override
    public List<StoredMessage> list(int limit) {
        return select(newestFirst, limit);
    }

    @Override
    public long count() {
        return db.read("count " + noun + "s", c -> {
            try (ResultSet rs = c.prepare(count).executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    private List<StoredMessage> select(String sql, int limit) {
        checkLimit(limit);
        if (limit == 0) {
            return List.of();
        }
        return db.read("list " + noun + "s", c -> {
            PreparedStatement ps = c.prepare(sql);
            ps.setInt(1, limit);
            List<StoredMessage> out = new ArrayList<>(Math.min(limit, 256));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(message(rs));
                }
            }
            return out;
        });
    }

    private static StoredMessage message(ResultSet rs) throws SQLException {
        return new StoredMessage(rs.getString(1), rs.getString(2), rs.getBytes(3), rs.getString(4), rs.getInt(5),
                instant(rs, 6));
    }
}
