package dev.caxton.fipa.mtp;

import dev.caxton.fipa.acl.Aid;
import dev.caxton.fipa.envelope.FipaEnvelope;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The MTP endpoint and client over real loopback sockets. */
class MtpServerTest {

    private static MtpBody.Encoded body(String acl) {
        byte[] payload = acl.getBytes(StandardCharsets.UTF_8);
        FipaEnvelope e = new FipaEnvelope(List.of(Aid.of("echo@caxton-1")), Aid.of("a@Peer", "http://127.0.0.1:1/acc"),
                null, FipaEnvelope.STRING_REPRESENTATION, (long) payload.length, "UTF-8", Instant.now(), List.of(), List.of());
        return MtpBody.encode(e, payload);
    }

    private static String raw(int port, String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void acknowledgesThenDelivers() throws Exception {
        CompletableFuture<String> delivered = new CompletableFuture<>();
        try (MtpServer server = MtpServer.start("127.0.0.1", 0, 64 * 1024, 10, Duration.ofSeconds(30),
                d -> new MtpServer.Accept(() -> delivered.complete(new String(d.payload(), d.charset()))))) {
            URI uri = URI.create("http://127.0.0.1:" + server.address().getPort() + "/acc");
            int status = MtpClient.post(uri, body("(inform :content \"grüße ✓\")"), Duration.ofSeconds(30));
            assertThat(status).isEqualTo(200);
            assertThat(delivered.get(60, TimeUnit.SECONDS)).isEqualTo("(inform :content \"grüße ✓\")");
            assertThat(server.acceptedCount()).isEqualTo(1);
        }
    }

    @Test
    void refusesWhatIsNotAnMtpMessageAndCountsIt() throws Exception {
        try (MtpServer server = MtpServer.start("127.0.0.1", 0, 4096, 10, Duration.ofSeconds(30),
                d -> new MtpServer.Refuse(403, "platform 'Peer' is not allowed"))) {
            int port = server.address().getPort();
            String notMultipart = raw(port, "POST /acc HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                    + "Content-Length: 2\r\nConnection: close\r\n\r\nhi");
            assertThat(notMultipart).startsWith("HTTP/1.1 400").contains("not multipart/mixed");
            String tooLarge = raw(port, "POST /acc HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/mixed; boundary=b\r\n"
                    + "Content-Length: 999999\r\nConnection: close\r\n\r\n");
            assertThat(tooLarge).startsWith("HTTP/1.1 413").contains("fipa.http_mtp.max_body_size");
            String get = raw(port, "GET /acc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertThat(get).startsWith("HTTP/1.1 405");
            MtpBody.Encoded ok = body("(inform)");
            int status = MtpClient.post(URI.create("http://127.0.0.1:" + port + "/acc"), ok, Duration.ofSeconds(30));
            assertThat(status).isEqualTo(403);
            assertThat(server.malformedCount()).isEqualTo(1);
            assertThat(server.tooLargeCount()).isEqualTo(1);
            assertThat(server.refusedCount()).isEqualTo(2);
        }
    }
}
