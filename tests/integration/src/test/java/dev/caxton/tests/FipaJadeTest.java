package dev.caxton.tests;

import dev.caxton.fipa.acl.AclCodec;
import dev.caxton.fipa.acl.AclMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Caxton node and a real JADE 4.3.3 platform (a separate process, test scope only) talking over
 * the FIPA HTTP MTP on loopback. The JADE agents are in {@code dev.caxton.tests.fipa}.
 */
class FipaJadeTest {

    static final String UTF8 = "grüße ✓ 漢字 😀 \"quoted\" \\ back";

    @TempDir
    static Path dir;
    static Image.Server caxton;
    static Process jade;
    static Path jadeLog;
    static int jadeMtpPort;
    static int caxtonMtpPort;

    @BeforeAll
    static void start() throws Exception {
        int[] ports = Image.freePorts(3);
        int caxtonMtp = ports[0];
        caxtonMtpPort = caxtonMtp;
        jadeMtpPort = ports[1];
        int jadeImtp = ports[2];
        Files.createDirectories(dir.resolve("caxton"));
        caxton = new Image.Server(dir.resolve("caxton"), """
                fipa:
                  platform_name: caxton-1
                  http_mtp:
                    enabled: true
                    host: 127.0.0.1
                    port: %d
                  platforms:
                    JadePeer: http://127.0.0.1:%d/acc
                """.formatted(caxtonMtp, jadeMtpPort));
        deploy("examples/ping-pong/pong.wasm", "pong");
        deploy("examples/echo/echo.wasm", "echo");
        for (String s : List.of("seller-a", "seller-b", "seller-c")) {
            deploy("examples/contract-net/" + s + ".wasm", s);
        }
        String caxtonUrl = "http://127.0.0.1:" + caxtonMtp + "/acc";
        jadeLog = dir.resolve("jade.log");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString(),
                "--add-exports", "java.xml/com.sun.org.apache.xerces.internal.jaxp=ALL-UNNAMED",
                "-Dcaxton.mtp=" + caxtonUrl,
                "-Dprobe.asker.to=pong@caxton-1", "-Dprobe.asker.content=ping",
                "-Dprobe.utf.to=echo@caxton-1", "-Dprobe.utf.content=" + UTF8,
                "-Dprobe.lost.to=nobody@caxton-1",
                "-Dbuyer.sellers=seller-a@caxton-1,seller-b@caxton-1,seller-c@caxton-1",
                "-cp", System.getProperty("java.class.path"), "jade.Boot",
                "-name", "JadePeer", "-local-host", "127.0.0.1", "-local-port", Integer.toString(jadeImtp),
                "-mtps", "jade.mtp.http.MessageTransportProtocol(http://127.0.0.1:" + jadeMtpPort + "/acc)",
                "-agents", "echo:dev.caxton.tests.fipa.JadeEcho;asker:dev.caxton.tests.fipa.JadeProbe;"
                        + "utf:dev.caxton.tests.fipa.JadeProbe;lost:dev.caxton.tests.fipa.JadeProbe;"
                        + "buyer:dev.caxton.tests.fipa.JadeBuyer"));
        // JADE writes APDescription.txt and MTPs-*.txt into its working directory: keep them in the temp dir.
        jade = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(jadeLog.toFile()).start();
    }

    static void deploy(String example, String name) {
        Image.Result r = caxton.cli("agent", "deploy", Image.ROOT.resolve(example).toString(), "--name", name);
        assertThat(r.exit()).as(r.err()).isZero();
    }

    @AfterAll
    static void stop() throws Exception {
        if (jade != null) {
            jade.destroy();
            if (!jade.waitFor(30, TimeUnit.SECONDS)) {
                jade.destroyForcibly();
            }
        }
        if (caxton != null) {
            caxton.close();
        }
    }

    /** Waits for a line of JADE's output starting with the marker; returns it. */
    static String awaitLine(String marker) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            for (String l : Files.readAllLines(jadeLog)) {
                if (l.startsWith(marker)) {
                    return l;
                }
            }
            if (!jade.isAlive()) {
                break;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("JADE printed no '" + marker + "'. JADE:\n" + Files.readString(jadeLog)
                + "\nCaxton:\n" + caxton.log());
    }

    @Test
    @DisplayName("a JADE agent's REQUEST reaches a Caxton WASM agent and its INFORM comes back over the MTP")
    void jadeRequestsCaxtonInforms() throws Exception {
        assertThat(awaitLine("PROBE-REPLY asker")).isEqualTo("PROBE-REPLY asker INFORM from pong@caxton-1 content=pong");
    }

    @Test
    @DisplayName("UTF-8 content survives JADE -> Caxton -> JADE")
    void utf8RoundTrip() throws Exception {
        // echo.wasm returns the envelope it got, so the performative comes back as sent.
        assertThat(awaitLine("PROBE-REPLY utf")).isEqualTo("PROBE-REPLY utf REQUEST from echo@caxton-1 content=" + UTF8);
    }

    @Test
    @DisplayName("a message for an unknown Caxton agent gets a FIPA failure from ams@caxton-1")
    void unknownAgentFails() throws Exception {
        String line = awaitLine("PROBE-REPLY lost");
        assertThat(line).startsWith("PROBE-REPLY lost FAILURE from ams@caxton-1").contains("nobody");
    }

    @Test
    @DisplayName("a Caxton client sends REQUEST to a JADE agent and --wait prints its INFORM")
    void caxtonRequestsJadeInforms() throws Exception {
        awaitLine("PROBE-SENT asker");
        Image.Result r = caxton.cli("message", "send", "--to", "echo@JadePeer", "--performative", "request",
                "--content", "\"hi ✓\"", "--wait", "30s", "--output", "json");
        assertThat(r.exit()).as(r.err() + r.out()).isZero();
        assertThat(r.json().at("/reply/performative").asText()).isEqualTo("inform");
        assertThat(r.json().at("/reply/sender").asText()).isEqualTo("echo@JadePeer");
        assertThat(r.json().at("/reply/content").asText()).isEqualTo("hi ✓");
    }

    @Test
    @DisplayName("a JADE buyer runs a Contract-Net against the Caxton C sellers and picks the cheapest")
    void jadeBuyerContractNet() throws Exception {
        assertThat(awaitLine("BUYER-WINNER")).isEqualTo("BUYER-WINNER seller-b@caxton-1 95");
        assertThat(awaitLine("BUYER-DONE")).contains("\"status\":\"sold\"").contains("95");
    }

    @Test
    @DisplayName("a peer cannot speak as a local agent, and malformed MTP requests are refused and counted")
    void impersonationAndMalformedInputAreRefused() throws Exception {
        java.net.URI mtp = java.net.URI.create("http://127.0.0.1:" + caxtonMtpPort + "/acc");
        int asLocal = dev.caxton.fipa.mtp.MtpClient.post(mtp, mtpBody("echo@caxton-1"), java.time.Duration.ofSeconds(30));
        assertThat(asLocal).as("sender claiming this platform").isEqualTo(403);
        int bare = dev.caxton.fipa.mtp.MtpClient.post(mtp, mtpBody("echo"), java.time.Duration.ofSeconds(30));
        assertThat(bare).as("sender without a platform").isEqualTo(400);
        dev.caxton.fipa.mtp.MtpBody.Encoded garbage = new dev.caxton.fipa.mtp.MtpBody.Encoded(
                "multipart/mixed ; boundary=\"b\"", "--b\r\n\r\n<envelope>\r\n--b--\r\n".getBytes());
        assertThat(dev.caxton.fipa.mtp.MtpClient.post(mtp, garbage, java.time.Duration.ofSeconds(30))).isEqualTo(400);
        java.net.http.HttpResponse<String> m;
        try (java.net.http.HttpClient c = java.net.http.HttpClient.newHttpClient()) {
            m = c.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + caxton.metricsPort
                    + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        }
        assertThat(m.body()).containsPattern("caxton_fipa_refused_sender_total [2-9]")
                .containsPattern("caxton_fipa_refused_malformed_total [1-9]");
        // The node is still up and serving.
        assertThat(caxton.http("GET", "/api/v1/health", null, caxton.token()).statusCode()).isEqualTo(200);
    }

    /** A well-formed MTP message for pong@caxton-1 from the given sender. */
    static dev.caxton.fipa.mtp.MtpBody.Encoded mtpBody(String sender) {
        dev.caxton.fipa.acl.Aid to = dev.caxton.fipa.acl.Aid.of("pong@caxton-1");
        dev.caxton.fipa.acl.Aid from = dev.caxton.fipa.acl.Aid.of(sender, "http://127.0.0.1:" + jadeMtpPort + "/acc");
        byte[] payload = AclCodec.print(new AclMessage("request", from, List.of(to), List.of(), "x", null, null, null,
                null, null, null, null, null, java.util.Map.of())).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return dev.caxton.fipa.mtp.MtpBody.encode(new dev.caxton.fipa.envelope.FipaEnvelope(List.of(to), from, null,
                null, (long) payload.length, "UTF-8", null, List.of(), List.of()), payload);
    }

    @Test
    @DisplayName("the ACL codec parses every message JADE printed in these tests")
    void codecReadsJadesOwnPrinting() throws Exception {
        awaitLine("PROBE-REPLY utf");
        awaitLine("BUYER-DONE");
        String out = Files.readString(jadeLog);
        Matcher m = Pattern.compile("ACL>>(.*?)<<ACL", Pattern.DOTALL).matcher(out);
        int n = 0;
        while (m.find()) {
            AclMessage parsed = AclCodec.parse(m.group(1));
            assertThat(AclCodec.parse(AclCodec.print(parsed))).isEqualTo(parsed);
            n++;
        }
        assertThat(n).as("messages JADE printed").isGreaterThanOrEqualTo(8);
        System.out.println("FIPA corpus: " + n + " messages printed by JADE parsed");
    }
}
