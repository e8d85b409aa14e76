package dev.caxton.spi.membership;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * How a membership provider reaches the membership of other nodes: small packets over the node's
 * transport, addressed by the transport address a node listens on.
 *
 * <p>The runtime offers one to membership providers through
 * {@link dev.caxton.spi.ProviderContext#service(Class)}. It owns the transport connections and shares
 * them with the node's own traffic (membership packets travel on a channel of their own, so they are
 * never queued behind a burst of messages), opens a connection on the first packet to an address,
 * and reopens it when it broke. Delivery is best effort, like UDP: a packet to a node that is down,
 * or that cannot be queued, is dropped, and the protocol on top (heartbeats, SWIM probes) must
 * tolerate loss. Packets between two nodes arrive in the order they were sent while one connection
 * lasts.
 *
 * <p>Every packet received names the sending node by the id it proved in the transport's handshake
 * (checked against its certificate under mutual TLS), so a provider can trust who sent it as far as
 * the transport does, and must treat the packet's bytes as hostile input.
 */
public interface MembershipChannel {

    /**
     * Queues one packet for the node listening at {@code transportAddress}. Never blocks on the
     * network.
     *
     * @param transportAddress where the other node's transport listens
     * @param packet           the bytes from position to limit; copied before this returns
     * @return true when queued (not a promise of delivery); false when dropped at once (no connection
     *         could be opened yet, the queue towards that node is full, or the node is stopping)
     * @throws IllegalArgumentException when the packet is larger than {@link #maxPacketBytes()}
     */
    boolean send(InetSocketAddress transportAddress, ByteBuffer packet);

    /**
     * Sets who receives packets from other nodes; replaces the previous receiver. Packets that arrive
     * while none is set are dropped.
     *
     * @param receiver called on a transport thread for every packet; must not block
     */
    void receiver(Receiver receiver);

    /**
     * The largest packet {@link #send} takes.
     *
     * @return bytes
     */
    int maxPacketBytes();

    /** Receives membership packets. */
    @FunctionalInterface
    interface Receiver {
        /**
         * One packet from another node.
         *
         * @param fromNode the sender's node id, as its transport handshake proved it
         * @param packet   the packet's bytes; valid only during this call
         */
        void packet(String fromNode, ByteBuffer packet);
    }
}
