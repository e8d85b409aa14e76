package dev.caxton.storage.sqlite;

import static dev.caxton.storage.sqlite.SqliteStorage.bindInstant;
import static dev.caxton.storage.sqlite.SqliteStorage.instant;

import dev.caxton.spi.storage.ConversationEntry;
import dev.caxton.spi.storage.ConversationStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Conversations: a row per conversation in {@code conversations} holding the last sequence number
 * handed out and the instant of the newest message, and the messages in {@code conversation_entries}.
 */
final class SqliteConversationStore implements ConversationStore {

    /**
     * Numbers the message and notes its instant in one statement. In an UPDATE every right-hand
     * side reads the row as it was, so both CASEs compare against the old newest instant.
     */
    private static final String NEXT_SEQUENCE = "INSERT INTO conversations (id, last_sequence, newest_at_seconds, "
            + "newest_at_nanos) VALUES (?, 1, ?, ?) ON CONFLICT (id) DO UPDATE SET last_sequence = last_sequence + 1, "
            + "newest_at_seconds = CASE WHEN (excluded.newest_at_seconds, excluded.newest_at_nanos) "
            + "> (newest_at_seconds, newest_at_nanos) THEN excluded.newest_at_seconds ELSE newest_at_seconds END, "
            + "newest_at_nanos = CASE WHEN (excluded.newest_at_seconds, excluded.newest_at_nanos) "
            + "> (newest_at_seconds, newest_at_nanos) THEN excluded.newest_at_nanos ELSE newest_at_nanos END "
            + "RETURNING last_sequence";

    private static final String SELECT_ENTRIES = "SELECT conversation_id, sequence, message_id, sender, receiver, "
            + "performative, envelope, at_seconds, at_nanos FROM conversation_entries ";
    private static final String INSERT_ENTRY = "INSERT INTO conversation_entries (conversation_id, sequence, message_id, "
            + "sender, receiver, performative, envelope, at_seconds, at_nanos) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private final Database db;

    SqliteConversationStore(Database db) {
        this.db = db;
    }

    @Override
    public long append(ConversationEntry entry) {
        Objects.requireNonNull(entry, "entry");
        // The writer lock and the transaction make numbering and inserting one step.
        return db.writeTransaction("append to conversation " + entry.conversationId(), c -> insert(c, entry));
    }

    /** One transaction for the whole batch: a commit per message is what limits SQLite's write rate. */
    @Override
    public List<Long> appendAll(List<ConversationEntry> entries) {
        Objects.requireNonNull(entries, "entries");
        if (entries.isEmpty()) {
            return List.of();
        }
        return db.writeTransaction("append " + entries.size() + " conversation entries", c -> {
            List<Long> sequences = new ArrayList<>(entries.size());
            for (ConversationEntry e : entries) {
                sequences.add(insert(c, Objects.requireNonNull(e, "entry")));
            }
            return sequences;
        });
    }

    private static long insert(Database.Conn c, ConversationEntry entry) throws java.sql.SQLException {
        {
            PreparedStatement next = c.prepare(NEXT_SEQUENCE);
            next.setString(1, entry.conversationId());
            bindInstant(next, 2, entry.at());
            long sequence;
            try (ResultSet rs = next.executeQuery()) {
                rs.next();
                sequence = rs.getLong(1);
            }
            PreparedStatement insert = c.prepare(INSERT_ENTRY);
            insert.setString(1, entry.conversationId());
            insert.setLong(2, sequence);
            insert.setString(3, entry.messageId());
            insert.setString(4, entry.sender());
            insert.setString(5, entry.receiver());
            insert.setString(6, entry.performative());
            insert.setBytes(7, entry.envelope());
            bindInstant(insert, 8, entry.at());
            insert.executeUpdate();
            return sequence;
        }
    }

    @Override
    public List<ConversationEntry> history(String conversationId) {
        Objects.requireNonNull(conversationId, "conversationId");
        return db.read("read conversation " + conversationId, c -> {
            PreparedStatement ps = c.prepare(SELECT_ENTRIES + "WHERE conversation_id = ? ORDER BY sequence");
            ps.setString(1, conversationId);
            return entries(ps);
        });
    }

    private static List<ConversationEntry> entries(PreparedStatement ps) throws java.sql.SQLException {
        List<ConversationEntry> entries = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                entries.add(new ConversationEntry(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getString(6), rs.getBytes(7), instant(rs, 8)));
            }
        }
        return entries;
    }

    @Override
    public List<ConversationEntry> page(String conversationId, long afterSequence, int limit) {
        Objects.requireNonNull(conversationId, "conversationId");
        ConversationStore.checkPage(afterSequence, limit);
        // The UNIQUE (conversation_id, sequence) index serves this range scan: a page costs its own
        // rows, however long the conversation is.
        return db.read("read conversation " + conversationId, c -> {
            PreparedStatement ps = c.prepare(SELECT_ENTRIES
                    + "WHERE conversation_id = ? AND sequence > ? ORDER BY sequence LIMIT ?");
            ps.setString(1, conversationId);
            ps.setLong(2, afterSequence);
            ps.setInt(3, limit);
            return entries(ps);
        });
    }

    @Override
    public long count(String conversationId) {
        Objects.requireNonNull(conversationId, "conversationId");
        // Sequences are gap-free and entries leave only with their conversation, so the last
        // sequence handed out is the count.
        return db.read("count conversation " + conversationId, c -> {
            PreparedStatement ps = c.prepare("SELECT last_sequence FROM conversations WHERE id = ?");
            ps.setString(1, conversationId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        });
    }

    @Override
    public int removeIdleSince(Instant cutoff) {
        Objects.requireNonNull(cutoff, "cutoff");
        // The entries go with their conversation (ON DELETE CASCADE); the count SQLite reports is of
        // conversations only, since rows removed by a foreign-key action are not counted.
        return db.writeOne("remove idle conversations", c -> {
            PreparedStatement ps = c.prepare(
                    "DELETE FROM conversations WHERE (newest_at_seconds, newest_at_nanos) < (?, ?)");
            bindInstant(ps, 1, cutoff);
            return ps.executeUpdate();
        });
    }

    @Override
    public int removeIdleSince(Instant cutoff, int limit) {
        Objects.requireNonNull(cutoff, "cutoff");
        SqliteStorage.checkBatch(limit);
        // The oldest idle conversations first, through conversations_by_newest, so one call costs
        // at most limit conversations (and their entries, by the cascade) however many are idle.
        return db.writeOne("remove idle conversations", c -> {
            PreparedStatement ps = c.prepare("DELETE FROM conversations WHERE id IN (SELECT id FROM conversations "
                    + "WHERE (newest_at_seconds, newest_at_nanos) < (?, ?) ORDER BY newest_at_seconds, newest_at_nanos "
                    + "LIMIT ?)");
            bindInstant(ps, 1, cutoff);
            ps.setInt(3, limit);
            return ps.executeUpdate();
        });
    }
}
