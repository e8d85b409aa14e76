package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * JSON logs, the live log level and message tracing through the built image: a real node process,
 * real WASM agents and the real CLI.
 */
class LogsAndTracingTest {

    @TempDir
    Path dir;

    @Test
    void aRequestThroughTwoAgentsIsTracedTheLevelChangesLiveAndEveryLogLineIsJson() throws Exception {
        try (Image.Server s = new Image.Server(dir, """
                observability:
                  logging:
                    format: json
                  tracing:
                    enabled: true
                    sample_rate: 1.0
                """)) {
            assertThat(s.cli("agent", "deploy", Image.example("echo/echo.wasm").toString(), "--name", "counter").exit()).isZero();
            assertThat(s.cli("agent", "deploy", Image.testAgent("forwarder.wasm").toString(), "--name", "fwd").exit()).isZero();

            Image.Result sent = s.cli("message", "send", "--to", "fwd", "--performative", "request", "--content", "1",
                    "--conversation", "traced-1", "--wait", "30s", "--output", "json");
            assertThat(sent.exit()).as(sent.err()).isZero();
            JsonNode answer = Image.JSON.readTree(sent.out());
            String id = answer.get("message_id").asText();

            // The forward reaches counter and counter's answer comes back to fwd after the client's reply.
            JsonNode trace = null;
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (System.nanoTime() < deadline) {
                trace = s.api("GET", "/api/v1/traces/" + id, null);
                if (trace.toString().contains("\"handled\"") && hops(trace).contains("handled:counter")
                        && hops(trace).stream().filter(h -> h.equals("handled:fwd")).count() == 2) {
                    break;
                }
                Thread.sleep(50);
            }
            List<String> hops = hops(trace);
            assertThat(hops).as(trace.toString()).startsWith("accepted")
                    .containsSubsequence("accepted", "routed:fwd", "queued:fwd", "delivered:fwd", "handled:fwd")
                    .containsSubsequence("delivered:fwd", "routed:counter", "queued:counter", "delivered:counter",
                            "handled:counter")
                    .anyMatch(h -> h.startsWith("replied:client-"));
            for (JsonNode h : trace.get("hops")) {
                assertThat(h.get("since_previous_us").asLong()).isNotNegative();
            }

            Image.Result shown = s.cli("message", "trace", id);
            assertThat(shown.exit()).as(shown.err()).isZero();
            assertThat(shown.out()).contains("trace of " + id).contains("delivered").contains("counter")
                    .contains("longest step:");

            Image.Result level = s.cli("config", "set", "observability.logging.level=debug");
            assertThat(level.exit()).as(level.err()).isZero();
            assertThat(level.out()).contains("debug");
            assertThat(s.api("GET", "/api/v1/config/logging", null).get("level").asText()).isEqualTo("debug");
            assertThat(s.cli("config", "set", "observability.logging.level=info").exit()).isZero();

            String[] lines = s.log().split("\n");
            int json = 0;
            for (String line : lines) {
                if (!line.startsWith("{")) {
                    // Only the JVM's own notices (before logging starts) may be other than JSON.
                    assertThat(line).as("a log line in plain format").doesNotContainPattern("^\\d{4}-\\d\\d-\\d\\dT.* (INFO|WARN|ERROR|DEBUG) ");
                    continue;
                }
                JsonNode n = Image.JSON.readTree(line);
                assertThat(n.has("ts") && n.has("level") && n.has("logger") && n.has("msg")).as(line).isTrue();
                json++;
            }
            assertThat(json).isPositive();
            assertThat(s.log()).contains("log level set to debug");
        }
    }

    private static List<String> hops(JsonNode trace) {
        List<String> out = new java.util.ArrayList<>();
        for (JsonNode h : trace.path("hops")) {
            out.add(h.get("hop").asText() + (h.has("agent") ? ":" + h.get("agent").asText() : ""));
        }
        return out;
    }
}
