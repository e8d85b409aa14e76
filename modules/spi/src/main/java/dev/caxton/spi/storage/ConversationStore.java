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
     * The messages of a conversation in the order they were appended.
     *
     * @param conversationId the conversation
     * @return the entries, empty when the conversation is unknown
     */
    List<ConversationEntry> history(String conversationId);

    /**
     * Forgets conversations whose last message is older than the cutoff.
     *
     * @param cutoff the cutoff
     * @return how many conversations were removed
     */
    int removeIdleSince(Instant cutoff);
}
