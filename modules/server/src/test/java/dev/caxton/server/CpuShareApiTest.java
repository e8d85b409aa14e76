package dev.caxton.server;

import dev.caxton.testkit.Wat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code limits.cpu_share} field of a deployment on a real server: the default, a value that is
 * kept and shown, and values outside 1 to 1000 refused by name.
 */
class CpuShareApiTest {

    @TempDir
    Path dir;

    private static String deployBody(String name, String limits) {
        return "{\"name\":\"" + name + "\"" + (limits == null ? "" : ",\"limits\":" + limits) + ",\"wasm_module\":\""
                + Base64.getEncoder().encodeToString(Wat.compile(TestServer.ECHO)) + "\"}";
    }

    @Test
    void aShareIsKeptAndShownAndOneOutOfRangeIsRefusedNamingTheField() throws Exception {
        try (TestServer s = new TestServer(dir, "", "agents:\n  default_limits:\n    cpu_share: 50")) {
            TestServer.Res plain = s.call("POST", "/api/v1/agents", deployBody("plain", null));
            assertThat(plain.status()).as(plain.body()).isEqualTo(201);
            assertThat(plain.body()).contains("\"cpu_share\":50");

            TestServer.Res weighted = s.call("POST", "/api/v1/agents", deployBody("weighted", "{\"cpu_share\":300}"));
            assertThat(weighted.status()).as(weighted.body()).isEqualTo(201);
            assertThat(s.call("GET", "/api/v1/agents/weighted", null).body()).contains("\"cpu_share\":300");

            for (String bad : new String[] {"0", "1001", "4294967396"}) {
                TestServer.Res r = s.call("POST", "/api/v1/agents", deployBody("bad", "{\"cpu_share\":" + bad + "}"));
                assertThat(r.status()).as(bad).isEqualTo(400);
                assertThat(r.body()).as(bad).contains("limits.cpu_share").contains("1 to 1000").doesNotContain("Exception");
            }
            TestServer.Res negative = s.call("POST", "/api/v1/agents", deployBody("bad", "{\"cpu_share\":-3}"));
            assertThat(negative.status()).isEqualTo(400);
            assertThat(negative.body()).contains("limits.cpu_share");
            assertThat(s.call("GET", "/api/v1/agents/bad", null).status()).isEqualTo(404);
        }
    }
}
