package dev.caxton.tests;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The image's node serving its API over TLS with a test certificate, and the image's command line
 * rotating the default token through it: the old secret is refused once its grace is over, the
 * node's token file follows, and plain HTTP on the TLS port gets no answer.
 */
class ApiTlsImageTest {

    @Test
    void tokenRotationOverTlsWithTheImagesCommandLine(@TempDir Path dir) throws Exception {
        SelfSignedCertificate cert = new SelfSignedCertificate("localhost");
        int[] ports = Image.freePorts(2);
        Path data = dir.resolve("data");
        Path config = Files.writeString(dir.resolve("caxton.yaml"), """
                server:
                  port: %d
                  metrics_enabled: false
                  data_dir: %s
                  tls:
                    cert_file: %s
                    key_file: %s
                storage:
                  type: memory
                transport:
                  port: %d
                """.formatted(ports[0], data, cert.certificate().getPath(), cert.privateKey().getPath(), ports[1]));
        Path log = dir.resolve("server.log");
        Process p = new ProcessBuilder(Image.launcher().toString(), "server", "start", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        String url = "https://localhost:" + ports[0];
        String ca = cert.certificate().getPath();
        try (HttpClient https = HttpClient.newBuilder().sslContext(trusting(cert.certificate().toPath())).build()) {
            awaitReady(p, https, url, log);
            String old = Files.readString(data.resolve("api-token")).trim();

            Image.Result rotated = Image.run("token", "rotate", "--grace", "300ms", "--server", url,
                    "--data-dir", data.toString(), "--ca-file", ca);
            assertThat(rotated.exit()).as(rotated.err()).isZero();
            String fresh = rotated.out().lines().findFirst().orElseThrow();
            assertThat(fresh).matches("[0-9a-f]{64}");
            assertThat(Files.readString(data.resolve("api-token")).trim()).isEqualTo(fresh);

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            Image.Result withOld;
            while ((withOld = Image.run("agent", "list", "--server", url, "--token", old, "--ca-file", ca)).exit() == 0) {
                assertThat(System.nanoTime()).as("the old secret refused in the end").isLessThan(deadline);
                Thread.sleep(100);
            }
            assertThat(withOld.err()).contains("401");
            Image.Result withNew = Image.run("agent", "list", "--server", url, "--data-dir", data.toString(), "--ca-file", ca);
            assertThat(withNew.exit()).as(withNew.err()).isZero();
            assertThat(Files.readString(log)).doesNotContain(old).doesNotContain(fresh);

            // Plain HTTP on the TLS port: the handshake fails, no HTTP answer comes back.
            try (HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build()) {
                assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[0]
                        + "/api/v1/ready")).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString()))
                        .isInstanceOf(IOException.class);
            }
        } finally {
            p.destroy();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            cert.delete();
        }
    }

    /** Waits until the node answers ready over TLS, without a token, as a probe would. */
    static void awaitReady(Process p, HttpClient https, String url, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            assertThat(p.isAlive()).as("the node runs: %s", log).isTrue();
            try {
                if (https.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/ready")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            assertThat(System.nanoTime()).as("ready in the end:\n%s", Files.readString(log)).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    static SSLContext trusting(Path... pems) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        int i = 0;
        for (Path pem : pems) {
            try (InputStream in = Files.newInputStream(pem)) {
                ks.setCertificateEntry("ca" + i++, CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
