package dev.caxton.runtime.routing;

import dev.caxton.runtime.api.SendStatus;
import dev.caxton.spi.message.Envelope;

/** Something the router can deliver to: an agent's mailbox, or an API client waiting for a reply. */
public interface Recipient {

    /**
     * Hands a message over without blocking.
     *
     * @param envelope the message, complete (ids set)
     * @param accepted to be told of the message once accepted, before anything can react to it (so
     *                 a record of a message always comes before the record of its reply)
     * @return {@link SendStatus#ACCEPTED}, or why not ({@link SendStatus#QUEUE_FULL} when the mailbox
     *         is full, {@link SendStatus#UNKNOWN_RECEIVER} when it no longer takes messages)
     */
    SendStatus deliver(Envelope envelope, RouteListener accepted);
}
