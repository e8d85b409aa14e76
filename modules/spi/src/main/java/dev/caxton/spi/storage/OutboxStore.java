package dev.caxton.spi.storage;

import java.util.List;

/**
 * Messages accepted for delivery and not yet delivered, so a restart does not lose them.
 */
public interface OutboxStore {

    /**
     * Adds a message (replacing one with the same id).
     *
     * @param message the message
     */
    void add(StoredMessage message);

    /**
     * Removes a delivered message.
     *
     * @param id the message id
     * @return whether it was there
     */
    boolean remove(String id);

    /**
     * The oldest pending messages, oldest first.
     *
     * @param limit the most to return
     * @return the messages
     */
    List<StoredMessage> pending(int limit);

    /** @return how many messages are pending */
    long count();
}
