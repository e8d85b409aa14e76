package dev.caxton.tests;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's main command, {@code ./demo.sh}, on the built image (ports moved aside so it can run anywhere). */
class DemoTest {

    @Test
    @DisplayName("demo.sh deploys the examples, shows them talking and a fault contained, and stops the node with status 0")
    void demo() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", Image.ROOT.resolve("demo.sh").toString(), "--no-build")
                .directory(Image.ROOT.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        int[] ports = Image.freePorts(3);
        pb.environment().put("CAXTON_OPTS", "-Dcaxton.server.port=" + ports[0]
                + " -Dcaxton.server.metrics_port=" + ports[1] + " -Dcaxton.transport.port=" + ports[2]);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("request from echo: {\"hello\":\"caxton\"}")
                .contains("inform from counter: {\"count\":2}")
                .contains("inform from calculator: {\"result\":42}")
                .contains("ping-pong finished after 3 rounds")
                .contains("timeout")
                .contains("request from echo: \"still serving\"")
                .contains("server exited with status 0");
    }
}
