package dev.caxton.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.testkit.Wat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The instance pool on a real node and engine (Chicory, modules from WAT): deploys and restarts
 * take pre-made instances, those instances call the host as the agent that took them, run within
 * that agent's memory limit, and a module with a start function is never pooled.
 */
class InstancePoolApiTest {

    @TempDir
    Path dir;

    /**
     * Registers "pooled" in init through its imported register_capability; each message tries to
     * grow memory by two pages and traps if that succeeds (the 2-page limit it is deployed with must
     * refuse it), then answers with the message. Under a limit of three pages or more every message
     * traps.
     */
    private static final String GUEST = """
            (module
              (import "caxton" "register_capability" (func $reg (param i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 0) "pooled")
              (func (export "init") (result i32) (call $reg (i32.const 0) (i32.const 6)))
              (func (export "alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "handle_message") (param $ptr i32) (param $len i32) (result i64)
                (if (i32.ne (memory.grow (i32.const 2)) (i32.const -1)) (then unreachable))
                (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
                        (i64.extend_i32_u (local.get $len)))))
            """;

    /** The echo agent with a start function that writes to its memory. */
    private static final String WITH_START = """
            (module
              (memory (export "memory") 1)
              (func $start (i32.store (i32.const 0) (i32.const 7)))
              (start $start)
              (func (export "alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "handle_message") (param $ptr i32) (param $len i32) (result i64)
                (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
                        (i64.extend_i32_u (local.get $len)))))
            """;

    private static TestServer server(Path dir) throws IOException {
        return new TestServer(dir, "", "", "", "instance_pool:\n  size: 2\n  prewarm: true");
    }

    private static void deploy(TestServer s, String name, String wat) throws IOException {
        deploy(s, name, wat, 131072);
    }

    private static void deploy(TestServer s, String name, String wat, long memory) throws IOException {
        String module = Base64.getEncoder().encodeToString(Wat.compile(wat));
        TestServer.Res r = s.call("POST", "/api/v1/agents", "{\"name\":\"" + name + "\",\"wasm_module\":\"" + module
                + "\",\"limits\":{\"memory_bytes\":" + memory + "}}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
    }

    private static TestServer.Res send(TestServer s, String receiver) throws IOException {
        return s.call("POST", "/api/v1/messages", "{\"performative\":\"request\",\"receiver\":\"" + receiver
                + "\",\"content\":\"hello\",\"wait_ms\":30000}");
    }

    private static long counter(TestServer s, String key) {
        return s.server.node().counters().get(key);
    }

    @Test
    void deploysTakePooledInstancesThatActAsTheirAgentWithinItsLimits() throws Exception {
        try (TestServer s = server(dir)) {
            deploy(s, "first", GUEST);
            assertThat(counter(s, "instance_pool_misses")).isEqualTo(1);
            TestServer.await("the pool filled", () -> counter(s, "instance_pool_idle") == 2);

            deploy(s, "second", GUEST);
            assertThat(counter(s, "instance_pool_hits")).isEqualTo(1);
            TestServer.Res caps = s.call("GET", "/api/v1/agents/second", null);
            assertThat(caps.body()).as("init's register_capability reached the agent that took the instance")
                    .contains("pooled");
            TestServer.Res reply = send(s, "second");
            assertThat(reply.status()).as("memory.grow past its 2-page limit refused: " + reply.body()).isEqualTo(200);
            assertThat(reply.body()).contains("hello");
            TestServer.await("the pool topped up", () -> counter(s, "instance_pool_idle") == 2);
        }
    }

    @Test
    void aRestartAfterAFaultTakesAPooledInstance() throws Exception {
        try (TestServer s = server(dir)) {
            deploy(s, "roomy", GUEST, 4 * 65536);
            TestServer.await("the pool filled", () -> counter(s, "instance_pool_idle") == 2);
            long hits = counter(s, "instance_pool_hits");
            TestServer.Res fault = send(s, "roomy");
            assertThat(fault.body()).as("its memory.grow succeeds, so it traps").contains("failure");
            TestServer.await("the restart took a pooled instance", () -> counter(s, "instance_pool_hits") == hits + 1);
            assertThat(s.call("GET", "/api/v1/agents/roomy", null).body()).contains("running");
        }
    }

    @Test
    void aModuleWithAStartFunctionIsNeverPooled() throws Exception {
        try (TestServer s = server(dir)) {
            deploy(s, "a", WITH_START);
            deploy(s, "b", WITH_START);
            assertThat(send(s, "b").status()).isEqualTo(200);
            assertThat(counter(s, "instance_pool_hits")).isZero();
            assertThat(counter(s, "instance_pool_misses")).isZero();
            assertThat(counter(s, "instance_pool_idle")).isZero();
        }
    }
}
