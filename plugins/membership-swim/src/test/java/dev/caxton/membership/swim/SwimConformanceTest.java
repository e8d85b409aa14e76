package dev.caxton.membership.swim;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.testkit.membership.MembershipConformance;
import java.nio.file.Path;
import java.util.Map;

/**
 * The swim membership against the single-node conformance suite, on a real UDP socket (port 0). Its
 * multi-node cases run on real sockets in {@link SwimUdpTest}, and on the simulated network in the
 * testkit's generic suite ({@link SwimSimulationConformanceTest}) and in {@link SwimSimulationTest}:
 * SWIM does not talk over the membership channel this suite's in-memory network provides.
 */
class SwimConformanceTest extends MembershipConformance {

    @Override
    protected MembershipProvider provider() {
        return new SwimMembershipProvider();
    }

    @Override
    protected ProviderConfig config(Path dataDir) {
        return ProviderConfig.of("coordination.cluster.swim", Map.of("bind_addr", "127.0.0.1:0"));
    }
}
