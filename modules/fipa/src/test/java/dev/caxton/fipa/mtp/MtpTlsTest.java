package dev.caxton.fipa.mtp;

import dev.caxton.fipa.acl.Aid;
import dev.caxton.fipa.envelope.FipaEnvelope;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The MTP over TLS, from the same kind of PEM files as the API's. */
class MtpTlsTest {

    @Test
    void servesHttpsFromPemFilesAndRefusesPlainHttp() throws Exception {
        SelfSignedCertificate cert = new SelfSignedCertificate("localhost");
        SSLContext server = PemTls.serverContext(PemTls.watch(cert.certificate().toString(), cert.privateKey().toString(),
                java.time.Clock.systemUTC()));
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("peer", cert.cert());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);

        byte[] payload = "(inform :content \"over tls\")".getBytes(StandardCharsets.UTF_8);
        MtpBody.Encoded body = MtpBody.encode(new FipaEnvelope(List.of(Aid.of("a@caxton-1")), Aid.of("b@Peer"), null,
                FipaEnvelope.STRING_REPRESENTATION, (long) payload.length, "UTF-8", null, List.of(), List.of()), payload);
        CompletableFuture<String> got = new CompletableFuture<>();
        try (MtpServer s = MtpServer.start("127.0.0.1", 0, 65536, 10, Duration.ofSeconds(30), server,
                d -> new MtpServer.Accept(() -> got.complete(new String(d.payload(), StandardCharsets.UTF_8))))) {
            int port = s.address().getPort();
            assertThat(MtpClient.post(URI.create("https://localhost:" + port + "/acc"), body, Duration.ofSeconds(30),
                    client.getSocketFactory())).isEqualTo(200);
            assertThat(got.get(60, TimeUnit.SECONDS)).isEqualTo("(inform :content \"over tls\")");
            assertThatThrownBy(() -> MtpClient.post(URI.create("http://localhost:" + port + "/acc"), body,
                    Duration.ofSeconds(10))).isInstanceOf(IOException.class);
        } finally {
            cert.delete();
        }
    }

    @Test
    void aKeyThatIsNotPemIsRefusedNamingTheFile() throws Exception {
        SelfSignedCertificate cert = new SelfSignedCertificate("localhost");
        try {
            assertThatThrownBy(() -> PemTls.watch(cert.certificate().toString(), cert.certificate().toString(),
                    java.time.Clock.systemUTC()))
                    .isInstanceOf(dev.caxton.spi.ConfigException.class).hasMessageContaining("PKCS#8")
                    .hasMessageContaining("fipa.http_mtp.tls.key_file")
                    .hasMessageContaining(cert.certificate().getName());
        } finally {
            cert.delete();
        }
    }
}
