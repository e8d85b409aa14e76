package dev.caxton.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.NodeId;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /api/v1/cluster/members}: what each member shows, and the route on a real server. */
class ClusterMembersTest {

    @TempDir
    Path dir;

    @Test
    void eachMemberShowsNameStateAddressApiAgentsAndLastHeard() {
        Instant now = Instant.parse("2026-12-06T02:00:00Z");
        Member self = new Member(new NodeId("n1"), new InetSocketAddress("127.0.0.1", 7946), MemberState.ALIVE, 0,
                Map.of("api", "127.0.0.1:8080", "agents", "3"));
        Member peer = new Member(new NodeId("n2"), new InetSocketAddress("127.0.0.1", 7947), MemberState.SUSPECT, 7,
                Map.of("api", "127.0.0.1:8081", "agents", "12"), now.minusMillis(1500));
        Member silent = new Member(new NodeId("n3"), new InetSocketAddress("10.0.0.3", 7948), MemberState.DEAD, 0,
                Map.of("agents", "many"));

        List<Map<String, Object>> out = MemberView.render(List.of(self, peer, silent), "n1", now);

        assertThat(out.get(0)).containsEntry("name", "n1").containsEntry("self", true).containsEntry("state", "alive")
                .containsEntry("address", "127.0.0.1:7946").containsEntry("api", "127.0.0.1:8080")
                .containsEntry("agents", 3).containsEntry("last_heard", null).containsEntry("last_heard_ms_ago", null);
        assertThat(out.get(1)).containsEntry("name", "n2").containsEntry("self", false).containsEntry("state", "suspect")
                .containsEntry("address", "127.0.0.1:7947").containsEntry("api", "127.0.0.1:8081")
                .containsEntry("agents", 12).containsEntry("last_heard", "2026-12-06T01:59:58.500Z")
                .containsEntry("last_heard_ms_ago", 1500L).containsEntry("incarnation", 7L);
        assertThat(out.get(2)).as("nothing published, or not a count: null rather than a guess")
                .containsEntry("state", "dead").containsEntry("api", null).containsEntry("agents", null)
                .containsEntry("last_heard", null);
    }

    @Test
    void aSingleNodeListsItselfWithTheNewFields() throws Exception {
        try (TestServer s = new TestServer(dir, "node_name: solo", "")) {
            TestServer.Res r = s.call("GET", "/api/v1/cluster/members", null);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).contains("\"name\":\"solo\"").contains("\"state\":\"alive\"")
                    .contains("\"self\":true").contains("\"last_heard\":null").contains("\"agents\":")
                    .contains("\"api\":");
        }
    }

    @Test
    void aNodeThatSeesFewerMembersThanTheQuorumReportsAPartitionInHealthMembersAndMetrics() throws Exception {
        try (TestServer s = new TestServer(dir, "node_name: solo", "coordination:\n  partition:\n    quorum_size: 2\n")) {
            assertThat(s.call("GET", "/api/v1/health", null).body())
                    .contains("\"cluster\":{").contains("\"alive\":1").contains("\"quorum\":2")
                    .contains("\"partitioned\":true").contains("\"status\":\"ok\"");
            assertThat(s.call("GET", "/api/v1/cluster/members", null).body()).contains("\"partitioned\":true");
            assertThat(s.metrics("GET", "/metrics").body()).contains("caxton_cluster_partitioned 1")
                    .contains("caxton_cluster_nodes_alive 1");
        }
    }

    @Test
    void withoutAQuorumNoPartitionIsReported() throws Exception {
        try (TestServer s = new TestServer(dir, "node_name: solo", "")) {
            assertThat(s.call("GET", "/api/v1/health", null).body()).contains("\"partitioned\":false")
                    .contains("\"quorum\":0");
            assertThat(s.metrics("GET", "/metrics").body()).contains("caxton_cluster_partitioned 0");
        }
    }

    @Test
    void leaveMakesTheNodeLeaveOnceAndMembersShowItLeft() throws Exception {
        try (TestServer s = new TestServer(dir, "node_name: solo", "")) {
            TestServer.Res first = s.call("POST", "/api/v1/cluster/leave", "{}");
            assertThat(first.status()).as(first.body()).isEqualTo(200);
            assertThat(first.body()).contains("\"node\":\"solo\"").contains("\"left\":true");
            TestServer.Res again = s.call("POST", "/api/v1/cluster/leave", "{}");
            assertThat(again.status()).isEqualTo(200);
            assertThat(again.body()).contains("\"left\":false");
            assertThat(s.call("GET", "/api/v1/cluster/members", null).body()).contains("\"name\":\"solo\"")
                    .contains("\"state\":\"left\"");
            TestServer.Res wrong = s.call("GET", "/api/v1/cluster/leave", null);
            assertThat(wrong.status()).isEqualTo(405);
            // The node still serves its own API after leaving.
            assertThat(s.call("GET", "/api/v1/health", null).status()).isEqualTo(200);
        }
    }
}
