package dev.caxton.spi.storage;

import java.util.List;
import java.util.Optional;

/**
 * Messages that could not be delivered, each with its reason. Nothing leaves this store except
 * by an explicit {@link #remove} (for instance when an operator replays it) or, once older than
 * the TTL, by the cleanup's {@link #removeOlderThan}.
 */
public interface DeadLetterStore {

    /**
     * Adds a dead letter (replacing one with the same id).
     *
     * @param message the message, with its {@link StoredMessage#reason()}
     */
    void add(StoredMessage message);

    /**
     * Looks one up.
     *
     * @param id the message id
     * @return the message, if stored
     */
    Optional<StoredMessage> get(String id);

    /**
     * The newest dead letters first.
     *
     * @param limit the most to return
     * @return the messages
     */
    List<StoredMessage> list(int limit);

    /**
     * Removes one.
     *
     * @param id the message id
     * @return whether it was there
     */
    boolean remove(String id);

    /**
     * Removes dead letters stored before a cutoff, at most {@code limit} of them, oldest first:
     * {@code storage.cleanup_interval} runs this in batches so that it never holds the store long.
     *
     * @param cutoff dead letters stored strictly before this go
     * @param limit  the most to remove in this call, at least 1
     * @return how many were removed
     */
    int removeOlderThan(java.time.Instant cutoff, int limit);

    /** @return how many are stored */
    long count();
}
