package dev.caxton.tests;

import dev.caxton.fipa.acl.AclCodec;
import dev.caxton.fipa.acl.AclMessage;
import dev.caxton.fipa.acl.Aid;
import dev.caxton.fipa.envelope.FipaEnvelope;
import dev.caxton.fipa.mtp.MtpBody;
import dev.caxton.fipa.mtp.MtpClient;
import dev.caxton.fipa.mtp.MtpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The node's MTP against a FIPA peer written here (the codec's own MTP server), for what JADE cannot
 * easily be made to do: stay silent, be down, or come from a platform that is not allowed.
 */
class FipaPeerTest {

    @Test
    void peersOutsideTheAllowListSilentPeersAndDownPeers(@TempDir Path dir) throws Exception {
        LinkedBlockingQueue<AclMessage> atPeer = new LinkedBlockingQueue<>();
        int[] ports = Image.freePorts(2);
        int caxtonMtp = ports[0];
        int down = ports[1];
        try (MtpServer peer = MtpServer.start("127.0.0.1", 0, 1 << 20, 10, Duration.ofSeconds(30),
                d -> new MtpServer.Accept(() -> atPeer.add(AclCodec.parse(new String(d.payload(), d.charset())))));
             Image.Server s = new Image.Server(dir, """
                     fipa:
                       platform_name: caxton-1
                       http_mtp:
                         enabled: true
                         port: %d
                         allowed_platforms: [Peer]
                       platforms:
                         Peer: http://127.0.0.1:%d/acc
                         Down: http://127.0.0.1:%d/acc
                     """.formatted(caxtonMtp, peer.address().getPort(), down))) {
            assertThat(s.cli("agent", "deploy", Image.ROOT.resolve("examples/ping-pong/pong.wasm").toString(),
                    "--name", "pong").exit()).isZero();

            // A silent peer: reply_by ends the wait with a timeout failure, as for a local agent.
            long replyBy = System.currentTimeMillis() + 2_000;
            HttpResponse<String> silent = s.http("POST", "/api/v1/messages", """
                    {"receiver":"bob@Peer","performative":"request","content":"anyone?","reply_with":"r1",
                     "reply_by":%d,"wait_ms":60000}""".formatted(replyBy), s.token());
            assertThat(silent.statusCode()).as(silent.body()).isEqualTo(200);
            assertThat(silent.body()).contains("failure").contains("timeout").contains("reply_by");
            AclMessage got = atPeer.poll(60, TimeUnit.SECONDS);
            assertThat(got).isNotNull();
            assertThat(got.receivers()).extracting(Aid::name).containsExactly("bob@Peer");
            assertThat(got.sender().name()).startsWith("client-").endsWith("@caxton-1");
            assertThat(got.sender().addresses()).containsExactly("http://127.0.0.1:" + caxtonMtp + "/acc");
            assertThat(got.content()).isEqualTo("anyone?");
            assertThat(got.replyBy().toEpochMilli()).isEqualTo(replyBy);

            // A peer that is down: the sender gets a failure saying so.
            Image.Result unreachable = s.cli("message", "send", "--to", "x@Down", "--performative", "request",
                    "--content", "\"hi\"", "--wait", "60s", "--output", "json");
            assertThat(unreachable.out() + unreachable.err()).contains("unreachable");

            // A platform nobody configured or heard from: refused at once, naming the setting.
            Image.Result unknown = s.cli("message", "send", "--to", "x@Nowhere", "--performative", "request",
                    "--content", "\"hi\"");
            assertThat(unknown.exit()).isEqualTo(1);
            assertThat(unknown.err() + unknown.out()).contains("Nowhere").contains("fipa.platforms");

            // A platform outside fipa.http_mtp.allowed_platforms: 403, counted.
            Aid from = Aid.of("mallory@Other", "http://127.0.0.1:" + peer.address().getPort() + "/acc");
            Aid to = Aid.of("pong@caxton-1");
            byte[] payload = AclCodec.print(new AclMessage("request", from, List.of(to), List.of(), "x", null, null,
                    null, null, null, null, null, null, Map.of())).getBytes(StandardCharsets.UTF_8);
            MtpBody.Encoded body = MtpBody.encode(new FipaEnvelope(List.of(to), from, null, null, (long) payload.length,
                    "UTF-8", null, List.of(), List.of()), payload);
            assertThat(MtpClient.post(URI.create("http://127.0.0.1:" + caxtonMtp + "/acc"), body, Duration.ofSeconds(30)))
                    .isEqualTo(403);
            String metrics;
            try (java.net.http.HttpClient c = java.net.http.HttpClient.newHttpClient()) {
                metrics = c.send(java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.metricsPort
                        + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            }
            assertThat(metrics).contains("caxton_fipa_refused_platform_total 1")
                    .containsPattern("caxton_fipa_send_failures_total [1-9]");
        }
    }
}
