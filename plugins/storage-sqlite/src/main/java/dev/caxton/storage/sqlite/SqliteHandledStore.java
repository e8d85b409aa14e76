package dev.caxton.storage.sqlite;

import static dev.caxton.storage.sqlite.SqliteStorage.bindInstant;

import dev.caxton.spi.storage.HandledStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Objects;

/** Handled message ids per receiver, in {@code handled}, forgotten oldest first through its age index. */
final class SqliteHandledStore implements HandledStore {

    private static final String MARK = "INSERT INTO handled (receiver, id, at_seconds, at_nanos) VALUES (?, ?, ?, ?) "
            + "ON CONFLICT (receiver, id) DO UPDATE SET at_seconds = excluded.at_seconds, at_nanos = excluded.at_nanos";
    // A bounded batch: the subquery walks handled_by_age from its start and stops at the limit.
    private static final String FORGET = "DELETE FROM handled WHERE (receiver, id) IN (SELECT receiver, id FROM handled "
            + "WHERE (at_seconds, at_nanos) < (?, ?) ORDER BY at_seconds, at_nanos LIMIT ?)";

    private final Database db;

    SqliteHandledStore(Database db) {
        this.db = db;
    }

    /**
     * Marks a message handled on a connection, inside a batch.
     *
     * @param c        the writer
     * @param receiver the receiver
     * @param id       the message id
     * @param at       when
     * @throws SQLException when SQLite fails
     */
    static void mark(Database.Conn c, String receiver, String id, Instant at) throws SQLException {
        PreparedStatement ps = c.prepare(MARK);
        ps.setString(1, receiver);
        ps.setString(2, id);
        bindInstant(ps, 3, at);
        ps.executeUpdate();
    }

    @Override
    public boolean contains(String receiver, String id) {
        Objects.requireNonNull(receiver, "receiver");
        Objects.requireNonNull(id, "id");
        return db.read("look up handled message " + id, c -> {
            PreparedStatement ps = c.prepare("SELECT 1 FROM handled WHERE receiver = ? AND id = ?");
            ps.setString(1, receiver);
            ps.setString(2, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        });
    }

    @Override
    public int removeOlderThan(Instant cutoff, int limit) {
        Objects.requireNonNull(cutoff, "cutoff");
        SqliteStorage.checkBatch(limit);
        return db.writeOne("forget handled messages older than " + cutoff, c -> {
            PreparedStatement ps = c.prepare(FORGET);
            bindInstant(ps, 1, cutoff);
            ps.setInt(3, limit);
            return ps.executeUpdate();
        });
    }

    @Override
    public long count() {
        return db.read("count handled messages", c -> {
            try (ResultSet rs = c.prepare("SELECT count(*) FROM handled").executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }
}
