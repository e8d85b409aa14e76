package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OTLP trace exporter plugin in the built image: spans of a traced request reach a collector
 * played by the JDK's HTTP server on loopback, and a collector that never answers neither slows nor
 * loses messages (its batches are counted as dropped).
 */
class TraceExportTest {

    @TempDir
    Path dir;

    private static String config(String endpoint, String timeout) {
        return """
                observability:
                  tracing:
                    enabled: true
                    sample_rate: 1.0
                    exporter: otlp
                    export_batch_size: 4
                    export_queue_size: 64
                    otlp:
                      endpoint: %s
                      timeout: %s
                      headers: ["x-api-key=s3cret"]
                """.formatted(endpoint, timeout);
    }

    private static void await(java.util.function.BooleanSupplier ok, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("gave up waiting: " + what);
            }
            Thread.sleep(50);
        }
    }

    private static long metric(Image.Server s, String series) throws Exception {
        try (HttpClient c = HttpClient.newHttpClient()) {
            String text = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.metricsPort + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
            return m.find() ? (long) Double.parseDouble(m.group(1)) : -1;
        }
    }

    @Test
    void aTracedRequestArrivesAtTheCollectorAsOtlpSpansOfOneTrace() throws Exception {
        List<JsonNode> bodies = new CopyOnWriteArrayList<>();
        List<String> keys = new CopyOnWriteArrayList<>();
        HttpServer collector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        collector.createContext("/v1/traces", ex -> {
            bodies.add(Image.JSON.readTree(ex.getRequestBody().readAllBytes()));
            keys.add(ex.getRequestHeaders().getFirst("x-api-key"));
            ex.sendResponseHeaders(200, 2);
            ex.getResponseBody().write("{}".getBytes());
            ex.close();
        });
        collector.start();
        try (Image.Server s = new Image.Server(dir, config("http://127.0.0.1:" + collector.getAddress().getPort(), "10s"))) {
            assertThat(s.cli("agent", "deploy", Image.example("echo/echo.wasm").toString(), "--name", "counter").exit()).isZero();
            Image.Result sent = s.cli("message", "send", "--to", "counter", "--performative", "request", "--content", "1",
                    "--conversation", "otlp-1", "--wait", "30s", "--output", "json");
            assertThat(sent.exit()).as(sent.err()).isZero();
            String id = Image.JSON.readTree(sent.out()).get("message_id").asText();

            await(() -> spans(bodies).stream().anyMatch(sp -> attr(sp, "messaging.message.id").equals(id)
                    && sp.toString().contains("\"handled\"")), "the request's span reaches the collector");
            JsonNode rs = bodies.getFirst().get("resourceSpans").get(0);
            assertThat(rs.get("resource").toString()).contains("service.name").contains("caxton")
                    .contains("service.instance.id");
            JsonNode request = spans(bodies).stream().filter(sp -> attr(sp, "messaging.message.id").equals(id)).findFirst().orElseThrow();
            assertThat(request.get("traceId").asText()).matches("[0-9a-f]{32}");
            assertThat(request.get("spanId").asText()).matches("[0-9a-f]{16}");
            assertThat(attr(request, "caxton.agent")).isEqualTo("counter");
            assertThat(attr(request, "caxton.performative")).isEqualTo("request");
            assertThat(attr(request, "messaging.message.conversation_id")).isEqualTo("otlp-1");
            List<String> events = new ArrayList<>();
            request.get("events").forEach(e -> events.add(e.get("name").asText()));
            assertThat(events).containsSubsequence("accepted", "routed", "queued", "delivered", "handled");
            assertThat(keys).containsOnly("s3cret");
            // The exporter's counters are served.
            await(() -> metricQuietly(s, "caxton_trace_spans_exported_total{exporter=\"otlp\"}") >= 1, "exported spans counted");
            assertThat(metric(s, "caxton_trace_export_dropped_total{exporter=\"otlp\",reason=\"queue_full\"}")).isZero();
        } finally {
            collector.stop(0);
        }
    }

    @Test
    void aCollectorThatNeverAnswersNeitherSlowsNorLosesMessagesAndItsBatchesAreCountedAsDropped() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        HttpServer collector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        collector.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        collector.createContext("/v1/traces", ex -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        collector.start();
        try (Image.Server s = new Image.Server(dir, config("http://127.0.0.1:" + collector.getAddress().getPort(), "500ms"))) {
            assertThat(s.cli("agent", "deploy", Image.example("echo/echo.wasm").toString(), "--name", "counter").exit()).isZero();
            int n = 40;
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                JsonNode r = s.api("POST", "/api/v1/messages", """
                        {"performative":"request","receiver":"counter","content":"%d","conversation_id":"dead-%d"}
                        """.formatted(i, i));
                assertThat(r.has("message_id")).as(r.toString()).isTrue();
            }
            await(() -> handled(s) >= n, "every message is handled");
            System.out.printf("%d messages handled beside a hung collector in %.1f ms (load: %s)%n", n,
                    (System.nanoTime() - start) / 1e6, loadAverage());
            await(() -> metricQuietly(s, "caxton_trace_export_dropped_total{exporter=\"otlp\",reason=\"export_failed\"}") > 0
                    || metricQuietly(s, "caxton_trace_export_dropped_total{exporter=\"otlp\",reason=\"queue_full\"}") > 0,
                    "the drop counter moves");
            assertThat(s.cli("agent", "list").exit()).isZero();
        } finally {
            never.countDown();
            collector.stop(0);
        }
    }

    @Test
    void aCollectorThatIsNotThereIsCountedAndTheNodeCarriesOn() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        try (Image.Server s = new Image.Server(dir, config("http://127.0.0.1:" + port, "2s"))) {
            assertThat(s.cli("agent", "deploy", Image.example("echo/echo.wasm").toString(), "--name", "counter").exit()).isZero();
            Image.Result sent = s.cli("message", "send", "--to", "counter", "--performative", "request", "--content", "1",
                    "--wait", "30s", "--output", "json");
            assertThat(sent.exit()).as(sent.err()).isZero();
            await(() -> metricQuietly(s, "caxton_trace_export_dropped_total{exporter=\"otlp\",reason=\"export_failed\"}") > 0,
                    "the failed export is counted");
            assertThat(s.log()).contains("trace exporter otlp").contains("127.0.0.1:" + port).doesNotContain("s3cret");
        }
    }

    private static long handled(Image.Server s) {
        try {
            JsonNode agents = s.api("GET", "/api/v1/agents", null);
            for (JsonNode a : agents.path("agents")) {
                if (a.path("name").asText().equals("counter")) {
                    return a.path("counters").path("messages_handled").asLong();
                }
            }
            return 0;
        } catch (Exception e) {
            return 0;
        }
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    private static long metricQuietly(Image.Server s, String series) {
        try {
            return metric(s, series);
        } catch (Exception e) {
            return -1;
        }
    }

    private static List<JsonNode> spans(List<JsonNode> bodies) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode b : bodies) {
            for (JsonNode rs : b.get("resourceSpans")) {
                for (JsonNode ss : rs.get("scopeSpans")) {
                    ss.get("spans").forEach(out::add);
                }
            }
        }
        return out;
    }

    private static String attr(JsonNode span, String key) {
        for (JsonNode a : span.get("attributes")) {
            if (a.get("key").asText().equals(key)) {
                return a.get("value").get("stringValue").asText();
            }
        }
        return "";
    }
}
