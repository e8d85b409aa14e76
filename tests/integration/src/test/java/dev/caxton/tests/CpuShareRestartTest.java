package dev.caxton.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caxton.testkit.WatAgents;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent's CPU share is part of what the node keeps of it: deployed with {@code --cpu-share 300} on
 * a node of the built image with SQLite storage, it still has 300 after the node is stopped with
 * SIGTERM and started again on the same data directory, in {@code agent inspect} (text and JSON)
 * and in the API's agent detail; an agent deployed without one still has the default, 100.
 */
class CpuShareRestartTest {

    private static final String CONFIG = """
            storage:
              type: sqlite
            """;

    @TempDir
    Path dir;

    @Test
    @DisplayName("--cpu-share 300 survives a SIGTERM and a restart on the same data directory; a default agent keeps 100")
    void cpuShareSurvivesARestart() throws Exception {
        Path echo = Files.writeString(dir.resolve("echo.wat"), WatAgents.ECHO);
        Image.Server first = new Image.Server(Files.createDirectories(dir.resolve("node")), CONFIG);
        try {
            Image.Result weighted = first.cli("agent", "deploy", echo.toString(), "--name", "weighted", "--cpu-share", "300");
            assertThat(weighted.exit()).as("%s %s", weighted.out(), weighted.err()).isZero();
            Image.Result plain = first.cli("agent", "deploy", echo.toString(), "--name", "plain");
            assertThat(plain.exit()).as("%s %s", plain.out(), plain.err()).isZero();
            assertShares(first);
            assertThat(first.terminate()).as("a clean stop on SIGTERM").isZero();
        } finally {
            first.close();
        }

        try (Image.Server second = first.restart()) {
            assertShares(second);
            // Not only remembered: the agent runs again after the restart.
            JsonNode reply = second.api("POST", "/api/v1/messages", "{\"performative\":\"request\",\"receiver\":"
                    + "\"weighted\",\"content\":\"after restart\",\"wait_ms\":30000}");
            assertThat(reply.toString()).contains("after restart");
        }
    }

    /** The shares, as the API's agent detail and both forms of {@code agent inspect} show them. */
    private static void assertShares(Image.Server s) throws Exception {
        assertThat(s.api("GET", "/api/v1/agents/weighted", null).path("limits").path("cpu_share").asInt()).isEqualTo(300);
        assertThat(s.api("GET", "/api/v1/agents/plain", null).path("limits").path("cpu_share").asInt()).isEqualTo(100);

        Image.Result json = s.cli("agent", "inspect", "weighted", "--output", "json");
        assertThat(json.exit()).as(json.err()).isZero();
        assertThat(Image.JSON.readTree(json.out()).path("limits").path("cpu_share").asInt()).isEqualTo(300);

        Image.Result text = s.cli("agent", "inspect", "weighted");
        assertThat(text.exit()).as(text.err()).isZero();
        assertThat(text.out()).containsPattern("cpu share:\\s+300");
        Image.Result plainText = s.cli("agent", "inspect", "plain");
        assertThat(plainText.exit()).as(plainText.err()).isZero();
        assertThat(plainText.out()).containsPattern("cpu share:\\s+100");
    }
}
