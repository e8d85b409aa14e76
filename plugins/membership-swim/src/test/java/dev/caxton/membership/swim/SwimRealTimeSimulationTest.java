package dev.caxton.membership.swim;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.testkit.membership.MembershipSimulationConformance;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * The swim membership on the simulated network in real time, as JGroups runs it: only the datagram
 * service is offered, so SWIM keeps its own protocol thread and real clock while the packets meet the
 * simulation's loss, delay, crashes and partitions. Together with {@link SwimSimulationConformanceTest}
 * (virtual time) it shows the two modes of the suite agree on the same provider. Shorter probe
 * timings than the defaults keep each case to seconds of real time.
 */
class SwimRealTimeSimulationTest extends MembershipSimulationConformance {

    @Override
    protected MembershipProvider provider() {
        return new SwimMembershipProvider();
    }

    @Override
    protected ProviderConfig config(String nodeId, InetSocketAddress bind) {
        return ProviderConfig.of("coordination.cluster.swim", Map.of(
                "bind_addr", bind.getAddress().getHostAddress() + ":" + bind.getPort(),
                "probe_interval", "200ms",
                "probe_timeout", "100ms",
                "gossip_interval", "50ms"));
    }

    @Override
    protected boolean realTime() {
        return true;
    }

    @Override
    protected int size() {
        return 5;
    }
}
