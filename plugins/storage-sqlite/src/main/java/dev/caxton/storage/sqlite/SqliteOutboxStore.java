package dev.caxton.storage.sqlite;

import dev.caxton.spi.storage.OutboxStore;
import dev.caxton.spi.storage.StoredMessage;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/** The outbox, keyed by (receiver, id) and served oldest first. */
final class SqliteOutboxStore extends SqliteMessages implements OutboxStore {

    /** How many rows {@link #forEachPending} reads at a time: its memory bound. */
    static final int PAGE = 256;

    // An upsert, not INSERT OR REPLACE: it keeps the row and its seq, so a replaced message keeps
    // its place among messages of the same instant.
    private static final String UPSERT = "INSERT INTO outbox (id, receiver, envelope, reason, attempts, at_seconds, "
            + "at_nanos) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (receiver, id) DO UPDATE SET "
            + "envelope = excluded.envelope, reason = excluded.reason, attempts = excluded.attempts, "
            + "at_seconds = excluded.at_seconds, at_nanos = excluded.at_nanos";
    private static final String DELETE = "DELETE FROM outbox WHERE receiver = ? AND id = ?";
    private static final String OLDEST = "SELECT " + COLUMNS + " FROM outbox ORDER BY " + AGE + " LIMIT ?";
    // Keyset pagination: each page starts strictly after the last row of the previous one in the
    // index order, so a page costs its own rows however deep into the outbox it is.
    private static final String AFTER = "SELECT " + COLUMNS + " FROM outbox WHERE (" + AGE + ") > (?, ?, ?) ORDER BY "
            + AGE + " LIMIT ?";

    SqliteOutboxStore(Database db) {
        super(db, "outbox", "outbox message");
    }

    @Override
    public void add(StoredMessage message) {
        Objects.requireNonNull(message, "message");
        db.writeOne("store outbox message " + message.id(), c -> upsert(c, message));
    }

    /**
     * Adds or replaces a message on a connection (inside a batch, or alone).
     *
     * @param c the writer
     * @param m the message
     * @return the rows changed
     * @throws SQLException when SQLite fails
     */
    static int upsert(Database.Conn c, StoredMessage m) throws SQLException {
        PreparedStatement ps = c.prepare(UPSERT);
        bindMessage(ps, m);
        return ps.executeUpdate();
    }

    /**
     * Removes a message on a connection.
     *
     * @param c        the writer
     * @param receiver the receiver
     * @param id       the id
     * @return whether there was one
     * @throws SQLException when SQLite fails
     */
    static boolean delete(Database.Conn c, String receiver, String id) throws SQLException {
        PreparedStatement ps = c.prepare(DELETE);
        ps.setString(1, receiver);
        ps.setString(2, id);
        return ps.executeUpdate() > 0;
    }

    @Override
    public boolean remove(String receiver, String id) {
        Objects.requireNonNull(receiver, "receiver");
        Objects.requireNonNull(id, "id");
        return db.writeOne("remove outbox message " + id + " for " + receiver, c -> delete(c, receiver, id));
    }

    @Override
    public List<StoredMessage> pending(int limit) {
        return select(OLDEST, limit);
    }

    @Override
    public void forEachPending(Consumer<StoredMessage> action) {
        Objects.requireNonNull(action, "action");
        long[] cursor = null;
        while (true) {
            long[] after = cursor;
            // Each page is read and released before the action sees it, so a slow action holds no
            // connection and the walk holds at most one page in memory.
            Page page = db.read("walk the outbox", c -> {
                PreparedStatement ps;
                if (after == null) {
                    ps = c.prepare(OLDEST);
                    ps.setInt(1, PAGE);
                } else {
                    ps = c.prepare(AFTER);
                    ps.setLong(1, after[0]);
                    ps.setLong(2, after[1]);
                    ps.setLong(3, after[2]);
                    ps.setInt(4, PAGE);
                }
                java.util.ArrayList<StoredMessage> rows = new java.util.ArrayList<>(PAGE);
                long[] last = null;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(message(rs));
                        last = new long[] {rs.getLong(6), rs.getLong(7), rs.getLong(8)};
                    }
                }
                return new Page(rows, last);
            });
            page.rows().forEach(action);
            if (page.rows().size() < PAGE) {
                return;
            }
            cursor = page.last();
        }
    }

    private record Page(List<StoredMessage> rows, long[] last) {
    }

    @Override
    public List<StoredMessage> removeOlderThan(Instant cutoff, int limit) {
        return removeOldest(cutoff, limit);
    }
}
