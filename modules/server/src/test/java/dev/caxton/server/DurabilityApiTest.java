package dev.caxton.server;

import dev.caxton.testkit.Wat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The API side of durability on a real server: the {@code durable} and {@code keep_state} fields,
 * duplicates by {@code message_id} with persistence on, and the persistence metrics.
 */
class DurabilityApiTest {

    @TempDir
    Path dir;

    private static String module(String wat) {
        return Base64.getEncoder().encodeToString(Wat.compile(wat));
    }

    private static long handled(TestServer s, String agent) throws Exception {
        String body = s.call("GET", "/api/v1/agents/" + agent, null).body();
        return Long.parseLong(body.replaceAll("(?s).*\"messages_handled\":(\\d+).*", "$1"));
    }

    @Test
    void withPersistenceADurableAgentDeploysAndAResentIdIsHandledOnce() throws Exception {
        Files.createDirectories(dir);
        try (TestServer s = new TestServer(dir, "", "", "enable_persistence: true")) {
            TestServer.Res deployed = s.call("POST", "/api/v1/agents", "{\"name\":\"e\",\"durable\":true,\"wasm_module\":\""
                    + module(TestServer.ECHO) + "\"}");
            assertThat(deployed.status()).as(deployed.body()).isEqualTo(201);
            assertThat(deployed.body()).contains("\"durable\":true").contains("\"checkpoint_version\":null");

            for (int i = 0; i < 3; i++) {
                TestServer.Res sent = s.call("POST", "/api/v1/messages",
                        "{\"performative\":\"inform\",\"receiver\":\"e\",\"message_id\":\"once\",\"content\":1}");
                assertThat(sent.status()).as(sent.body()).isEqualTo(202);
            }
            TestServer.Res other = s.call("POST", "/api/v1/messages",
                    "{\"performative\":\"request\",\"receiver\":\"e\",\"content\":2,\"wait_ms\":20000}");
            assertThat(other.status()).as(other.body()).isEqualTo(200);
            // The request was queued behind the first copy of "once", so both are handled now.
            assertThat(handled(s, "e")).isEqualTo(2);
            assertThat(s.call("GET", "/api/v1/agents/e", null).body()).containsPattern("\"checkpoint_version\":\\d+");

            String metrics = s.metrics("GET", "/metrics").body();
            assertThat(metrics).contains("caxton_messages_persisted_total 2").contains("caxton_messages_duplicate_total 2");

            TestServer.Res badKeep = s.call("PUT", "/api/v1/agents/e/module", "{\"keep_state\":\"yes\",\"wasm_module\":\""
                    + module(TestServer.ECHO) + "\"}");
            assertThat(badKeep.status()).isEqualTo(400);
            assertThat(badKeep.body()).contains("'keep_state' must be true or false");
            TestServer.Res kept = s.call("PUT", "/api/v1/agents/e/module", "{\"keep_state\":true,\"wasm_module\":\""
                    + module(TestServer.ECHO) + "\"}");
            assertThat(kept.status()).as(kept.body()).isEqualTo(200);
        }
    }

    @Test
    void aDurableAgentBooksTwiceItsMemoryLimitAgainstTheBudget() throws Exception {
        Files.createDirectories(dir);
        try (TestServer s = new TestServer(dir, "", "", "enable_persistence: true")) {
            String health = s.call("GET", "/api/v1/health", null).body();
            long budget = Long.parseLong(health.replaceAll("(?s).*\"budget_bytes\":(\\d+).*", "$1"));
            // Three fifths of the budget: fits once, not twice.
            long limit = budget * 3 / 5 / 65536 * 65536;
            org.assertj.core.api.Assumptions.assumeThat(limit).as("a memory limit above 4 GB cannot be asked for")
                    .isLessThanOrEqualTo(4L << 30);
            String rest = ",\"limits\":{\"memory_bytes\":" + limit + "},\"wasm_module\":\"" + module(TestServer.ECHO) + "\"}";
            TestServer.Res durable = s.call("POST", "/api/v1/agents", "{\"name\":\"big\",\"durable\":true" + rest);
            assertThat(durable.status()).as(durable.body()).isEqualTo(503);
            assertThat(durable.body()).contains("memory budget");
            TestServer.Res plain = s.call("POST", "/api/v1/agents", "{\"name\":\"big\",\"durable\":false" + rest);
            assertThat(plain.status()).as(plain.body()).isEqualTo(201);
        }
    }

    @Test
    void durableNeedsPersistenceAndABoolean() throws Exception {
        Files.createDirectories(dir);
        try (TestServer s = new TestServer(dir, "", "")) {
            TestServer.Res notBool = s.call("POST", "/api/v1/agents", "{\"name\":\"e\",\"durable\":\"yes\",\"wasm_module\":\""
                    + module(TestServer.ECHO) + "\"}");
            assertThat(notBool.status()).isEqualTo(400);
            assertThat(notBool.body()).contains("field 'durable' must be true or false");

            TestServer.Res off = s.call("POST", "/api/v1/agents", "{\"name\":\"e\",\"durable\":true,\"wasm_module\":\""
                    + module(TestServer.ECHO) + "\"}");
            assertThat(off.status()).isEqualTo(400);
            assertThat(off.body()).contains("messaging.enable_persistence");
            assertThat(s.metrics("GET", "/metrics").body()).doesNotContain("caxton_messages_persisted_total");
        }
    }
}
