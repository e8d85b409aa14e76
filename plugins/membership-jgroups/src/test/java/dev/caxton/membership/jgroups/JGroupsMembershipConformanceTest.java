package dev.caxton.membership.jgroups;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.testkit.membership.MembershipConformance;
import java.nio.file.Path;
import java.util.Map;

/**
 * The JGroups membership alone on loopback against the membership conformance suite. Its multi-node
 * cases run on real sockets in {@link JGroupsMembershipTest}, and on the simulated network in real
 * time in {@link JGroupsSimulationConformanceTest}.
 */
class JGroupsMembershipConformanceTest extends MembershipConformance {

    @Override
    protected MembershipProvider provider() {
        return new JGroupsMembershipProvider();
    }

    @Override
    protected ProviderConfig config(Path dataDir) {
        return ProviderConfig.of("coordination.cluster.jgroups", Map.of("bind_addr", "127.0.0.1:" + JGroupsMembershipTest.freePort(),
                "join_timeout", "300ms", "leave_timeout", "500ms"));
    }
}
