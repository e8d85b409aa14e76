package dev.caxton.runtime.routing;

import dev.caxton.runtime.api.RoutingException;
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

    /**
     * {@link #deliver}, for a message this node's router has just checked (addressing and every id,
     * or made those fields itself). A recipient that replies may then trust what its reply copies
     * from the message without the router scanning it again; a message from another node or the
     * outbox comes through {@link #deliver} and is not vouched for.
     *
     * @param envelope the message, complete and checked
     * @param accepted as for {@link #deliver}
     * @return as for {@link #deliver}
     */
    default SendStatus deliverChecked(Envelope envelope, RouteListener accepted) {
        return deliver(envelope, accepted);
    }

    /**
     * Takes the refusal of a message this recipient sent (it is the message's sender) that another
     * node refused after the send had returned: a request whose caller did not block on the other
     * node's acceptance learns of it here rather than through a thrown exception.
     *
     * @param sent the message as it was refused
     * @param why  the refusal, as the send would have thrown it
     * @return true when the refusal reached the one who asked (the node then neither retries nor
     *         dead-letters the message); false, the default, leaves the message the node's own
     */
    default boolean refused(Envelope sent, RoutingException why) {
        return false;
    }
}
