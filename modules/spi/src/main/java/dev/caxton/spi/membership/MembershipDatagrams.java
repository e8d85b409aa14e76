package dev.caxton.spi.membership;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Datagram sockets for a membership provider whose protocol has a network of its own (SWIM over
 * UDP), offered through {@link dev.caxton.spi.ProviderContext#service(Class)} by whoever wants to
 * carry those packets elsewhere: a simulated network with seeded loss, delay and partitions.
 *
 * <p>The runtime never offers one: a provider without it opens real UDP sockets. Like UDP, delivery is
 * best effort and unordered; a packet's bytes are hostile input. Offered together with a
 * {@link MembershipClock}, receivers are called on the clock's thread.
 */
public interface MembershipDatagrams {

    /**
     * Opens a socket.
     *
     * @param address  where to bind; port 0 picks a free one
     * @param receiver called for every packet that arrives, until the socket is closed; must not block
     * @return the socket
     * @throws IOException when the address cannot be bound
     */
    Socket bind(InetSocketAddress address, Receiver receiver) throws IOException;

    /** One bound socket. */
    interface Socket extends AutoCloseable {

        /**
         * Where it is bound (the port chosen when 0 was asked).
         *
         * @return the address
         */
        InetSocketAddress localAddress();

        /**
         * Sends one packet, best effort; never blocks for long and never throws for a network
         * failure (the packet is then lost, as on UDP).
         *
         * @param to     the receiver's address
         * @param packet the bytes from position to limit; copied before this returns
         */
        void send(InetSocketAddress to, ByteBuffer packet);

        /** Stops receiving and releases the address; idempotent. */
        @Override
        void close();
    }

    /** Receives packets. */
    @FunctionalInterface
    interface Receiver {
        /**
         * One packet.
         *
         * @param from   where it came from (where answers go); not proof of who sent it
         * @param packet its bytes; valid only during this call
         */
        void packet(InetSocketAddress from, ByteBuffer packet);
    }
}
