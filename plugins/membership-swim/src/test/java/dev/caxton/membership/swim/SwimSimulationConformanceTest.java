package dev.caxton.membership.swim;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.testkit.membership.MembershipSimulationConformance;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * The swim membership, as the runtime loads it (through its provider and the SPI only), against the
 * testkit's simulated multi-node suite: 5% loss, the default (memberlist) timings, virtual time.
 */
class SwimSimulationConformanceTest extends MembershipSimulationConformance {

    @Override
    protected MembershipProvider provider() {
        return new SwimMembershipProvider();
    }

    @Override
    protected ProviderConfig config(String nodeId, InetSocketAddress bind) {
        return ProviderConfig.of("coordination.cluster.swim",
                Map.of("bind_addr", bind.getAddress().getHostAddress() + ":" + bind.getPort()));
    }
}
