package dev.caxton.transport.quic;

import dev.caxton.spi.transport.Connection;
import dev.caxton.spi.transport.Transport;
import dev.caxton.spi.transport.TransportProvider;
import dev.caxton.testkit.transport.Recorder;
import dev.caxton.testkit.transport.Recorder.Received;
import dev.caxton.testkit.transport.TransportConformance;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The quic transport (self-signed certificate, no trust configured) against the conformance suite. */
class QuicTransportConformanceTest extends TransportConformance {

    @Override
    protected TransportProvider provider() {
        return new QuicTransportProvider();
    }

    /** A real QUIC peer that starts a frame on its stream and closes the connection before its end. */
    @Override
    protected void peerDiesMidFrame(InetSocketAddress listener) throws Exception {
        Transport t = transport("dying");
        t.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), new Recorder());
        Connection c = t.connect(listener, new Recorder()).get(60, TimeUnit.SECONDS);
        ((QuicConnection) c).writeRaw(Unpooled.wrappedBuffer(new byte[] {0, 0, 4, 0, 1, 2, 3}));
        c.abort();
        t.close();
    }

    /**
     * Frames queued together leave together: Netty's QUIC stream sends a packet on every write, so
     * writing each frame on its own put each in a datagram of its own (8 frames, 8 packets, well
     * inside the initial congestion window). Written as one burst they share a packet or two.
     */
    @Test
    void framesQueuedTogetherShareTheirPackets() throws Exception {
        Recorder server = recorder();
        Linked l = linked(server);
        QuicConnection c = (QuicConnection) l.conn();
        Recorder.next(server.opened, WAIT, "the accepted connection");
        int bursts = 3;
        int perBurst = 8;
        long packets = 0;
        for (int burst = 0; burst < bursts; burst++) {
            long before = c.quicChannel().collectStats().get(60, TimeUnit.SECONDS).sent();
            int first = burst * perBurst;
            // queued from the connection's own loop, so the drain that follows finds all of them
            c.eventLoop().submit(() -> {
                for (int i = first; i < first + perBurst; i++) {
                    assertThat(c.send(frame(i))).isTrue();
                }
            }).get(60, TimeUnit.SECONDS);
            for (int i = first; i < first + perBurst; i++) {
                Received r = Recorder.next(server.frames, WAIT, "frame " + i);
                assertThat(r.bytes()).as("frame %d, in order and whole", i).isEqualTo(frame(i).array());
            }
            packets += c.quicChannel().collectStats().get(60, TimeUnit.SECONDS).sent() - before;
        }
        assertThat(packets).as("packets sent for %d bursts of %d frames", bursts, perBurst)
                .isLessThanOrEqualTo(bursts * 3L);
    }

    /**
     * The UDP sockets ask for {@code socket_buffer} (4 MB): with the kernel's 208 KB default, the
     * benchmark's bursts lost 150-310 datagrams per connection on loopback, each loss halving
     * quiche's congestion window; with 4 MB, none.
     */
    @Test
    void udpSocketsAskForALargeBuffer() throws Exception {
        int granted;
        try (java.net.DatagramSocket probe = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            probe.setReceiveBufferSize(4 * 1024 * 1024);
            granted = probe.getReceiveBufferSize();
        }
        Assumptions.assumeTrue(granted >= 4 * 1024 * 1024, "the kernel caps UDP buffers below 4 MB (net.core.rmem_max)");
        QuicTransport t = (QuicTransport) transport("buffers");
        t.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), recorder());
        assertThat(t.receiveBuffer()).as("SO_RCVBUF of the listening socket").isGreaterThanOrEqualTo(4 * 1024 * 1024);
    }

    private static ByteBuffer frame(int seed) {
        byte[] b = new byte[100];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (seed * 31 + i);
        }
        return ByteBuffer.wrap(b);
    }
}
