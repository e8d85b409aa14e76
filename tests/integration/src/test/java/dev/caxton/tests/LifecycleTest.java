package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/** Process-level lifecycle of the image: token file, SIGTERM, kill -9, restart, reload, undeploy. */
class LifecycleTest {

    private static JsonNode ask(Image.Server s, String to) {
        Image.Result r = s.cli("message", "send", "--to", to, "--performative", "request", "--content", "{}",
                "--wait", "10s", "--output", "json");
        assertThat(r.exit()).as(r.err()).isZero();
        return r.json().get("reply");
    }

    @Test
    @DisplayName("the token is generated at first start with mode 0600; agents survive SIGTERM and kill -9")
    void restartKeepsAgents(@TempDir Path dir) throws Exception {
        Image.Server first = new Image.Server(dir, "");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(first.dataDir.resolve("api-token"))))
                .isEqualTo("rw-------");
        String token = first.token();
        assertThat(first.cli("agent", "deploy", Image.example("counter/counter.wasm").toString(), "--name", "counter")
                .exit()).isZero();
        assertThat(ask(first, "counter").at("/content/count").asInt()).isEqualTo(1);
        assertThat(first.terminate()).as("exit code after SIGTERM").isZero();
        assertThat(first.log()).contains("stopped");

        Image.Server second = new Image.Server(dir, "");
        assertThat(second.token()).isEqualTo(token);
        // A restart brings the agent back on a fresh instance: its deployment survives, its memory does not.
        assertThat(ask(second, "counter").at("/content/count").asInt()).isEqualTo(1);
        second.kill9();

        try (Image.Server third = new Image.Server(dir, "")) {
            assertThat(third.cli("agent", "list").out()).contains("counter");
            assertThat(ask(third, "counter").get("sender").asText()).isEqualTo("counter");
        }
    }

    @Test
    @DisplayName("reload swaps the module and keeps the agent; undeploy removes it")
    void reloadAndUndeploy(@TempDir Path dir) throws Exception {
        try (Image.Server s = new Image.Server(dir, "")) {
            assertThat(s.cli("agent", "deploy", Image.example("counter/counter.wasm").toString(), "--name", "x").exit()).isZero();
            assertThat(ask(s, "x").at("/content/count").asInt()).isEqualTo(1);
            String id = s.cli("agent", "inspect", "x", "--output", "json").json().get("id").asText();
            Image.Result reload = s.cli("agent", "reload", "x", Image.example("echo/echo.wasm").toString());
            assertThat(reload.exit()).as(reload.err()).isZero();
            JsonNode echoed = ask(s, "x");
            assertThat(echoed.get("performative").asText()).isEqualTo("request");
            assertThat(s.cli("agent", "inspect", "x", "--output", "json").json().get("id").asText()).isEqualTo(id);
            Image.Result bad = s.cli("agent", "reload", "x", Image.testAgent("nohandle.wasm").toString());
            assertThat(bad.exit()).isNotZero();
            assertThat(bad.err()).contains("handle_message");
            assertThat(ask(s, "x").get("performative").asText()).isEqualTo("request");
            assertThat(s.cli("agent", "undeploy", "x").exit()).isZero();
            Image.Result gone = s.cli("agent", "inspect", "x");
            assertThat(gone.exit()).isNotZero();
            assertThat(gone.err()).contains("not found");
        }
    }

    @Test
    @DisplayName("metrics are served in the Prometheus text format")
    void metrics(@TempDir Path dir) throws Exception {
        try (Image.Server s = new Image.Server(dir, "")) {
            s.cli("agent", "deploy", Image.example("echo/echo.wasm").toString(), "--name", "echo");
            s.cli("agent", "deploy", Image.example("echo/echo.wasm").toString(), "--name", "metered", "--fuel", "100000");
            ask(s, "echo");
            ask(s, "metered");
            try (var c = java.net.http.HttpClient.newHttpClient()) {
                var r = c.send(java.net.http.HttpRequest.newBuilder(
                                java.net.URI.create("http://127.0.0.1:" + s.metricsPort + "/metrics")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).contains("# TYPE caxton_messages_routed_total counter")
                        .contains("caxton_agent_messages_handled_total{agent=\"echo\"} 1")
                        .containsPattern("caxton_agent_fuel_max\\{agent=\"metered\"} [1-9][0-9]*\n")
                        .doesNotContain("caxton_agent_fuel_max{agent=\"echo\"}");
            }
        }
    }
}
