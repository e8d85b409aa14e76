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

    /**
     * The pool inside runtime.memory_budget on a real node: distinct modules of one page each, deployed
     * with a two-page limit under a 16-page budget, never have idle instances and agents hold more
     * than the budget together (before idle instances were booked, the pool filled 4 per module
     * whatever the budget), and a deploy that fits only once idle instances go still succeeds.
     */
    @Test
    void idleInstancesStayInsideTheMemoryBudgetAndMakeWayForADeploy() throws Exception {
        long page = 65536;
        long budget = 16 * page;
        try (TestServer s = new TestServer(dir, "", "", "",
                "instance_pool:\n  size: 4\n  prewarm: true\nmemory_budget: " + budget)) {
            long agents = 0;
            for (int i = 0; i < 6; i++) {
                // A data segment of its own makes each module a distinct one (another shape).
                deploy(s, "a" + i, GUEST.replace("(data (i32.const 0) \"pooled\")",
                        "(data (i32.const 0) \"pooled\") (data (i32.const 64) \"v" + i + "\")"), 2 * page);
                agents += 2 * page;
                // The filler works in the background: watch it for a while after each deploy.
                for (int sample = 0; sample < 40; sample++) {
                    long idle = counter(s, "instance_pool_idle");
                    assertThat(agents + idle * page).as("agents' limits and idle instances after deploy %d", i)
                            .isLessThanOrEqualTo(budget);
                    Thread.sleep(25);
                }
            }
            TestServer.await("the idle instances' booking matches them",
                    () -> counter(s, "instance_pool_idle_bytes") == counter(s, "instance_pool_idle") * page);
            String health = s.call("GET", "/api/v1/health", null).body();
            assertThat(health).contains("\"in_use_bytes\":" + agents).contains("\"pooled_bytes\":");

            // Whatever the agents leave is the last deploy's, even where idle instances sit.
            deploy(s, "last", GUEST, budget - agents);
            // An instance the filler was making as the room went is closed when it is done.
            TestServer.await("no idle instance left", () -> counter(s, "instance_pool_idle_bytes") == 0);
            assertThat(counter(s, "instance_pool_idle")).isZero();
            assertThat(counter(s, "instance_pool_evicted")).isPositive();
            TestServer.Res refused = s.call("POST", "/api/v1/agents", "{\"name\":\"more\",\"wasm_module\":\""
                    + Base64.getEncoder().encodeToString(Wat.compile(GUEST)) + "\",\"limits\":{\"memory_bytes\":65536}}");
            assertThat(refused.status()).as(refused.body()).isEqualTo(503);
            assertThat(refused.body()).contains("runtime.memory_budget");
        }
    }
}
