package dev.caxton.server;

import dev.caxton.server.HttpListener.Call;
import dev.caxton.server.HttpListener.Reply;
import dev.caxton.server.TestServer.Res;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP items of issue 9: every error is the API's JSON (never an HTML page, never a Java
 * class name), 405 says what is allowed, the metrics listener serves exactly one resource, and
 * docs/api.md and the behaviour agree.
 */
class HttpErrorsTest {

    @TempDir
    static Path dir;

    static TestServer s;

    @BeforeAll
    static void start() throws Exception {
        s = new TestServer(dir, "", "agents:\n  max_failures: 1\n");
        s.deploy("echo", TestServer.ECHO);
        s.deploy("broken", TestServer.TRAP);
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    private static void assertJsonError(Res r, int status) {
        assertThat(r.status()).isEqualTo(status);
        assertThat(r.header("content-type")).isEqualTo("application/json");
        assertThat(r.body()).startsWith("{\"error\":").doesNotContain("<html", "java.", "Exception");
    }

    @Test
    void aBadPercentEscapeIsAJson400() throws Exception {
        assertJsonError(s.call("GET", "/api/v1/agents/%zz", null), 400);
        assertJsonError(s.call("GET", "/api/v1/agents/a%", null), 400);
        assertJsonError(s.call("GET", "/api/v1/dead-letters?limit=%G1", null), 400);
    }

    @Test
    void aBadContentLengthIsAJson400() throws Exception {
        Res r = TestServer.raw(s.port, "POST /api/v1/messages HTTP/1.1\r\nHost: localhost\r\nX-Caxton-Token: " + s.token
                + "\r\nContent-Length: abc\r\n\r\n{}");
        assertJsonError(r, 400);
        assertThat(r.body()).contains("Content-Length");
        assertJsonError(TestServer.raw(s.port, "POST /api/v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Length: -5\r\n\r\n"), 400);
    }

    @Test
    void anOversizedBodyIsAJson413() throws Exception {
        // Only the headers are sent: one byte over the default 32MB limit.
        byte[] head = ("POST /api/v1/messages HTTP/1.1\r\nHost: localhost\r\nX-Caxton-Token: " + s.token
                + "\r\nContent-Length: " + ((32 << 20) + 1) + "\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        try (var c = new java.net.Socket("127.0.0.1", s.port)) {
            c.setSoTimeout(120_000);
            c.getOutputStream().write(head);
            // The server answers as soon as it sees the length; it need not read the body.
            Res r = TestServer.readOne(c.getInputStream());
            assertJsonError(r, 413);
            assertThat(r.body()).contains("server.max_request_size");
        }
    }

    @Test
    void methodNotAllowedCarriesAllow() throws Exception {
        Res r = s.call("PATCH", "/api/v1/agents", null);
        assertJsonError(r, 405);
        assertThat(r.header("Allow")).isEqualTo("POST, GET");
        assertThat(s.call("POST", "/api/v1/health", "{}").header("Allow")).isEqualTo("GET");
        assertThat(s.call("GET", "/api/v1/messages", null).header("Allow")).isEqualTo("POST");
    }

    @Test
    void metricsServesOnlyGetMetrics() throws Exception {
        assertThat(s.metrics("GET", "/metrics").status()).isEqualTo(200);
        assertJsonError(s.metrics("GET", "/metrics/x"), 404);
        assertJsonError(s.metrics("GET", "/"), 404);
        Res post = s.metrics("POST", "/metrics");
        assertJsonError(post, 405);
        assertThat(post.header("Allow")).isEqualTo("GET");
    }

    @Test
    void anUnknownAgentIsNotFoundWithKind() throws Exception {
        Res r = s.call("GET", "/api/v1/agents/nobody", null);
        assertJsonError(r, 404);
        assertThat(r.body()).contains("\"kind\":\"not_found\"");
    }

    @Test
    void unknownFieldsOnReloadAreRefused() throws Exception {
        Res r = s.call("PUT", "/api/v1/agents/echo/module", "{\"wat_module\":\"(module)\",\"colour\":\"red\"}");
        assertJsonError(r, 400);
        assertThat(r.body()).contains("\"field\":\"colour\"");
    }

    @Test
    void aFailedAgentRefusesMessages() throws Exception {
        // One trap is enough to fail it with agents.max_failures: 1.
        s.call("POST", "/api/v1/messages", "{\"performative\":\"inform\",\"receiver\":\"broken\"}");
        TestServer.await("broken has failed", () -> {
            try {
                return s.call("GET", "/api/v1/agents/broken", null).body().contains("\"state\":\"failed\"");
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Res r = s.call("POST", "/api/v1/messages", "{\"performative\":\"inform\",\"receiver\":\"broken\"}");
        assertJsonError(r, 404);
        assertThat(r.body()).contains("failed", "\"status\":\"unknown_receiver\"", "\"field\":\"receiver\"", "reload");
        Res waited = s.call("POST", "/api/v1/messages", "{\"performative\":\"request\",\"receiver\":\"broken\",\"wait_ms\":1000}");
        assertJsonError(waited, 404);
    }

    @Test
    void healthReportsTheTransportThatRunsAndWhereItListens() throws Exception {
        Res r = s.call("GET", "/api/v1/health", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).contains("\"transport\":\"tcp\"").containsPattern("\"transport_address\":\"127\\.0\\.0\\.1:[1-9][0-9]*\"");
        // And something really listens there: a TCP connect succeeds.
        String addr = r.body().replaceAll("(?s).*\"transport_address\":\"127\\.0\\.0\\.1:([0-9]+)\".*", "$1");
        try (java.net.Socket sock = new java.net.Socket("127.0.0.1", Integer.parseInt(addr))) {
            assertThat(sock.isConnected()).isTrue();
        }
    }

    @Test
    void anInternalErrorShowsAnIdNotAClassName() {
        List<LogRecord> records = new ArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger log = Logger.getLogger(CaxtonServer.class.getName());
        log.addHandler(h);
        try {
            Reply r = CaxtonServer.failure(new Call("GET", "/api/v1/x", n -> null, new byte[0]),
                    new IllegalStateException("java.lang.Secret: boom"));
            String body = new String(r.body(), StandardCharsets.UTF_8);
            assertThat(r.status()).isEqualTo(500);
            assertThat(body).startsWith("{\"error\":\"internal error").doesNotContain("java.", "IllegalState", "boom");
            String id = body.replaceAll(".*\"error_id\":\"([^\"]+)\".*", "$1");
            assertThat(id).isNotBlank().doesNotContain("{");
            assertThat(records).anySatisfy(rec -> {
                assertThat(rec.getMessage()).contains(id);
                assertThat(rec.getThrown()).hasMessageContaining("boom");
            });
        } finally {
            log.removeHandler(h);
        }
    }
}
