package dev.caxton.membership.jgroups;

import dev.caxton.spi.membership.MembershipDatagrams;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.jgroups.PhysicalAddress;
import org.jgroups.protocols.TP;
import org.jgroups.stack.IpAddress;

/**
 * A JGroups transport protocol over the membership SPI's {@link MembershipDatagrams}, used instead of
 * TCP when whoever creates the membership offers that service: a simulated network with seeded loss,
 * delay and partitions, on which the same stack as in production (discovery through the seeds, merge,
 * failure detection, retransmission, the group protocol) can be tested.
 *
 * <p>A datagram service has no multicast, so a message to the group goes to each member's physical
 * address in turn, as JGroups does for TCP. The socket is bound when the protocol starts, at the
 * configured bind address, and that address becomes the node's physical address. A packet is copied
 * before JGroups sees it, since the service's buffer is only valid during the call.
 */
final class DatagramTransport extends TP {

    private final MembershipDatagrams datagrams;
    private final InetSocketAddress bind;
    private volatile MembershipDatagrams.Socket socket;
    private volatile IpAddress physical;

    /**
     * @param datagrams the service carrying the packets
     * @param bind      where to bind in it
     */
    DatagramTransport(MembershipDatagrams datagrams, InetSocketAddress bind) {
        this.datagrams = Objects.requireNonNull(datagrams, "datagrams");
        this.bind = Objects.requireNonNull(bind, "bind");
    }

    @Override
    public void start() throws Exception {
        MembershipDatagrams.Socket s = datagrams.bind(bind, this::arrived);
        socket = s;
        InetSocketAddress local = s.localAddress();
        physical = new IpAddress(local.getAddress(), local.getPort());
        super.start();
    }

    private void arrived(InetSocketAddress from, ByteBuffer packet) {
        byte[] copy = new byte[packet.remaining()];
        packet.get(copy);
        receive(new IpAddress(from.getAddress(), from.getPort()), copy, 0, copy.length);
    }

    @Override
    public void stop() {
        super.stop();
        MembershipDatagrams.Socket s = socket;
        if (s != null) {
            s.close();
        }
    }

    @Override
    public boolean supportsMulticasting() {
        return false;
    }

    @Override
    public void sendUnicast(PhysicalAddress dest, byte[] data, int offset, int length) {
        MembershipDatagrams.Socket s = socket;
        if (s != null && dest instanceof IpAddress ip) {
            s.send(new InetSocketAddress(ip.getIpAddress(), ip.getPort()), ByteBuffer.wrap(data, offset, length));
        }
    }

    @Override
    public String getInfo() {
        return "datagrams at " + physical;
    }

    @Override
    protected PhysicalAddress getPhysicalAddress() {
        return physical;
    }
}
