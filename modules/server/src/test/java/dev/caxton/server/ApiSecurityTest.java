package dev.caxton.server;

import dev.caxton.server.TestServer.Res;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The hardened API through a real server on loopback: probes without a token, roles, token
 * rotation with a grace period, rate limits, header limits and TLS.
 */
class ApiSecurityTest {

    private static final String FAKE = "storage:\n  type: fake-file\n";

    @AfterEach
    void reset() {
        FakeFileStorageProvider.unavailable = false;
    }

    private static Res as(TestServer s, String token, String method, String path, String body) throws IOException {
        return TestServer.raw(s.port, TestServer.request(method, path, body, token, false));
    }

    private static String secret(Res r) {
        Matcher m = Pattern.compile("\"token\":\"([0-9a-f]{64})\"").matcher(r.body());
        assertThat(m.find()).as("a token in %s", r.body()).isTrue();
        return m.group(1);
    }

    @Test
    void probesAnswerWithoutATokenAndRevealNothingElse(@TempDir Path dir) throws Exception {
        try (TestServer s = new TestServer(dir, "node_name: secret-node-name", "")) {
            Res live = as(s, null, "GET", "/api/v1/health", null);
            assertThat(live.status()).isEqualTo(200);
            assertThat(live.body()).isEqualTo("{\"status\":\"ok\"}");
            Res ready = as(s, null, "GET", "/api/v1/ready", null);
            assertThat(ready.status()).isEqualTo(200);
            assertThat(ready.body()).isEqualTo("{\"ready\":true,\"not_ready\":{}}");
            // Everything else still needs the token, and a token holder still gets the node's details.
            assertThat(as(s, null, "GET", "/api/v1/agents", null).status()).isEqualTo(401);
            assertThat(as(s, "0".repeat(64), "GET", "/api/v1/health", null).status()).isEqualTo(401);
            assertThat(s.call("GET", "/api/v1/health", null).body()).contains("\"version\"").contains("secret-node-name");
        }
    }

    @Test
    void readinessGoesUnreadyWhileStorageFailsAndBack(@TempDir Path dir) throws Exception {
        try (TestServer s = new TestServer(dir, "", FAKE)) {
            assertThat(as(s, null, "GET", "/api/v1/ready", null).status()).isEqualTo(200);
            FakeFileStorageProvider.unavailable = true;
            Res down = as(s, null, "GET", "/api/v1/ready", null);
            assertThat(down.status()).isEqualTo(503);
            assertThat(down.body()).contains("\"ready\":false").contains("\"storage\":\"storage does not answer\"")
                    .doesNotContain("Exception");
            // Liveness is about the process, not its storage: restarting would not help.
            assertThat(as(s, null, "GET", "/api/v1/health", null).status()).isEqualTo(200);
            FakeFileStorageProvider.unavailable = false;
            assertThat(as(s, null, "GET", "/api/v1/ready", null).status()).isEqualTo(200);
        }
    }

    @Test
    void readinessGoesUnreadyWhenTheNodeDrains(@TempDir Path dir) throws Exception {
        try (TestServer s = new TestServer(dir, "", "")) {
            assertThat(as(s, null, "GET", "/api/v1/ready", null).status()).isEqualTo(200);
            assertThat(s.call("POST", "/api/v1/cluster/leave", null).status()).isEqualTo(200);
            Res r = as(s, null, "GET", "/api/v1/ready", null);
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.body()).contains("\"draining\"");
        }
    }

    @Test
    void aNodeWithSeedsIsNotReadyBeforeItReachedAnotherMember(@TempDir Path dir) throws Exception {
        try (TestServer s = new TestServer(dir, "", """
                coordination:
                  cluster:
                    membership: static
                    seeds: ["127.0.0.1:9"]
                """)) {
            Res r = as(s, null, "GET", "/api/v1/ready", null);
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.body()).contains("\"cluster\":\"not joined: no other member reached yet\"")
                    .doesNotContain("127.0.0.1");
        }
    }

    @Test
    void aRoleCannotDoWhatItMayNot(@TempDir Path dir) throws Exception {
        try (TestServer s = new TestServer(dir, "", "")) {
            String reader = secret(s.call("POST", "/api/v1/tokens", "{\"name\":\"grafana\",\"role\":\"metrics\"}"));
            String operator = secret(s.call("POST", "/api/v1/tokens", "{\"name\":\"ops\",\"role\":\"operator\"}"));
            String deploy = "{\"name\":\"x\",\"wat_module\":\"(module)\"}";

            assertThat(as(s, reader, "GET", "/api/v1/agents", null).status()).isEqualTo(200);
            Res send = as(s, reader, "POST", "/api/v1/messages", "{\"performative\":\"inform\",\"receiver\":\"nobody\"}");
            assertThat(send.status()).isEqualTo(403);
            assertThat(send.body()).contains("token 'grafana' has role 'metrics'").contains("needs role 'operator'")
                    .contains("\"needed\":\"operator\"");

            // An operator gets past the gate to send (the receiver does not exist: 404, not 403) ...
            Res sent = as(s, operator, "POST", "/api/v1/messages", "{\"performative\":\"inform\",\"receiver\":\"nobody\","
                    + "\"sender\":\"me\",\"content\":\"hi\"}");
            assertThat(sent.status()).isNotIn(401, 403);
            // ... but may not deploy, replay, read tokens or take backups.
            for (String[] req : List.of(new String[] {"POST", "/api/v1/agents", deploy},
                    new String[] {"POST", "/api/v1/dead-letters/abc/replay", null},
                    new String[] {"GET", "/api/v1/tokens", null},
                    new String[] {"POST", "/api/v1/storage/backup", null})) {
                Res r = as(s, operator, req[0], req[1], req[2]);
                assertThat(r.status()).as("%s %s", req[0], req[1]).isEqualTo(403);
                assertThat(r.body()).contains("role 'operator'").contains("needs role 'admin'");
            }
            assertThat(s.call("GET", "/api/v1/tokens", null).body()).contains("grafana").contains("ops")
                    .doesNotContain(reader).doesNotContain(operator);
            // Revoked: refused from then on.
            assertThat(s.call("DELETE", "/api/v1/tokens/ops", null).status()).isEqualTo(200);
            assertThat(as(s, operator, "GET", "/api/v1/agents", null).status()).isEqualTo(401);
        }
    }

    @Test
    void aRotatedOutTokenIsRefusedAfterItsGracePeriod(@TempDir Path dir) throws Exception {
        try (TestServer s = new TestServer(dir, "", "")) {
            String old = secret(s.call("POST", "/api/v1/tokens", "{\"name\":\"ci\",\"role\":\"admin\"}"));
            Res rotated = as(s, old, "POST", "/api/v1/tokens/ci/rotate", "{\"grace_ms\":300}");
            assertThat(rotated.status()).isEqualTo(200);
            String fresh = secret(rotated);
            assertThat(fresh).isNotEqualTo(old);
            TestServer.await("the old token refused", () -> {
                try {
                    return as(s, old, "GET", "/api/v1/agents", null).status() == 401;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(as(s, fresh, "GET", "/api/v1/agents", null).status()).isEqualTo(200);

            // The default token too; its file follows, so the local command line keeps working.
            Res d = s.call("POST", "/api/v1/tokens/default/rotate", "{\"grace_ms\":0}");
            String newDefault = secret(d);
            assertThat(Files.readString(dir.resolve("data/api-token")).trim()).isEqualTo(newDefault);
            assertThat(as(s, s.token, "GET", "/api/v1/agents", null).status()).isEqualTo(401);
            assertThat(as(s, newDefault, "GET", "/api/v1/agents", null).status()).isEqualTo(200);
            // Only hashes are kept in the tokens file.
            assertThat(Files.readString(dir.resolve("data/api-tokens"))).doesNotContain(fresh).doesNotContain(newDefault);
        }
    }

    @Test
    void rateLimitsAnswer429WithRetryAfter(@TempDir Path dir) throws Exception {
        try (TestServer s = new TestServer(dir, "", """
                security:
                  rate_limiting:
                    enabled: true
                    requests_per_second: 1
                    burst: 2
                """)) {
            Res limited = null;
            // Bounded: at one request a second refilled, a burst of 2 runs out well within 50.
            for (int i = 0; i < 50 && limited == null; i++) {
                Res r = as(s, null, "GET", "/api/v1/health", null);
                if (r.status() == 429) {
                    limited = r;
                }
            }
            assertThat(limited).as("a 429 within 50 requests").isNotNull();
            assertThat(Long.parseLong(limited.header("Retry-After"))).isGreaterThanOrEqualTo(1);
            assertThat(limited.body()).contains("security.rate_limiting");
        }
    }

    @Test
    void refusalsAreLoggedOncePerClientAndWithoutTheSecret(@TempDir Path dir) throws Exception {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(ApiGate.class.getName());
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                lines.add(java.text.MessageFormat.format(r.getMessage(), r.getParameters()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(h);
        try (TestServer s = new TestServer(dir, "", "")) {
            String wrong = "a".repeat(64);
            for (int i = 0; i < 5; i++) {
                assertThat(as(s, wrong, "GET", "/api/v1/agents", null).status()).isEqualTo(401);
            }
            // One line for the five (the interval is a minute; the test sends them well within it
            // on any machine, and a second line would still be correct, so only "few" is asserted).
            assertThat(lines).isNotEmpty().hasSizeLessThan(5);
            assertThat(lines.getFirst()).contains("127.0.0.1").contains("401").contains("/api/v1/agents");
            assertThat(String.join("\n", lines)).doesNotContain(wrong);
        } finally {
            logger.removeHandler(h);
        }
    }

    @Test
    void oversizedHeadersAre413(@TempDir Path dir) throws Exception {
        try (TestServer s = new TestServer(dir, "max_header_size: 2KB", "")) {
            Res r = TestServer.raw(s.port, "GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(4096)
                    + "\r\nConnection: close\r\n\r\n");
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.body()).contains("server.max_header_size");
        }
    }

    @Test
    void tlsRoundTripWithATestCaAndPlainHttpRefused(@TempDir Path dir) throws Exception {
        SelfSignedCertificate cert = new SelfSignedCertificate("localhost");
        try (TestServer s = new TestServer(dir, """
                tls:
                  cert_file: "%s"
                  key_file: "%s"
                """.formatted(cert.certificate().getPath(), cert.privateKey().getPath()), "")) {
            assertThat(s.server.apiUri().getScheme()).isEqualTo("https");
            SSLContext ctx = trusting(cert.certificate().toPath());
            try (SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", s.port)) {
                socket.setSoTimeout(120_000);
                socket.getOutputStream().write(TestServer.request("GET", "/api/v1/agents", null, s.token, false)
                        .getBytes(StandardCharsets.UTF_8));
                Res r = TestServer.parse(socket.getInputStream().readAllBytes());
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body()).contains("\"agents\"");
            }
            // Plain HTTP on the TLS port gets no HTTP answer at all: the handshake fails and the
            // connection closes, so no token ever crosses the network in the clear to be accepted.
            try (Socket plain = new Socket("127.0.0.1", s.port)) {
                plain.setSoTimeout(120_000);
                plain.getOutputStream().write(TestServer.request("GET", "/api/v1/agents", null, s.token, false)
                        .getBytes(StandardCharsets.UTF_8));
                byte[] got = readQuietly(plain.getInputStream());
                assertThat(new String(got, StandardCharsets.ISO_8859_1)).doesNotStartWith("HTTP/1.1 200");
            }
        } finally {
            cert.delete();
        }
    }

    @Test
    void aCertificateWithoutItsKeyStopsTheStartNamingTheKey(@TempDir Path dir) {
        assertThatThrownBy(() -> new TestServer(dir, "tls:\n  cert_file: /nonexistent.pem", "").close())
                .hasMessageContaining("server.tls.key_file");
    }

    private static byte[] readQuietly(InputStream in) {
        List<Byte> out = new ArrayList<>();
        try {
            int c;
            while ((c = in.read()) >= 0) {
                out.add((byte) c);
            }
        } catch (IOException e) {
            // A reset is one way of refusing.
        }
        byte[] b = new byte[out.size()];
        for (int i = 0; i < b.length; i++) {
            b[i] = out.get(i);
        }
        return b;
    }

    static SSLContext trusting(Path caPem) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            int i = 0;
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("ca" + i++, (X509Certificate) c);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
