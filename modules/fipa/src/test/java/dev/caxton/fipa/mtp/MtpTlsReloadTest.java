package dev.caxton.fipa.mtp;

import dev.caxton.runtime.tls.WatchedPemPair;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The MTP listener takes a renewed certificate without a restart: real handshakes on loopback
 * against the JDK HTTPS server, with the files rewritten the way a renewer does, polled by hand so
 * the test decides when the watcher looks.
 */
class MtpTlsReloadTest {

    /** Three self-signed identities for localhost, made once: key generation is the slow part. */
    private static final List<SelfSignedCertificate> PAIRS = new ArrayList<>();

    @BeforeAll
    static void certificates() throws Exception {
        while (PAIRS.size() < 3) {
            PAIRS.add(new SelfSignedCertificate("localhost"));
        }
    }

    @AfterAll
    static void delete() {
        PAIRS.forEach(SelfSignedCertificate::delete);
    }

    @Test
    void renewedFilesAreServedToNewConnectionsAndABadPairKeepsTheOld(@TempDir Path dir) throws Exception {
        SelfSignedCertificate a = PAIRS.get(0);
        SelfSignedCertificate b = PAIRS.get(1);
        SelfSignedCertificate c = PAIRS.get(2);
        Path[] files = install(dir, a);
        WatchedPemPair<X509ExtendedKeyManager> pair = PemTls.watch(files[0].toString(), files[1].toString(),
                Clock.systemUTC());
        SSLContext trust = trusting(a, b, c);
        try (MtpServer s = MtpServer.start("127.0.0.1", 0, 65536, 10, Duration.ofSeconds(30),
                PemTls.serverContext(pair), d -> new MtpServer.Accept(() -> { }))) {
            int port = s.address().getPort();
            assertThat(peerOf(trust, port)).isEqualTo(a.cert());

            // The certificate first, then the key: a poll that sees the files still changing takes
            // nothing; the first that sees them hold still takes B.
            Files.copy(b.certificate().toPath(), files[0], StandardCopyOption.REPLACE_EXISTING);
            pair.poll();
            Files.copy(b.privateKey().toPath(), files[1], StandardCopyOption.REPLACE_EXISTING);
            pair.poll();
            assertThat(peerOf(trust, port)).isEqualTo(a.cert());
            pair.poll();
            assertThat(peerOf(trust, port)).isEqualTo(b.cert());
            assertThat(pair.notAfter()).isEqualTo(b.cert().getNotAfter().toInstant());

            // C's certificate with B's key: refused naming the key file, B stays, polls do not retry it.
            Files.copy(c.certificate().toPath(), files[0], StandardCopyOption.REPLACE_EXISTING);
            pair.poll();
            pair.poll();
            assertThat(peerOf(trust, port)).isEqualTo(b.cert());
            WatchedPemPair.Outcome refused = pair.reload();
            assertThat(refused.error()).contains(files[1].toString()).contains("fipa.http_mtp.tls.key_file")
                    .contains("does not belong");
            assertThat(refused.subject()).isEqualTo(b.cert().getSubjectX500Principal().getName());

            // Garbage instead of a certificate: refused naming the certificate file.
            Files.writeString(files[0], "not a certificate\n");
            assertThat(pair.reload().error()).contains(files[0].toString()).contains("fipa.http_mtp.tls.cert_file");
            assertThat(peerOf(trust, port)).isEqualTo(b.cert());

            // The whole pair C: served after the watcher saw it hold still.
            install(dir, c);
            pair.poll();
            pair.poll();
            assertThat(peerOf(trust, port)).isEqualTo(c.cert());
            // An exchange over the reloaded identity still works end to end.
            assertThat(post(trust, port)).startsWith("HTTP/1.1 405");
        }
    }

    static Path[] install(Path dir, SelfSignedCertificate pair) throws IOException {
        Path cert = dir.resolve("mtp.crt");
        Path key = dir.resolve("mtp.key");
        Files.copy(pair.certificate().toPath(), cert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(pair.privateKey().toPath(), key, StandardCopyOption.REPLACE_EXISTING);
        return new Path[] {cert, key};
    }

    static SSLContext trusting(SelfSignedCertificate... certs) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        int i = 0;
        for (SelfSignedCertificate cert : certs) {
            ks.setCertificateEntry("ca" + i++, cert.cert());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** A fresh context per call would resume nothing anyway; the handshake is forced on a new socket. */
    static Certificate peerOf(SSLContext trust, int port) throws IOException {
        try (SSLSocket socket = (SSLSocket) trust.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(120_000);
            socket.startHandshake();
            return socket.getSession().getPeerCertificates()[0];
        }
    }

    private static String post(SSLContext trust, int port) throws IOException {
        try (SSLSocket socket = (SSLSocket) trust.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(120_000);
            socket.getOutputStream().write("GET /acc HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
