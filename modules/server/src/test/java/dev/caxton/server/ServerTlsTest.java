package dev.caxton.server;

import dev.caxton.server.TestServer.Res;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TLS of the API and metrics listeners with real handshakes on loopback: the metrics port serves
 * HTTPS too, and a renewed certificate written over the files serves new connections without a
 * restart, while a broken one is refused and changes nothing.
 */
class ServerTlsTest {

    private static SelfSignedCertificate a;
    private static SelfSignedCertificate b;
    private static SelfSignedCertificate c;

    @BeforeAll
    static void certificates() throws Exception {
        a = new SelfSignedCertificate("localhost");
        b = new SelfSignedCertificate("localhost");
        c = new SelfSignedCertificate("localhost");
    }

    @AfterAll
    static void delete() {
        a.delete();
        b.delete();
        c.delete();
    }

    @Test
    void metricsPortServesHttpsWithTheApiCertificate(@TempDir Path dir) throws Exception {
        Path[] files = install(dir, a);
        try (TestServer s = new TestServer(dir, tlsYaml(files, null), "")) {
            assertThat(s.server.metricsUri().getScheme()).isEqualTo("https");
            Answer got = https(trusting(a), s.metricsPort, TestServer.request("GET", "/metrics", null, null, false));
            assertThat(got.res().status()).isEqualTo(200);
            assertThat(got.res().body()).contains("caxton_api_tls_certificate_expiry_seconds "
                    + a.cert().getNotAfter().toInstant().getEpochSecond());
            assertThat(got.peer()).isEqualTo(a.cert());
        }
    }

    @Test
    void metricsCanStayPlainWhenAsked(@TempDir Path dir) throws Exception {
        Path[] files = install(dir, a);
        try (TestServer s = new TestServer(dir, tlsYaml(files, "0s") + "\n  metrics: false", "")) {
            assertThat(s.server.metricsUri().getScheme()).isEqualTo("http");
            assertThat(s.metrics("GET", "/metrics").status()).isEqualTo(200);
        }
    }

    @Test
    void renewedFilesServeNewConnectionsAndBrokenOnesChangeNothing(@TempDir Path dir) throws Exception {
        Path[] files = install(dir, a);
        SSLContext trust = trusting(a, b, c);
        try (TestServer s = new TestServer(dir, tlsYaml(files, "100ms") + "\nidle_timeout: 10m", "")) {
            try (SSLSocket open = (SSLSocket) trust.getSocketFactory().createSocket("127.0.0.1", s.port)) {
                open.setSoTimeout(120_000);
                open.getOutputStream().write(bytes(TestServer.request("GET", "/api/v1/agents", null, s.token, true)));
                assertThat(TestServer.readOne(open.getInputStream()).status()).isEqualTo(200);
                assertThat(open.getSession().getPeerCertificates()[0]).isEqualTo(a.cert());

                install(dir, b);
                TestServer.await("a new handshake presents certificate B", () -> peerOf(trust, s.port).equals(b.cert()));
                for (int p : new int[] {s.port, s.metricsPort}) {
                    assertThat(https(trust, p, TestServer.request("GET", "/api/v1/health", null, s.token, false)).peer())
                            .isEqualTo(b.cert());
                }

                // The connection opened before the change keeps its session and keeps working.
                open.getOutputStream().write(bytes(TestServer.request("GET", "/api/v1/agents", null, s.token, true)));
                assertThat(TestServer.readOne(open.getInputStream()).status()).isEqualTo(200);
                assertThat(open.getSession().getPeerCertificates()[0]).isEqualTo(a.cert());
            }

            // Garbage in place of the certificate: an explicit reload says which file and why, and
            // the listener keeps presenting B.
            Files.writeString(files[0], "not a certificate\n");
            Answer refused = https(trust, s.port, TestServer.request("POST", "/api/v1/tls/reload", "{}", s.token, false));
            assertThat(refused.res().status()).isEqualTo(422);
            assertThat(refused.res().body()).contains(files[0].toString()).contains("server.tls.cert_file")
                    .doesNotContain("Exception");
            assertThat(peerOf(trust, s.port)).isEqualTo(b.cert());

            // A certificate with someone else's key is refused the same way, naming the key file.
            Files.copy(c.certificate().toPath(), files[0], StandardCopyOption.REPLACE_EXISTING);
            Answer mismatch = https(trust, s.port, TestServer.request("POST", "/api/v1/tls/reload", "{}", s.token, false));
            assertThat(mismatch.res().status()).isEqualTo(422);
            assertThat(mismatch.res().body()).contains("server.tls.key_file").contains("does not belong");
            assertThat(peerOf(trust, s.port)).isEqualTo(b.cert());

            // The watcher survived all of that: the matching key completes the pair C, and it is served.
            Files.copy(c.privateKey().toPath(), files[1], StandardCopyOption.REPLACE_EXISTING);
            TestServer.await("a new handshake presents certificate C", () -> peerOf(trust, s.port).equals(c.cert()));
            Answer ok = https(trust, s.port, TestServer.request("POST", "/api/v1/tls/reload", "{}", s.token, false));
            assertThat(ok.res().status()).isEqualTo(200);
            assertThat(ok.res().body()).contains("\"not_after\"");
        }
    }

    @Test
    void reloadWithoutTlsIsAClearConflict(@TempDir Path dir) throws Exception {
        try (TestServer s = new TestServer(dir, "", "")) {
            Res r = s.call("POST", "/api/v1/tls/reload", "{}");
            assertThat(r.status()).isEqualTo(409);
            assertThat(r.body()).contains("server.tls.cert_file");
        }
    }

    @Test
    void aChangeIsLoadedOnlyOnceTheFilesHoldStillAndOnlyWhenThePairIsGood(@TempDir Path dir) throws Exception {
        Path[] files = install(dir, a);
        ServerTls tls = ServerTls.load(config(files), true);
        SslContext first = tls.context();

        // A renewer writes the certificate, then the key: polls that see the files still changing
        // load nothing (the pair in between would not match); the first poll that sees them hold
        // still loads B.
        Files.copy(b.certificate().toPath(), files[0], StandardCopyOption.REPLACE_EXISTING);
        tls.poll();
        Files.copy(b.privateKey().toPath(), files[1], StandardCopyOption.REPLACE_EXISTING);
        tls.poll();
        assertThat(tls.context()).isSameAs(first);
        tls.poll();
        SslContext second = tls.context();
        assertThat(second).isNotSameAs(first);
        assertThat(tls.reload().changed()).as("B is already in use").isFalse();

        // An expired certificate (with its own key) is refused, naming the file and its dates, and
        // the watch does not try it again until the files change.
        SelfSignedCertificate expired = new SelfSignedCertificate("localhost", new java.util.Date(1_000_000_000_000L),
                new java.util.Date(1_100_000_000_000L));
        try {
            install(dir, expired);
            dev.caxton.runtime.tls.WatchedPemPair.Outcome o = tls.reload();
            assertThat(o.error()).contains(files[0].toString()).contains("valid only from");
            assertThat(o.subject()).isEqualTo(b.cert().getSubjectX500Principal().getName());
            tls.poll();
            tls.poll();
            assertThat(tls.context()).isSameAs(second);
        } finally {
            expired.delete();
        }

        // A key that is not a key: refused at a reload, and at start it stops the node naming the key.
        install(dir, b);
        Files.writeString(files[1], "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertThat(tls.reload().error()).contains(files[1].toString()).contains("server.tls.key_file");
        assertThat(tls.context()).isSameAs(second);
        assertThatThrownBy(() -> ServerTls.load(config(files), true)).isInstanceOf(dev.caxton.spi.ConfigException.class)
                .hasMessageContaining("server.tls.key_file").hasMessageContaining(files[1].toString());
    }

    @Test
    /**
     * The FIPA MTP's certificate is reloaded by the node like the API's: watched at the same interval,
     * reloaded by the same endpoint, its expiry exported, a bad pair keeping the one in use.
     */
    void theMtpCertificateIsWatchedReloadedAndExported(@TempDir Path dir) throws Exception {
        Path[] files = install(dir, a, "mtp");
        String fipa = """
                fipa:
                  http_mtp:
                    enabled: true
                    port: 0
                    tls:
                      cert_file: "%s"
                      key_file: "%s"
                """.formatted(files[0], files[1]);
        SSLContext trust = ServerTlsTest.trusting(a, b, c);
        try (TestServer s = new TestServer(dir, "tls:\n  reload_interval: 100ms", fipa)) {
            int port = s.server.fipaPort();
            assertThat(peerOf(trust, port)).isEqualTo(a.cert());
            assertThat(s.metrics("GET", "/metrics").body()).contains("caxton_fipa_mtp_tls_certificate_expiry_seconds "
                    + a.cert().getNotAfter().toInstant().getEpochSecond())
                    .doesNotContain("caxton_api_tls_certificate_expiry_seconds");

            // A renewal written over the files: the watcher takes it once they hold still.
            install(dir, b, "mtp");
            TestServer.await("a new MTP handshake presents certificate B", () -> peerOf(trust, port).equals(b.cert()));
            TestServer.await("the gauge shows B's expiry", () -> metrics(s).contains(
                    "caxton_fipa_mtp_tls_certificate_expiry_seconds " + b.cert().getNotAfter().toInstant().getEpochSecond()));

            // C's certificate with B's key: the explicit reload refuses it naming the MTP's key file, B stays.
            Files.copy(c.certificate().toPath(), files[0], StandardCopyOption.REPLACE_EXISTING);
            Res refused = s.call("POST", "/api/v1/tls/reload", "{}");
            assertThat(refused.status()).isEqualTo(422);
            assertThat(refused.body()).contains("fipa.http_mtp.tls.key_file").contains("does not belong")
                    .contains("\"fipa_mtp\"").doesNotContain("Exception");
            assertThat(peerOf(trust, port)).isEqualTo(b.cert());

            // The matching key completes C; the explicit reload takes it at once.
            Files.copy(c.privateKey().toPath(), files[1], StandardCopyOption.REPLACE_EXISTING);
            Res ok = s.call("POST", "/api/v1/tls/reload", "{}");
            assertThat(ok.status()).isEqualTo(200);
            assertThat(ok.body()).contains("\"fipa_mtp\"").contains(c.cert().getSubjectX500Principal().getName());
            assertThat(peerOf(trust, port)).isEqualTo(c.cert());
        }
    }

    private static String metrics(TestServer s) {
        try {
            return s.metrics("GET", "/metrics").body();
        } catch (IOException e) {
            return "";
        }
    }

    private static dev.caxton.runtime.config.CaxtonConfig config(Path[] files) {
        return dev.caxton.runtime.config.CaxtonConfig.parse("test.yaml", """
                server:
                  tls:
                    cert_file: "%s"
                    key_file: "%s"
                messaging:
                  serializer: json
                storage:
                  type: memory
                """.formatted(files[0], files[1]), dev.caxton.runtime.plugin.PluginCatalog.discover(null), new java.util.Properties());
    }

    /** Writes the pair over the two files the server is configured with, as a renewer does. */
    static Path[] install(Path dir, SelfSignedCertificate pair) throws IOException {
        return install(dir, pair, "api");
    }

    /** As above, as {@code <name>.crt} and {@code <name>.key}. */
    static Path[] install(Path dir, SelfSignedCertificate pair, String name) throws IOException {
        Path tls = Files.createDirectories(dir.resolve("tls"));
        Path cert = tls.resolve(name + ".crt");
        Path key = tls.resolve(name + ".key");
        Files.copy(pair.certificate().toPath(), cert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(pair.privateKey().toPath(), key, StandardCopyOption.REPLACE_EXISTING);
        return new Path[] {cert, key};
    }

    /** @param interval server.tls.reload_interval, or null to leave it at its default */
    static String tlsYaml(Path[] files, String interval) {
        return """
                tls:
                  cert_file: "%s"
                  key_file: "%s\"""".formatted(files[0], files[1]) + (interval == null ? "" : "\n  reload_interval: " + interval);
    }

    record Answer(Res res, Certificate peer) {
    }

    static Answer https(SSLContext trust, int port, String request) throws IOException {
        try (SSLSocket socket = (SSLSocket) trust.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(120_000);
            socket.getOutputStream().write(bytes(request));
            Res r = TestServer.parse(socket.getInputStream().readAllBytes());
            return new Answer(r, socket.getSession().getPeerCertificates()[0]);
        }
    }

    private static Certificate peerOf(SSLContext trust, int port) {
        try (SSLSocket socket = (SSLSocket) trust.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(120_000);
            socket.startHandshake();
            return socket.getSession().getPeerCertificates()[0];
        } catch (IOException e) {
            throw new AssertionError("handshake failed: " + e, e);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static SSLContext trusting(SelfSignedCertificate... certs) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        int i = 0;
        for (SelfSignedCertificate cert : certs) {
            try (InputStream in = Files.newInputStream(cert.certificate().toPath())) {
                ks.setCertificateEntry("ca" + i++, (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
