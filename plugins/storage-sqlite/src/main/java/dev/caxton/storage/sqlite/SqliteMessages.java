package dev.caxton.storage.sqlite;

import static dev.caxton.storage.sqlite.SqliteStorage.bindInstant;
import static dev.caxton.storage.sqlite.SqliteStorage.checkLimit;
import static dev.caxton.storage.sqlite.SqliteStorage.instant;

import dev.caxton.spi.storage.StoredMessage;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What the two message tables, {@code outbox} and {@code dead_letters}, share: their columns, how a
 * row becomes a {@link StoredMessage}, and reads and removals by age through their
 * {@code (at_seconds, at_nanos, seq)} index.
 */
abstract class SqliteMessages {

    /** The columns of a message, in the order {@link #message} reads them, then seq. */
    static final String COLUMNS = "id, receiver, envelope, reason, attempts, at_seconds, at_nanos, seq";

    /** The age order; seq breaks ties in the order rows were first written. */
    static final String AGE = "at_seconds, at_nanos, seq";

    final Database db;
    final String table;
    final String noun;
    private final String count;
    private final String olderThan;

    /**
     * @param db    the database
     * @param table the table; a constant of this package, never user input
     * @param noun  what a row is, for error messages
     */
    SqliteMessages(Database db, String table, String noun) {
        this.db = db;
        this.table = table;
        this.noun = noun;
        this.count = "SELECT count(*) FROM " + table;
        this.olderThan = "SELECT " + COLUMNS + " FROM " + table + " WHERE (at_seconds, at_nanos) < (?, ?) ORDER BY "
                + AGE + " LIMIT ?";
    }

    /** @return how many rows the table holds */
    public long count() {
        return db.read("count " + noun + "s", c -> {
            try (ResultSet rs = c.prepare(count).executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /**
     * Reads rows with a query whose last parameter is the limit.
     *
     * @param sql   the query, selecting {@link #COLUMNS}
     * @param limit the limit
     * @return the messages
     */
    List<StoredMessage> select(String sql, int limit) {
        checkLimit(limit);
        if (limit == 0) {
            return List.of();
        }
        return db.read("list " + noun + "s", c -> {
            PreparedStatement ps = c.prepare(sql);
            ps.setInt(1, limit);
            return messages(ps, limit);
        });
    }

    /**
     * Removes the oldest rows stored before a cutoff, in one transaction, and returns them.
     *
     * @param cutoff rows stored strictly before this go
     * @param limit  the most to remove, at least 1
     * @return the removed messages, oldest first
     */
    List<StoredMessage> removeOldest(Instant cutoff, int limit) {
        java.util.Objects.requireNonNull(cutoff, "cutoff");
        SqliteStorage.checkBatch(limit);
        return db.writeTransaction("remove " + noun + "s older than " + cutoff, c -> {
            PreparedStatement select = c.prepare(olderThan);
            bindInstant(select, 1, cutoff);
            select.setInt(3, limit);
            List<StoredMessage> old = new ArrayList<>();
            List<Long> seqs = new ArrayList<>();
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    old.add(message(rs));
                    seqs.add(rs.getLong(8));
                }
            }
            PreparedStatement delete = c.prepare("DELETE FROM " + table + " WHERE seq = ?");
            for (long seq : seqs) {
                delete.setLong(1, seq);
                delete.executeUpdate();
            }
            return old;
        });
    }

    /**
     * Runs a query and maps its rows.
     *
     * @param ps       the bound statement, selecting {@link #COLUMNS}
     * @param expected a size hint
     * @return the messages in row order
     * @throws SQLException when reading fails
     */
    static List<StoredMessage> messages(PreparedStatement ps, int expected) throws SQLException {
        List<StoredMessage> out = new ArrayList<>(Math.min(expected, 256));
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(message(rs));
            }
        }
        return out;
    }

    /**
     * Binds the columns a message writes: id, receiver, envelope, reason, attempts, at.
     *
     * @param ps the statement whose first seven parameters are those, in that order
     * @param m  the message
     * @throws SQLException when binding fails
     */
    static void bindMessage(PreparedStatement ps, StoredMessage m) throws SQLException {
        ps.setString(1, m.id());
        ps.setString(2, m.receiver());
        ps.setBytes(3, m.envelope());
        ps.setString(4, m.reason());
        ps.setInt(5, m.attempts());
        bindInstant(ps, 6, m.at());
    }

    /**
     * One row as a message.
     *
     * @param rs the row, positioned, with {@link #COLUMNS}
     * @return the message
     * @throws SQLException when reading fails
     */
    static StoredMessage message(ResultSet rs) throws SQLException {
        return new StoredMessage(rs.getString(1), rs.getString(2), rs.getBytes(3), rs.getString(4), rs.getInt(5),
                instant(rs, 6));
    }
}
