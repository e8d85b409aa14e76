package dev.caxton.transport.tcp;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.transport.TransportProvider;
import dev.caxton.testkit.transport.TransportConformance;
import java.util.Map;

/** The tcp transport forced onto Java NIO (what runs where epoll does not load). */
class TcpNioConformanceTest extends TransportConformance {

    @Override
    protected TransportProvider provider() {
        return new TcpTransportProvider();
    }

    @Override
    protected ProviderConfig config(String node, long maxFrameBytes) {
        return ProviderConfig.of("transport.tcp", Map.of("max_frame_size", maxFrameBytes, "native", false));
    }
}
