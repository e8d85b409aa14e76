package dev.caxton.spi.storage;

import java.time.Instant;
import java.util.List;

/** The ordered history of each conversation. */
public interface ConversationStore {

    /**
     * Appends a message to its conversation.
     *
     * @param entry the entry; its {@code sequence} is ignored
     * @return the sequence number the store assigned (1 for the first message)
     */
    long append(ConversationEntry entry);

    /**
     * Appends several messages, in order, as one write where the store can (a single transaction
     * for SQL stores). The default appends them one by one.
     *
     * @param entries the entries, in the order they happened; their {@code sequence} is ignored
     * @return the sequence number assigned to each, in the same order
     */
    default List<Long> appendAll(List<ConversationEntry> entries) {
        List<Long> sequences = new java.util.ArrayList<>(entries.size());
        for (ConversationEntry e : entries) {
            sequences.add(append(e));
        }
        return sequences;
    }

    /**
     * The messages of a conversation in the order they were appended. Unbounded: the node reads
     * through {@link #page} instead.
     *
     * @param conversationId the conversation
     * @return the entries, empty when the conversation is unknown
     */
    List<ConversationEntry> history(String conversationId);

    /**
     * One page of a conversation: the entries after a position, in order. This is how the node
     * reads conversations, so a long one never has to be held in memory at once. Stores should
     * answer from an index on (conversation, sequence); the default filters {@link #history} and is
     * only there so that stores written before paging existed keep working.
     *
     * @param conversationId the conversation
     * @param afterSequence  return entries whose sequence is greater than this (0 for the start);
     *                       the sequence of the last entry of the previous page is the next cursor
     * @param limit          the most entries to return, at least 1
     * @return up to {@code limit} entries in sequence order, empty past the end or for an unknown
     *         conversation
     * @throws IllegalArgumentException when {@code limit} is below 1 or {@code afterSequence} negative
     */
    default List<ConversationEntry> page(String conversationId, long afterSequence, int limit) {
        checkPage(afterSequence, limit);
        return history(conversationId).stream().filter(e -> e.sequence() > afterSequence).limit(limit).toList();
    }

    /**
     * How many entries a conversation holds. The default counts {@link #history}; stores should count
     * without reading the entries.
     *
     * @param conversationId the conversation
     * @return the number of entries, 0 for an unknown conversation
     */
    default long count(String conversationId) {
        return history(conversationId).size();
    }

    /**
     * Checks {@link #page}'s arguments, for implementations.
     *
     * @param afterSequence the cursor
     * @param limit         the page size
     * @throws IllegalArgumentException when either is out of range
     */
    static void checkPage(long afterSequence, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        }
        if (afterSequence < 0) {
            throw new IllegalArgumentException("afterSequence cannot be negative, got " + afterSequence);
        }
    }

    /**
     * Forgets conversations whose last message is older than the cutoff.
     *
     * @param cutoff the cutoff
     * @return how many conversations were removed
     */
    int removeIdleSince(Instant cutoff);

    /**
     * Forgets at most {@code limit} conversations whose last message is older than the cutoff, so
     * that cleanup runs in bounded batches. The default removes all of them at once.
     *
     * @param cutoff the cutoff
     * @param limit  the most conversations to remove in this call, at least 1
     * @return how many conversations were removed
     */
    default int removeIdleSince(Instant cutoff, int limit) {
        return removeIdleSince(cutoff);
    }
}
