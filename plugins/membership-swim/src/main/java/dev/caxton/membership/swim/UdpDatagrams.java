package dev.caxton.membership.swim;

import dev.caxton.spi.membership.MembershipDatagrams;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;

/**
 * Real UDP sockets, what SWIM uses on a node: one reader thread per socket hands each datagram to
 * the receiver.
 */
final class UdpDatagrams implements MembershipDatagrams {

    private static final System.Logger LOG = System.getLogger(UdpDatagrams.class.getName());

    @Override
    public Socket bind(InetSocketAddress address, Receiver receiver) throws IOException {
        DatagramChannel channel = DatagramChannel.open(address.getAddress() instanceof Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        try {
            channel.bind(address);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        InetSocketAddress local = (InetSocketAddress) channel.getLocalAddress();
        Thread reader = new Thread(() -> read(channel, receiver), "swim-udp-" + local.getPort());
        reader.setDaemon(true);
        reader.start();
        return new Socket() {
            @Override
            public InetSocketAddress localAddress() {
                return local;
            }

            @Override
            public void send(InetSocketAddress to, ByteBuffer packet) {
                try {
                    channel.send(packet, to);
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.DEBUG, "swim: could not send to {0}: {1}", to, e.toString());
                }
            }

            @Override
            public void close() {
                try {
                    channel.close();
                } catch (IOException e) {
                    // closing: nothing left to do with it
                }
                if (Thread.currentThread() != reader) {
                    try {
                        reader.join(5000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
    }

    private static void read(DatagramChannel channel, Receiver receiver) {
        ByteBuffer buf = ByteBuffer.allocate(Wire.MAX_PACKET + 1);
        while (channel.isOpen()) {
            buf.clear();
            InetSocketAddress from;
            try {
                from = (InetSocketAddress) channel.receive(buf);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "swim: receive failed: {0}", e.toString());
                continue;
            }
            if (from == null) {
                continue;
            }
            buf.flip();
            receiver.packet(from, buf);
        }
    }
}
