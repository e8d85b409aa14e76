package dev.caxton.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, item 1 on the built image: a {@code wait_ms} request to an idle agent runs on the API
 * handler's thread (counted by {@code caxton_messages_inline_total}), and its time limit still ends
 * an infinite loop run that way, with a {@code failure} reply and the node answering on.
 */
class InlineRequestTest {

    @Test
    @DisplayName("wait_ms requests to an idle agent run inline; a time limit still stops an inline infinite loop")
    void inlineRequests(@TempDir Path dir) throws Exception {
        // API handlers are virtual threads: they may run guests inline only while a carrier stays free.
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "inline calls on virtual threads need two cores");
        try (Image.Server s = new Image.Server(dir, "")) {
            ObjectNode echo = Image.JSON.createObjectNode().put("name", "echo")
                    .put("wasm_module", Base64.getEncoder().encodeToString(Files.readAllBytes(Image.example("echo/echo.wasm"))));
            assertThat(s.http("POST", "/api/v1/agents", echo.toString(), s.token()).statusCode()).isEqualTo(201);
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> r = s.http("POST", "/api/v1/messages", Image.JSON.writeValueAsString(Map.of(
                        "performative", "request", "receiver", "echo", "content", Map.of("n", i), "wait_ms", 30_000)),
                        s.token());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(Image.JSON.readTree(r.body()).at("/reply/content/n").asInt()).isEqualTo(i);
            }
            // One request after another, each to an idle agent: every one of them ran inline.
            assertThat(metric(s, "caxton_messages_inline_total")).isEqualTo(5);

            ObjectNode spin = Image.JSON.createObjectNode().put("name", "spin").put("wat_module", """
                    (module
                      (memory (export "memory") 1)
                      (func (export "alloc") (param i32) (result i32) i32.const 0)
                      (func (export "handle_message") (param i32 i32) (result i64)
                        (loop $l (br $l))
                        i64.const 0))
                    """);
            spin.set("limits", Image.JSON.valueToTree(Map.of("execution_timeout_ms", 300, "memory_bytes", 65536)));
            assertThat(s.http("POST", "/api/v1/agents", spin.toString(), s.token()).statusCode()).isEqualTo(201);
            HttpResponse<String> looped = s.http("POST", "/api/v1/messages", Image.JSON.writeValueAsString(Map.of(
                    "performative", "request", "receiver", "spin", "content", "go", "wait_ms", 60_000)), s.token());
            assertThat(looped.statusCode()).as(looped.body()).isEqualTo(200);
            JsonNode reply = Image.JSON.readTree(looped.body()).get("reply");
            assertThat(reply.get("performative").asText()).isEqualTo("failure");
            assertThat(reply.at("/content/reason").asText()).startsWith("timeout");
            assertThat(metric(s, "caxton_messages_inline_total")).isEqualTo(6);
            assertThat(s.api("GET", "/api/v1/agents/spin", null).at("/counters/faults").asInt()).isEqualTo(1);

            // The handler thread that ran the loop carries no interrupt into the next request.
            HttpResponse<String> after = s.http("POST", "/api/v1/messages", Image.JSON.writeValueAsString(Map.of(
                    "performative", "request", "receiver", "echo", "content", "after", "wait_ms", 30_000)), s.token());
            assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
            assertThat(Image.JSON.readTree(after.body()).at("/reply/content").asText()).isEqualTo("after");
        }
    }

    private static long metric(Image.Server s, String name) throws Exception {
        try (HttpClient c = HttpClient.newHttpClient()) {
            String body = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.metricsPort + "/metrics"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()).body();
            for (String line : body.split("\n")) {
                if (line.startsWith(name + " ")) {
                    return (long) Double.parseDouble(line.substring(name.length() + 1).trim());
                }
            }
        }
        throw new AssertionError(name + " is not on the metrics endpoint");
    }
}
