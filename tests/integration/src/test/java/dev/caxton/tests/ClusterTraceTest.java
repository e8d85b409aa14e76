package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code caxton message trace} in a cluster of three real nodes: the node asked gathers the hops
 * of the others over the cluster transport (their API tokens differ), shows which node each hop
 * happened on, and names a node that does not answer instead of failing.
 */
class ClusterTraceTest {

    @TempDir
    Path dir;

    private static final String TRACING = """
            observability:
              tracing:
                enabled: true
                sample_rate: 1.0
            """;

    @Test
    void aTraceShowsTheHopsOfEveryNodeAndNamesANodeThatDoesNotAnswer() throws Exception {
        // Long failure detection: a frozen node stays a member, so it is asked and must be named.
        var spec = new ClusterNodes.Spec("tcp", "json", "memory", "",
                "suspect_after: 5m\ndead_after: 30m", "");
        List<Image.Server> n = ClusterNodes.start(dir, spec, TRACING);
        Image.Server a = n.get(0);
        Image.Server b = n.get(1);
        Image.Server c = n.get(2);
        try {
            assertThat(a.token()).isNotEqualTo(b.token());
            ClusterNodes.deploy(b, "far", "echo/echo.wasm");
            ClusterNodes.await("A knows far on B", () -> "B".equals(ClusterNodes.allAgents(a).get("far")));
            Image.Result sent = a.cli("message", "send", "--to", "far", "--performative", "request", "--content", "1",
                    "--conversation", "ct-1", "--wait", "30s", "--output", "json");
            assertThat(sent.exit()).as(sent.err()).isZero();
            String id = Image.JSON.readTree(sent.out()).get("message_id").asText();

            // Asked on A, the trace holds B's hops too (B delivered and handled the request).
            JsonNode trace = null;
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (System.nanoTime() < deadline) {
                trace = a.api("GET", "/api/v1/traces/" + id, null);
                if (hops(trace).contains("handled@B") && hops(trace).stream().anyMatch(h -> h.startsWith("replied@A"))) {
                    break;
                }
                Thread.sleep(100);
            }
            List<String> hops = hops(trace);
            assertThat(hops).as(trace.toString()).startsWith("accepted@A")
                    .containsSubsequence("accepted@A", "routed@A", "routed@B", "queued@B", "delivered@B", "handled@B");
            assertThat(Image.JSON.convertValue(trace.get("nodes"), List.class)).containsExactlyInAnyOrder("A", "B", "C");
            assertThat(trace.get("incomplete")).isEmpty();
            assertThat(trace.get("truncated").asBoolean()).isFalse();

            Image.Result shown = a.cli("message", "trace", id);
            assertThat(shown.exit()).as(shown.err()).isZero();
            assertThat(shown.out()).contains("hops from nodes: A, B, C").doesNotContain("did not answer");
            assertThat(nodeColumn(shown.out())).contains("A", "B");

            // C frozen: still a member, asked, never answers. The trace comes back without it.
            signal(c, "STOP");
            try {
                long start = System.nanoTime();
                Image.Result partial = a.cli("message", "trace", id);
                System.out.printf("trace with a frozen peer answered in %.0f ms (load %s)%n",
                        (System.nanoTime() - start) / 1e6, java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim());
                assertThat(partial.exit()).as(partial.err()).isZero();
                assertThat(partial.out()).contains("nodes that did not answer (their hops are missing): C")
                        .contains("hops from nodes: A, B").contains("handled");
            } finally {
                signal(c, "CONT");
            }
        } finally {
            for (Image.Server s : n) {
                s.close();
            }
        }
    }

    private static void signal(Image.Server s, String sig) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + sig, String.valueOf(s.process.pid())).inheritIO().start();
        assertThat(p.waitFor()).isZero();
    }

    private static List<String> hops(JsonNode trace) {
        List<String> out = new ArrayList<>();
        for (JsonNode h : trace.path("hops")) {
            out.add(h.path("hop").asText() + "@" + h.path("node").asText());
        }
        return out;
    }

    /** The values of the NODE column of the hop table. */
    private static Set<String> nodeColumn(String out) {
        Set<String> nodes = new TreeSet<>();
        String[] lines = out.split("\n");
        int col = -1;
        for (String line : lines) {
            if (line.startsWith("AT ")) {
                col = 3;
                continue;
            }
            if (col >= 0 && line.matches("\\d{4}-.*")) {
                String[] cells = line.trim().split("\\s+");
                if (cells.length > col) {
                    nodes.add(cells[col]);
                }
            }
        }
        return nodes;
    }
}
