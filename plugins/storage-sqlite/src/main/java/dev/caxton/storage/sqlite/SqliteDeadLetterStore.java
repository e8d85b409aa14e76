package dev.caxton.storage.sqlite;

import dev.caxton.spi.storage.DeadLetterStore;
import dev.caxton.spi.storage.StoredMessage;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** The dead letters, keyed by id and listed newest first (the age index read backwards). */
final class SqliteDeadLetterStore extends SqliteMessages implements DeadLetterStore {

    private static final String UPSERT = "INSERT INTO dead_letters (id, receiver, envelope, reason, attempts, "
            + "at_seconds, at_nanos) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            + "receiver = excluded.receiver, envelope = excluded.envelope, reason = excluded.reason, "
            + "attempts = excluded.attempts, at_seconds = excluded.at_seconds, at_nanos = excluded.at_nanos";
    private static final String NEWEST = "SELECT " + COLUMNS + " FROM dead_letters "
            + "ORDER BY at_seconds DESC, at_nanos DESC, seq DESC LIMIT ?";

    SqliteDeadLetterStore(Database db) {
        super(db, "dead_letters", "dead letter");
    }

    /**
     * Adds or replaces a dead letter on a connection (inside a batch, or alone).
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

    @Override
    public void add(StoredMessage message) {
        Objects.requireNonNull(message, "message");
        db.writeOne("store dead letter " + message.id(), c -> upsert(c, message));
    }

    @Override
    public Optional<StoredMessage> get(String id) {
        Objects.requireNonNull(id, "id");
        return db.read("read dead letter " + id, c -> {
            PreparedStatement ps = c.prepare("SELECT " + COLUMNS + " FROM dead_letters WHERE id = ?");
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(message(rs)) : Optional.<StoredMessage>empty();
            }
        });
    }

    @Override
    public List<StoredMessage> list(int limit) {
        return select(NEWEST, limit);
    }

    @Override
    public boolean remove(String id) {
        Objects.requireNonNull(id, "id");
        return db.writeOne("remove dead letter " + id, c -> {
            PreparedStatement ps = c.prepare("DELETE FROM dead_letters WHERE id = ?");
            ps.setString(1, id);
            return ps.executeUpdate() > 0;
        });
    }

    @Override
    public int removeOlderThan(Instant cutoff, int limit) {
        return removeOldest(cutoff, limit).size();
    }
}
