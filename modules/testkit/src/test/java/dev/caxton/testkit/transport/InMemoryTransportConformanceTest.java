package dev.caxton.testkit.transport;

import dev.caxton.spi.transport.Connection;
import dev.caxton.spi.transport.Transport;
import dev.caxton.spi.transport.TransportProvider;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** The in-memory transport against the transport conformance suite. */
class InMemoryTransportConformanceTest extends TransportConformance {

    @Override
    protected TransportProvider provider() {
        return new InMemoryTransportProvider();
    }

    /** No bytes to truncate in memory: the nearest thing is a peer that aborts right after connecting. */
    @Override
    protected void peerDiesMidFrame(InetSocketAddress listener) throws Exception {
        Transport t = transport("dying");
        t.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), new Recorder());
        Connection c = t.connect(listener, new Recorder()).get();
        c.abort();
        t.close();
    }
}
