package dev.caxton.membership.jgroups;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.testkit.membership.MembershipSimulationConformance;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * The JGroups membership, through its provider and the SPI only, against the testkit's multi-node
 * suite on the simulated network (5% loss, 1–20 ms delay, crashes, partitions) in real time: JGroups
 * keeps its own threads and timers, so the network follows the wall clock, and the built-in stack runs
 * over the offered datagram service instead of TCP. Five nodes, a failure timeout of 3 s so crash and
 * partition cases finish in seconds, and a leave timeout of 5 s so a goodbye lost to the network is
 * retransmitted before the node disconnects. JGroups reports no {@code SUSPECT} (it settles suspicion itself,
 * through VERIFY_SUSPECT2), so the refutation case does not apply; the repeatability case does not
 * either, since real threads do not repeat.
 */
class JGroupsSimulationConformanceTest extends MembershipSimulationConformance {

    @Override
    protected MembershipProvider provider() {
        return new JGroupsMembershipProvider();
    }

    @Override
    protected ProviderConfig config(String nodeId, InetSocketAddress bind) {
        return ProviderConfig.of("coordination.cluster.jgroups", Map.of(
                "bind_addr", bind.getAddress().getHostAddress() + ":" + bind.getPort(),
                "cluster_name", "simulated",
                "failure_timeout", "3s",
                "join_timeout", "1s",
                "leave_timeout", "5s"));
    }

    @Override
    protected boolean realTime() {
        return true;
    }

    @Override
    protected boolean reportsSuspicion() {
        return false;
    }

    @Override
    protected int size() {
        return 5;
    }
}
