package dev.caxton.runtime.routing;

import dev.caxton.spi.message.Envelope;

/**
 * What the router asks of a transport to other agent platforms (the FIPA HTTP MTP, say) for
 * receivers neither this node nor the cluster holds. Such receivers are written
 * {@code name@platform}: agent names cannot contain {@code @}, so an external name never shadows a
 * local agent, and a local agent is always found first.
 */
public interface ExternalRoutes {

    /**
     * Whether a receiver is addressed outside the cluster and this transport takes it.
     *
     * @param receiver the receiver name
     * @return true for a name this transport delivers
     */
    boolean handles(String receiver);

    /**
     * Hands a message over. Quick: the transport queues it and delivers in the background; what
     * fails later comes back to the sender as a {@code failure} message.
     *
     * @param e the message, its receiver one this transport {@linkplain #handles handles}
     * @return null when taken, otherwise why not
     */
    RemoteRoutes.Refusal send(Envelope e);
}
