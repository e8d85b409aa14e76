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
}
