package dev.caxton.tests;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.Certificate;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The image's node over TLS: HTTP/2 negotiated by ALPN (so the image links Netty's HTTP/2 codec),
 * metrics over HTTPS, a certificate renewed in place served to new connections without a restart,
 * and a broken renewal refused by {@code caxton server reload-tls} while the node keeps serving.
 */
class TlsReloadImageTest {

    @Test
    void renewedCertificateServedWithoutRestartOverHttp2(@TempDir Path dir) throws Exception {
        SelfSignedCertificate a = new SelfSignedCertificate("localhost");
        SelfSignedCertificate b = new SelfSignedCertificate("localhost");
        Path cert = Files.createDirectories(dir.resolve("tls")).resolve("api.crt");
        Path key = dir.resolve("tls/api.key");
        install(a, cert, key);
        int[] ports = Image.freePorts(3);
        Path data = dir.resolve("data");
        Path config = Files.writeString(dir.resolve("caxton.yaml"), """
                server:
                  port: %d
                  metrics_port: %d
                  data_dir: %s
                  tls:
                    cert_file: %s
                    key_file: %s
                    reload_interval: 200ms
                storage:
                  type: memory
                transport:
                  port: %d
                """.formatted(ports[0], ports[1], data, cert, key, ports[2]));
        Path log = dir.resolve("server.log");
        Process p = new ProcessBuilder(Image.launcher().toString(), "server", "start", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        String url = "https://localhost:" + ports[0];
        SSLContext trust = ApiTlsImageTest.trusting(a.certificate().toPath(), b.certificate().toPath());
        try (HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(trust).build()) {
            ApiTlsImageTest.awaitReady(p, h2, url, log);
            String token = Files.readString(data.resolve("api-token")).trim();
            HttpResponse<String> agents = h2.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/agents"))
                    .header("X-Caxton-Token", token).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(agents.statusCode()).isEqualTo(200);
            assertThat(agents.version()).isEqualTo(HttpClient.Version.HTTP_2);
            HttpResponse<String> metrics = h2.send(HttpRequest.newBuilder(URI.create("https://localhost:" + ports[1] + "/metrics"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("caxton_api_tls_certificate_expiry_seconds");
            assertThat(peer(trust, ports[0])).isEqualTo(a.cert());

            install(b, cert, key);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!peer(trust, ports[0]).equals(b.cert())) {
                assertThat(System.nanoTime()).as("certificate B served in the end:\n%s", Files.readString(log)).isLessThan(deadline);
                Thread.sleep(100);
            }
            assertThat(peer(trust, ports[1])).isEqualTo(b.cert());

            Files.writeString(cert, "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n");
            Image.Result refused = Image.run("server", "reload-tls", "--server", url, "--data-dir", data.toString(),
                    "--ca-file", b.certificate().getPath());
            assertThat(refused.exit()).isNotZero();
            assertThat(refused.err()).contains("server.tls.cert_file").contains(cert.toString());
            assertThat(p.isAlive()).isTrue();
            assertThat(peer(trust, ports[0])).isEqualTo(b.cert());
            assertThat(h2.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/agents")).header("X-Caxton-Token", token).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        } finally {
            p.destroy();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            a.delete();
            b.delete();
        }
    }

    private static void install(SelfSignedCertificate pair, Path cert, Path key) throws IOException {
        Files.copy(pair.certificate().toPath(), cert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(pair.privateKey().toPath(), key, StandardCopyOption.REPLACE_EXISTING);
    }

    private static Certificate peer(SSLContext trust, int port) throws IOException {
        try (SSLSocket socket = (SSLSocket) trust.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(120_000);
            socket.startHandshake();
            return socket.getSession().getPeerCertificates()[0];
        }
    }
}
