package dev.caxton.transport.tcp;

import dev.caxton.spi.transport.TransportProvider;
import dev.caxton.testkit.transport.TransportConformance;

/** The tcp transport (epoll where it loads, as in production) against the conformance suite. */
class TcpTransportConformanceTest extends TransportConformance {

    @Override
    protected TransportProvider provider() {
        return new TcpTransportProvider();
    }
}
