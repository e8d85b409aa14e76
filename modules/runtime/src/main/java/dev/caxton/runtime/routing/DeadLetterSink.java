package dev.caxton.runtime.routing;

import dev.caxton.spi.message.Envelope;

/** Where messages go that cannot be delivered or processed, with the reason. */
@FunctionalInterface
public interface DeadLetterSink {

    /**
     * Records a dead letter.
     *
     * @param envelope the message
     * @param reason   why it is dead, e.g. {@code "trap: unreachable"} or {@code "agent 'x' failed"}
     */
    void deadLetter(Envelope envelope, String reason);

    /**
     * Records a dead letter whose category the caller knows (a fault's text is the guest's trap
     * message, which says nothing reliable about why the host gave up on the message).
     *
     * @param envelope the message
     * @param reason   why it is dead
     * @param category its category for metrics
     */
    default void deadLetter(Envelope envelope, String reason, dev.caxton.runtime.metrics.DeadLetterReason category) {
        deadLetter(envelope, reason);
    }
}
