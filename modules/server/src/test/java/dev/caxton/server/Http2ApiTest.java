package dev.caxton.server;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The API over HTTP/2 with the JDK's own client: h2 chosen by ALPN on TLS, h2c by the client's
 * {@code Upgrade} on plain HTTP, and every kind of answer (normal, refused token, 413, a reply
 * waited for, a file download) the same as on HTTP/1.1.
 */
class Http2ApiTest {

    private static final String FAKE_STORAGE = "storage:\n  type: fake-file\n";
    private static SelfSignedCertificate cert;

    @BeforeAll
    static void certificate() throws Exception {
        cert = new SelfSignedCertificate("localhost");
    }

    @AfterAll
    static void delete() {
        cert.delete();
    }

    @AfterEach
    void reset() {
        FakeFileStorageProvider.size = 0;
    }

    @Test
    void h2cByUpgradeOnPlainHttp(@TempDir Path dir) throws Exception {
        try (TestServer s = new TestServer(dir, "max_request_size: 64KB", FAKE_STORAGE);
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()) {
            sameAnswersAsHttp1(s, client, "http://127.0.0.1:" + s.port);
        }
    }

    @Test
    void h2ByAlpnOnTls(@TempDir Path dir) throws Exception {
        SSLContext trust = ServerTlsTest.trusting(cert);
        try (TestServer s = new TestServer(dir, """
                max_request_size: 64KB
                tls:
                  cert_file: "%s"
                  key_file: "%s"
                """.formatted(cert.certificate().getPath(), cert.privateKey().getPath()), FAKE_STORAGE);
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(trust).build()) {
            sameAnswersAsHttp1(s, client, "https://localhost:" + s.port);
            // HTTP/1.1 over TLS is still served, downloads included (no sendfile under TLS).
            try (HttpClient h1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(trust).build()) {
                HttpResponse<byte[]> backup = h1.send(post("https://localhost:" + s.port + "/api/v1/storage/backup", s.token, ""),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(backup.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
                assertThat(new String(backup.body(), StandardCharsets.UTF_8)).isEqualTo(FakeFileStorageProvider.CONTENT);
            }
        }
    }

    private static void sameAnswersAsHttp1(TestServer s, HttpClient client, String base) throws Exception {
        HttpResponse<String> ok = client.send(get(base + "/api/v1/agents", s.token), HttpResponse.BodyHandlers.ofString());
        assertThat(ok.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).contains("\"agents\"");

        HttpResponse<String> refused = client.send(get(base + "/api/v1/agents", "not-the-token"), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.body()).contains("\"error\"");

        HttpResponse<String> tooLarge = client.send(post(base + "/api/v1/messages", s.token, "{\"x\":\"" + "a".repeat(70_000) + "\"}"),
                HttpResponse.BodyHandlers.ofString());
        assertThat(tooLarge.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(tooLarge.body()).contains("server.max_request_size");

        // Replies waited for on several streams of one connection at once.
        HttpResponse<String> deployed = client.send(post(base + "/api/v1/agents", s.token, "{\"name\":\"e\",\"wasm_module\":\""
                + java.util.Base64.getEncoder().encodeToString(dev.caxton.testkit.Wat.compile(TestServer.ECHO)) + "\"}"),
                HttpResponse.BodyHandlers.ofString());
        assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
        List<CompletableFuture<HttpResponse<String>>> waits = new ArrayList<CompletableFuture<HttpResponse<String>>>();
        for (int i = 0; i < 8; i++) {
            waits.add(client.sendAsync(post(base + "/api/v1/messages", s.token, "{\"performative\":\"request\",\"receiver\":\"e\","
                    + "\"content\":\"m" + i + "\",\"wait_ms\":60000}"), HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < waits.size(); i++) {
            HttpResponse<String> r = waits.get(i).get();
            assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).contains("\"content\":\"m" + i + "\"");
        }

        // A file body (a storage backup) arrives whole.
        FakeFileStorageProvider.size = 1 << 20;
        HttpResponse<byte[]> backup = client.send(post(base + "/api/v1/storage/backup", s.token, ""),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(backup.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(backup.statusCode()).isEqualTo(200);
        assertThat(backup.headers().firstValue("content-length")).hasValue(Integer.toString(1 << 20));
        assertThat(backup.body()).isEqualTo(FakeFileStorageProvider.pattern(1 << 20));
        FakeFileStorageProvider.size = 0;
    }

    @Test
    void priorKnowledgeH2cAdvertisesTheStreamBound(@TempDir Path dir) throws Exception {
        try (TestServer s = new TestServer(dir, "http2_max_streams: 7", "");
                Socket socket = new Socket("127.0.0.1", s.port)) {
            socket.setSoTimeout(120_000);
            OutputStream out = socket.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0}); // an empty SETTINGS frame
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] head = in.readNBytes(9);
            assertThat(head).hasSize(9);
            int length = ((head[0] & 0xff) << 16) | ((head[1] & 0xff) << 8) | (head[2] & 0xff);
            assertThat(head[3]).as("the server's first frame is SETTINGS").isEqualTo((byte) 4);
            byte[] payload = in.readNBytes(length);
            Long maxStreams = null;
            for (int i = 0; i + 6 <= payload.length; i += 6) {
                int id = ((payload[i] & 0xff) << 8) | (payload[i + 1] & 0xff);
                long value = ((long) (payload[i + 2] & 0xff) << 24) | ((payload[i + 3] & 0xff) << 16)
                        | ((payload[i + 4] & 0xff) << 8) | (payload[i + 5] & 0xff);
                if (id == 3) {
                    maxStreams = value;
                }
            }
            assertThat(maxStreams).as("SETTINGS_MAX_CONCURRENT_STREAMS").isEqualTo(7L);
        }
    }

    @Test
    void http2CanBeTurnedOff(@TempDir Path dir) throws Exception {
        try (TestServer s = new TestServer(dir, "http2_enabled: false", "");
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()) {
            HttpResponse<String> r = client.send(get("http://127.0.0.1:" + s.port + "/api/v1/agents", s.token),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        }
    }

    static HttpRequest get(String uri, String token) {
        return HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofMinutes(2)).header("X-Caxton-Token", token).GET().build();
    }

    static HttpRequest post(String uri, String token, String body) {
        return HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofMinutes(2)).header("X-Caxton-Token", token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }
}
