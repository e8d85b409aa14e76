package dev.caxton.membership.fixed;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.testkit.membership.MembershipConformance;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * The static membership against the membership conformance suite: alone (no nodes listed), and in
 * clusters over the testkit's in-memory membership network with short timings.
 */
class StaticMembershipConformanceTest extends MembershipConformance {

    @Override
    protected MembershipProvider provider() {
        return new StaticMembershipProvider();
    }

    @Override
    protected ProviderConfig clusterConfig(String selfId, Map<String, InetSocketAddress> others) {
        List<String> nodes = others.entrySet().stream()
                .map(e -> e.getKey() + "@" + e.getValue().getHostString() + ":" + e.getValue().getPort()).toList();
        return ProviderConfig.of("coordination.cluster.static", Map.of("nodes", nodes,
                "heartbeat_interval", "100ms", "suspect_after", "1s", "dead_after", "2s"));
    }
}
