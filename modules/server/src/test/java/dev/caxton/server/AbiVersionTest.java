package dev.caxton.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ABI version 2 on a real node with real WebAssembly: the buffer-ownership rule under an allocator
 * that traps on a double free or on freeing memory it never gave out, the conversation that
 * {@code send_message} inherits, timers, and the refusal of an ABI version the node does not speak.
 */
class AbiVersionTest {

    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = new TestServer(dir, "", "");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /**
     * An agent with a strict slot allocator: 8 slots of 4 KiB from 8192, a used flag per slot at
     * 1024; {@code dealloc} of a free slot (double free) or of an address outside the slots (static
     * data) traps. {@code REPLY} is the body of handle_message after the allocator: it returns the
     * reply pointer/length pair. {@code VERSION} is an optional caxton_abi_version export.
     */
    private static String strictAgent(String version, String reply) {
        return """
                (module
                  (memory (export "memory") 1)
                  (data (i32.const 256) "{\\"content\\":\\"static\\"}")
                  %s
                  (func (export "alloc") (param $size i32) (result i32)
                    (local $i i32)
                    (if (i32.gt_u (local.get $size) (i32.const 4096)) (then unreachable))
                    (block $found
                      (loop $next
                        (br_if $found (i32.eqz (i32.load8_u (i32.add (i32.const 1024) (local.get $i)))))
                        (local.set $i (i32.add (local.get $i) (i32.const 1)))
                        (br_if $next (i32.lt_u (local.get $i) (i32.const 8)))
                        unreachable))
                    (i32.store8 (i32.add (i32.const 1024) (local.get $i)) (i32.const 1))
                    (i32.add (i32.const 8192) (i32.mul (local.get $i) (i32.const 4096))))
                  (func (export "dealloc") (param $ptr i32) (param $size i32)
                    (local $i i32)
                    (if (i32.lt_u (local.get $ptr) (i32.const 8192)) (then unreachable))
                    (local.set $i (i32.div_u (i32.sub (local.get $ptr) (i32.const 8192)) (i32.const 4096)))
                    (if (i32.ge_u (local.get $i) (i32.const 8)) (then unreachable))
                    (if (i32.eqz (i32.load8_u (i32.add (i32.const 1024) (local.get $i)))) (then unreachable))
                    (i32.store8 (i32.add (i32.const 1024) (local.get $i)) (i32.const 0)))
                  (func (export "handle_message") (param $ptr i32) (param $len i32) (result i64)
                    %s))
                """.formatted(version, reply);
    }

    private static final String V2 = "(func (export \"caxton_abi_version\") (result i32) (i32.const 2))";
    /** The reply is the incoming message itself. */
    private static final String ECHO_IN_PLACE = """
            (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32)) (i64.extend_i32_u (local.get $len)))""";
    /** The reply lives in static data. */
    private static final String STATIC_REPLY = "(i64.or (i64.shl (i64.const 256) (i64.const 32)) (i64.const 20))";

    private static TestServer.Res request(String agent, String content) throws Exception {
        return server.call("POST", "/api/v1/messages", "{\"performative\":\"request\",\"receiver\":\"" + agent
                + "\",\"content\":\"" + content + "\",\"wait_ms\":20000}");
    }

    @Test
    void underAbi2AnEchoedOrStaticReplyIsSafeWithARealAllocator() throws Exception {
        server.deploy("echo2", strictAgent(V2, ECHO_IN_PLACE));
        server.deploy("static2", strictAgent(V2, STATIC_REPLY));
        for (int i = 0; i < 20; i++) {
            TestServer.Res echoed = request("echo2", "m" + i);
            assertThat(echoed.status()).as(echoed.body()).isEqualTo(200);
            assertThat(echoed.body()).contains("\"performative\":\"request\"").contains("\"content\":\"m" + i + "\"");
            TestServer.Res fixed = request("static2", "m" + i);
            assertThat(fixed.body()).contains("\"performative\":\"inform\"").contains("\"content\":\"static\"");
        }
        // Twenty messages through eight slots: every input buffer was freed once, and only once.
        assertThat(server.call("GET", "/api/v1/agents/echo2", null).body()).contains("\"faults\":0");
        assertThat(server.call("GET", "/api/v1/agents/static2", null).body()).contains("\"faults\":0");
    }

    @Test
    void aModuleWithoutAVersionKeepsAbi1sBehaviourWhichTheStrictAllocatorCatches() throws Exception {
        // Version 1 frees the input and then the reply: for an echoed reply that is the same buffer
        // twice, for a static reply memory the allocator never gave out. The strict allocator traps.
        server.deploy("echo1", strictAgent("", ECHO_IN_PLACE));
        server.deploy("static1", strictAgent("", STATIC_REPLY));
        TestServer.Res echoed = request("echo1", "x");
        assertThat(echoed.body()).contains("\"performative\":\"failure\"").contains("trap");
        TestServer.Res fixed = request("static1", "x");
        assertThat(fixed.body()).contains("\"performative\":\"failure\"").contains("trap");
    }

    @Test
    void anAbiVersionTheNodeDoesNotSpeakIsRefusedNamingTheVersions() throws Exception {
        TestServer.Res r = server.call("POST", "/api/v1/agents", "{\"name\":\"v9\",\"wasm_module\":\""
                + java.util.Base64.getEncoder().encodeToString(dev.caxton.testkit.Wat.compile(strictAgent(
                "(func (export \"caxton_abi_version\") (result i32) (i32.const 9))", STATIC_REPLY))) + "\"}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body()).contains("declares ABI version 9").contains("speaks versions 1 and 2");
    }

    /**
     * On "arm" it sets a timer tagged "t1" and sends {"content":"armed"} to sink without a
     * conversation id; a message from caxton:timer bumps a counter; anything else is answered with
     * {"content":N}, N the timers that fired (one digit).
     */
    private static final String TIMER_AGENT = """
            (module
              (import "caxton" "set_timer" (func $set_timer (param i64 i32 i32) (result i64)))
              (import "caxton" "send_message" (func $send (param i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 64) "t1")
              (data (i32.const 96) "caxton:timer")
              (data (i32.const 128) "\\"arm\\"")
              (data (i32.const 160) "{\\"performative\\":\\"inform\\",\\"receiver\\":\\"sink\\",\\"content\\":\\"armed\\"}")
              (data (i32.const 256) "{\\"content\\":0}")
              (global $fired (mut i32) (i32.const 0))
              %s
              (func (export "alloc") (param i32) (result i32) (i32.const 4096))
              ;; Whether the len2 bytes at p2 occur in the len bytes at p.
              (func $contains (param $p i32) (param $len i32) (param $p2 i32) (param $len2 i32) (result i32)
                (local $i i32) (local $j i32)
                (block $no
                  (loop $at
                    (br_if $no (i32.gt_u (i32.add (local.get $i) (local.get $len2)) (local.get $len)))
                    (local.set $j (i32.const 0))
                    (block $miss
                      (loop $cmp
                        (if (i32.eq (local.get $j) (local.get $len2)) (then (return (i32.const 1))))
                        (br_if $miss (i32.ne (i32.load8_u (i32.add (i32.add (local.get $p) (local.get $i)) (local.get $j)))
                                             (i32.load8_u (i32.add (local.get $p2) (local.get $j)))))
                        (local.set $j (i32.add (local.get $j) (i32.const 1)))
                        (br $cmp)))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $at)))
                (i32.const 0))
              (func (export "handle_message") (param $ptr i32) (param $len i32) (result i64)
                (if (call $contains (local.get $ptr) (local.get $len) (i32.const 96) (i32.const 12))
                  (then
                    (global.set $fired (i32.add (global.get $fired) (i32.const 1)))
                    (return (i64.const 0))))
                (if (call $contains (local.get $ptr) (local.get $len) (i32.const 128) (i32.const 5))
                  (then
                    (drop (call $set_timer (i64.const 10) (i32.const 64) (i32.const 2)))
                    (drop (call $send (i32.const 160) (i32.const 61)))
                    (return (i64.const 0))))
                (i32.store8 (i32.const 267) (i32.add (i32.const 48) (global.get $fired)))
                (i64.or (i64.shl (i64.const 256) (i64.const 32)) (i64.const 13))))
            """;

    /**
     * One message sets 1,000 timers a day ahead, then tries a 1,001st and one with a negative delay;
     * the reply {"content":"XY"} says whether those two were refused with -4 and -1.
     */
    private static final String TIMER_FLOOD = """
            (module
              (import "caxton" "set_timer" (func $set_timer (param i64 i32 i32) (result i64)))
              (memory (export "memory") 1)
              (data (i32.const 256) "{\\"content\\":\\"00\\"}")
              (func (export "alloc") (param i32) (result i32) (i32.const 4096))
              (func (export "handle_message") (param i32 i32) (result i64)
                (local $i i32)
                (block $done
                  (loop $more
                    (br_if $done (i32.eq (local.get $i) (i32.const 1000)))
                    (drop (call $set_timer (i64.const 86400000) (i32.const 0) (i32.const 0)))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $more)))
                (if (i64.eq (call $set_timer (i64.const 86400000) (i32.const 0) (i32.const 0)) (i64.const -4))
                  (then (i32.store8 (i32.const 268) (i32.const 49))))
                (if (i64.eq (call $set_timer (i64.const -5) (i32.const 0) (i32.const 0)) (i64.const -1))
                  (then (i32.store8 (i32.const 269) (i32.const 49))))
                (i64.or (i64.shl (i64.const 256) (i64.const 32)) (i64.const 16))))
            """;

    @Test
    void anAgentCannotFloodTheNodeWithTimers() throws Exception {
        server.deploy("flood", TIMER_FLOOD);
        TestServer.Res r = request("flood", "go");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).as("the 1,001st timer is refused with -4, a negative delay with -1").contains("\"content\":\"11\"");
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30s: " + what);
            }
            Thread.sleep(20);
        }
    }

    private static boolean fired(String agent, int n) {
        try {
            return request(agent, "get").body().contains("\"content\":" + n);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aTimerDeliversAMessageToTheAgentAndAbi2SendsInheritTheConversation() throws Exception {
        server.deploy("sink", TestServer.SILENT);
        server.deploy("ticker2", TIMER_AGENT.formatted(V2));
        server.deploy("ticker1", TIMER_AGENT.formatted(""));
        for (String agent : new String[] {"ticker2", "ticker1"}) {
            TestServer.Res armed = server.call("POST", "/api/v1/messages", "{\"performative\":\"inform\",\"receiver\":\""
                    + agent + "\",\"content\":\"arm\",\"conversation_id\":\"conv-" + agent + "\"}");
            assertThat(armed.status()).as(armed.body()).isEqualTo(202);
            await(agent + "'s timer fired", () -> fired(agent, 1));
        }
        // Version 2: the message sent while handling "arm" joined its conversation; version 1: it did not.
        await("the send reached conv-ticker2", () -> {
            try {
                return server.call("GET", "/api/v1/conversations/conv-ticker2", null).body().contains("\"armed\"");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertThat(server.call("GET", "/api/v1/conversations/conv-ticker1", null).body()).doesNotContain("\"armed\"");
    }
}
