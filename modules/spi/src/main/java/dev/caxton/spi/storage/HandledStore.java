package dev.caxton.spi.storage;

import java.time.Instant;

/**
 * The ids of messages recently handled, per receiver, so that a message delivered again (a resend
 * after a crash, a client retrying with the same {@code message_id}) is recognised and not handled
 * twice. Entries are written through {@link Storage#apply} ({@link StorageWrite.MarkHandled}) in the
 * transaction that completes the message, and forgotten after {@code messaging.dedup_window}.
 */
public interface HandledStore {

    /**
     * Whether a message was handled by a receiver and not yet forgotten.
     *
     * @param receiver the receiving agent
     * @param id       the message id
     * @return true when it was
     */
    boolean contains(String receiver, String id);

    /**
     * Forgets entries marked before a cutoff, at most {@code limit} of them.
     *
     * @param cutoff entries marked strictly before this go
     * @param limit  the most to remove in this call, at least 1
     * @return how many were removed
     */
    int removeOlderThan(Instant cutoff, int limit);

    /** @return how many entries are kept */
    long count();
}
