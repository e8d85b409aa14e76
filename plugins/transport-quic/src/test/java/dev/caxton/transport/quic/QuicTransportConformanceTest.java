package dev.caxton.transport.quic;

import dev.caxton.spi.transport.Connection;
import dev.caxton.spi.transport.Transport;
import dev.caxton.spi.transport.TransportProvider;
import dev.caxton.testkit.transport.Recorder;
import dev.caxton.testkit.transport.TransportConformance;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

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
}
