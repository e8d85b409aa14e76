package dev.caxton.spi.storage;

import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * Messages the node accepted and has not yet seen handled, so that a crash does not lose them.
 *
 * <p>An entry is keyed by its receiver and its message id together: a broadcast puts one copy of
 * the same message (the same id) into the outbox of every holder, and each copy leaves when its own
 * receiver has handled it. The runtime writes and removes entries through {@link Storage#apply}, in
 * the same transaction as the state change they go with; the single-entry methods here serve tools,
 * tests and stores written before batches existed.
 */
public interface OutboxStore {

    /**
     * Adds a message, replacing the one with the same receiver and id.
     *
     * @param message the message
     */
    void add(StoredMessage message);

    /**
     * Removes a handled message.
     *
     * @param receiver the receiver it was stored for
     * @param id       the message id
     * @return whether it was there
     */
    boolean remove(String receiver, String id);

    /**
     * The oldest pending messages, oldest first ({@link StoredMessage#at()}, then the order they
     * were added in).
     *
     * @param limit the most to return
     * @return the messages
     */
    List<StoredMessage> pending(int limit);

    /**
     * Visits every pending message, oldest first as {@link #pending}, reading in pages so that an
     * outbox of any size is walked in bounded memory. This is how a node recovers after a crash.
     * Entries added or removed while the walk runs may or may not be visited.
     *
     * @param action what to do with each
     */
    void forEachPending(Consumer<StoredMessage> action);

    /**
     * Removes pending messages stored before a cutoff, at most {@code limit} of them, oldest first,
     * and returns them so that the caller can dead-letter them. Used for
     * {@code messaging.message_ttl}, in batches so that cleanup never holds the store for long.
     *
     * @param cutoff messages stored strictly before this go
     * @param limit  the most to remove in this call, at least 1
     * @return the removed messages, oldest first
     */
    List<StoredMessage> removeOlderThan(Instant cutoff, int limit);

    /** @return how many messages are pending */
    long count();
}
