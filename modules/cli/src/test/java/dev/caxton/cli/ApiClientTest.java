package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The client's own HTTP path: answers of every framing the server may use, refusals, a server
 * too slow, and what a plain-HTTP command must not start (java.net.http, TLS).
 */
class ApiClientTest {

    @TempDir
    Path dir;

    private HttpServer server;
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() {
        release.countDown();
        if (server != null) {
            server.stop(0);
        }
    }

    /** A server whose every answer is sent chunked (no Content-Length), as a streaming server would. */
    private URI chunked(int status, String body) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.getResponseHeaders().set("X-Caxton-Backup-Millis", "17");
            ex.sendResponseHeaders(status, 0);
            try (OutputStream out = ex.getResponseBody()) {
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                // Several writes, so the body really spans several chunks.
                for (int i = 0; i < bytes.length; i += 7) {
                    out.write(bytes, i, Math.min(7, bytes.length - i));
                    out.flush();
                }
            }
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Test
    void aChunkedAnswerIsReadWhole() throws Exception {
        StringBuilder agents = new StringBuilder("{\"agents\":[");
        for (int i = 0; i < 200; i++) {
            agents.append(i == 0 ? "" : ",").append("{\"name\":\"a-").append(i).append("\",\"note\":\"über\"}");
        }
        agents.append("]}");
        try (ApiClient api = new ApiClient(chunked(200, agents.toString()), "t")) {
            JsonNode answer = api.get("/agents");

            assertThat(answer.path("agents")).hasSize(200);
            assertThat(answer.path("agents").get(199).path("name").asText()).isEqualTo("a-199");
            assertThat(answer.path("agents").get(0).path("note").asText()).isEqualTo("über");
        }
    }

    @Test
    void aChunkedRefusalGivesTheApisOwnWords() throws Exception {
        try (ApiClient api = new ApiClient(chunked(404, "{\"error\":\"no agent 'x'\",\"details\":{\"name\":\"x\"}}"), "t")) {
            assertThatThrownBy(() -> api.delete("/agents/x"))
                    .isInstanceOf(CliException.class)
                    .hasMessage("404 no agent 'x' (name: x)");
        }
    }

    @Test
    void aChunkedDownloadIsSavedWithItsHeaders() throws Exception {
        Path file = Files.createFile(dir.resolve("backup.db"));
        String content = "x".repeat(10_000);
        try (ApiClient api = new ApiClient(chunked(200, content), "t")) {
            ApiClient.Download d = api.download("/storage/backup", file, Duration.ofSeconds(30));

            assertThat(d.bytes()).isEqualTo(10_000);
            assertThat(Files.readString(file)).isEqualTo(content);
            assertThat(d.headerAsLong("x-caxton-backup-millis")).hasValue(17);
            assertThat(d.headerAsLong("X-Absent")).isEmpty();
        }
    }

    @Test
    void aServerThatDoesNotAnswerInTimeIsNamedWithTheWait() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.sendResponseHeaders(500, -1);
            ex.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
        URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        try (ApiClient api = new ApiClient(uri, "t")) {
            assertThatThrownBy(() -> api.post("/messages", Json.object().put("to", "slow"), Duration.ofMillis(300)))
                    .isInstanceOf(CliException.class)
                    .hasMessageStartingWith("the server at " + uri + " did not answer POST /api/v1/messages within ");
        }
    }

    @Test
    void aPostIsSentOnceWithItsBody() throws Exception {
        AtomicInteger posts = new AtomicInteger();
        List<String> bodies = new ArrayList<>();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            posts.incrementAndGet();
            synchronized (bodies) {
                bodies.add(ex.getRequestHeaders().getFirst("Content-Type") + " "
                        + new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            }
            // Closing without an answer: a client that retries POSTs would send it a second time.
            ex.close();
        });
        server.start();
        URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        try (ApiClient api = new ApiClient(uri, "t")) {
            assertThatThrownBy(() -> api.post("/messages", Json.object().put("content", "é"), Duration.ofSeconds(30)))
                    .isInstanceOf(CliException.class)
                    .hasMessageStartingWith("cannot reach the server at " + uri);
        }
        assertThat(posts).hasValue(1);
        assertThat(bodies).containsExactly("application/json {\"content\":\"é\"}");
    }

    /**
     * A plain-HTTP client command, in a JVM of its own, loads no class of java.net.http, none of
     * the JDK's TLS implementation and no databind mapper: each costs a command's start and none is
     * needed.
     */
    @Test
    void aPlainHttpCommandStartsNeitherTheJdkHttpClientNorTls() throws Exception {
        URI uri = chunked(200, "{\"agents\":[]}");
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = new ArrayList<>(List.of(java, "-Xlog:class+load=info:stdout"));
        String modulePath = System.getProperty("jdk.module.path");
        if (modulePath != null && !modulePath.isBlank()) {
            command.addAll(List.of("-p", modulePath, "-cp", System.getProperty("java.class.path"),
                    "--add-modules", "ALL-MODULE-PATH", "-m", "dev.caxton.cli/dev.caxton.cli.Main"));
        } else {
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.caxton.cli.Main"));
        }
        command.addAll(List.of("agent", "list", "--server", uri.toString(), "--token", "t"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();

        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("no agents deployed");
        List<String> loaded = output.lines().filter(l -> l.contains("[class,load]")).toList();
        assertThat(loaded).as("the class-load log").isNotEmpty();
        assertThat(loaded).noneMatch(l -> l.contains(" java.net.http.") || l.contains(" jdk.internal.net.http."));
        assertThat(loaded).noneMatch(l -> l.contains(" sun.security.ssl."));
        // Text output needs no databind mapper: building one is a good part of a command's start.
        assertThat(loaded).noneMatch(l -> l.contains(" com.fasterxml.jackson.databind.ObjectMapper "));
    }
}
