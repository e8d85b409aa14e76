package dev.caxton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.api.DeploySpec;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.testkit.Wat;
import dev.caxton.testkit.WatAgents;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fire-and-forget run on a real node whose pool agents fault: it ends when every message is
 * handled or lost and says how many were lost and why, where it used to wait out its 120 s stall
 * timeout for messages that were already dead letters. Likewise the request-reply run, whose lost
 * requests used to hold their window slots for the 60 s their replies were waited for, and whose
 * first failure reply ended the run with an error.
 */
class BenchmarkLostTest {

    /** Takes messages and answers nothing, but traps on the 50th message each instance gets. */
    private static final String TRAPS_EVERY_50TH = """
            (module
              (memory (export "memory") 1)
              (global $n (mut i32) (i32.const 0))
              (func (export "alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "handle_message") (param i32 i32) (result i64)
                (global.set $n (i32.add (global.get $n) (i32.const 1)))
                (if (i32.eq (global.get $n) (i32.const 50)) (then unreachable))
                (i64.const 0)))
            """;

    /**
     * Echoes every message, but sends every 10th reply to an agent that does not exist: the request
     * is handled, and its reply is dead-lettered with no failure reply to anyone.
     */
    private static final String MISROUTES_EVERY_10TH = """
            (module
              (memory (export "memory") 1)
              (data (i32.const 16) "{\\"performative\\":\\"inform\\",\\"receiver\\":\\"nobody\\",\\"content\\":0}")
              (global $n (mut i32) (i32.const 0))
              (func (export "alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "handle_message") (param $ptr i32) (param $len i32) (result i64)
                (global.set $n (i32.add (global.get $n) (i32.const 1)))
                (if (i32.eqz (i32.rem_u (global.get $n) (i32.const 10)))
                  (then (return (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 57)))))
                (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
                        (i64.extend_i32_u (local.get $len)))))
            """;

    /** Echoes every message, but traps on the 50th each instance gets: a failure reply each time. */
    private static final String ECHO_TRAPS_EVERY_50TH = """
            (module
              (memory (export "memory") 1)
              (global $n (mut i32) (i32.const 0))
              (func (export "alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "handle_message") (param $ptr i32) (param $len i32) (result i64)
                (global.set $n (i32.add (global.get $n) (i32.const 1)))
                (if (i32.eq (global.get $n) (i32.const 50)) (then unreachable))
                (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
                        (i64.extend_i32_u (local.get $len)))))
            """;

    @TempDir
    Path data;

    private static CaxtonNode node(Path data) {
        PluginCatalog catalog = PluginCatalog.discover(null);
        Properties props = new Properties();
        props.setProperty("caxton.storage.type", "memory");
        props.setProperty("caxton.transport.port", "0");
        props.setProperty("caxton.messaging.serializer", "json");
        props.setProperty("caxton.runtime.chicory.mode", "interpreter");
        return CaxtonNode.start(CaxtonConfig.parse("benchmark-lost", "", catalog, props), catalog, data);
    }

    @Test
    void messagesTheAgentTrappedOnAreCountedLostWithTheirReasonAndTheRunEnds() throws Exception {
        try (CaxtonNode node = node(data)) {
            node.deploy(new DeploySpec("pool-0", Wat.compile(TRAPS_EVERY_50TH), List.of("pool"), null, "json", null, null));
            long before = BenchmarkCommand.Run.poolHandled(node, 1);

            // 150 messages to one agent that traps on every 50th (each fault brings a fresh instance,
            // whose count starts again): 3 faults, fewer than agents.max_failures, so it keeps going.
            LostMessages lost = BenchmarkCommand.Run.flood(node, 150, 1, before, Progress.OFF);

            assertThat(lost.count()).isEqualTo(3);
            assertThat(lost.reasons()).containsExactly(java.util.Map.entry("fault", 3L));
            assertThat(lost.examples()).isNotEmpty().allSatisfy(t -> assertThat(t).startsWith("trap"));
            assertThat(BenchmarkCommand.Run.poolHandled(node, 1) - before).isEqualTo(147);
            assertThat(lost.text()).startsWith("3 agent faults (trap");

            ObjectNode t = Json.mapper().createObjectNode();
            lost.json(t);
            assertThat(t.path("lost").asLong()).isEqualTo(3);
            assertThat(t.at("/lost_reasons/fault").asLong()).isEqualTo(3);
            assertThat(t.path("lost_examples").get(0).asText()).startsWith("trap");
        }
    }

    @Test
    void anAgentThatFailsLosesEveryMessageAndTheRunStillEnds() throws Exception {
        try (CaxtonNode node = node(data)) {
            node.deploy(new DeploySpec("pool-0", Wat.compile(WatAgents.TRAP), List.of("pool"), null, "json", null, null));

            // Every message traps: after agents.max_failures faults the agent is marked failed, and the
            // messages waiting for it or sent to it later are dead-lettered as its failure.
            LostMessages lost = BenchmarkCommand.Run.flood(node, 40, 1, 0, Progress.OFF);

            assertThat(lost.count()).isEqualTo(40);
            assertThat(lost.reasons()).containsExactly(java.util.Map.entry("fault", 40L));
            assertThat(lost.examples()).anySatisfy(t -> assertThat(t).startsWith("agent 'pool-0' failed (5 faults"))
                    .anySatisfy(t -> assertThat(t).startsWith("trap"));
            assertThat(lost.text()).startsWith("40 agent faults (");
        }
    }

    @Test
    void nothingLostSaysSo() throws Exception {
        try (CaxtonNode node = node(data)) {
            node.deploy(new DeploySpec("pool-0", Wat.compile(WatAgents.SILENT), List.of("pool"), null, "json", null, null));
            LostMessages lost = BenchmarkCommand.Run.flood(node, 100, 1, 0, Progress.OFF);
            assertThat(lost.count()).isZero();
            assertThat(lost.reasons()).isEmpty();
        }
    }

    // ------------------------------------------------------------------ request-reply

    @Test
    @Timeout(value = 45, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void requestsWhoseRepliesAreDeadLetteredAreCountedLostAtOnceAndTheRunEnds() throws Exception {
        try (CaxtonNode node = node(data)) {
            node.deploy(new DeploySpec("pool-0", Wat.compile(MISROUTES_EVERY_10TH), List.of("pool"), null, "json", null, null));

            // 200 requests, 20 in flight: the 20 lost replies would each hold a slot for 60 s, so the
            // old run sat at a full window until the first of them timed out (and then failed).
            LostMessages lost = RequestPump.run(node, 200, 20, RequestPump.DEFAULT_REPLY_TIMEOUT, Progress.OFF);

            assertThat(lost.count()).isEqualTo(20);
            assertThat(lost.reasons()).containsExactly(java.util.Map.entry("unknown_receiver", 20L));
            assertThat(lost.examples()).containsExactly("no agent named 'nobody'");
            assertThat(lost.text()).isEqualTo("20 unknown receiver (no agent named 'nobody')");
            assertThat(node.agent("pool-0").orElseThrow().messagesHandled()).isEqualTo(200);
        }
    }

    @Test
    @Timeout(value = 45, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void requestsAnsweredWithAFailureAreCountedLostWithTheFailureAndTheRunGoesOn() throws Exception {
        try (CaxtonNode node = node(data)) {
            node.deploy(new DeploySpec("pool-0", Wat.compile(ECHO_TRAPS_EVERY_50TH), List.of("pool"), null, "json", null,
                    null));

            // 3 faults, fewer than agents.max_failures: the agent keeps answering, and the run with it.
            LostMessages lost = RequestPump.run(node, 150, 10, RequestPump.DEFAULT_REPLY_TIMEOUT, Progress.OFF);

            assertThat(lost.count()).isEqualTo(3);
            assertThat(lost.reasons()).containsExactly(java.util.Map.entry("failure", 3L));
            assertThat(lost.examples()).isNotEmpty().allSatisfy(t -> assertThat(t).startsWith("trap"));
            assertThat(lost.text()).startsWith("3 failure replies (trap");
        }
    }

    @Test
    @Timeout(value = 45, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void requestsTheNodeRefusesAreCountedLost() throws Exception {
        try (CaxtonNode node = node(data)) {
            // Nobody has the capability: every request is refused as it is sent.
            LostMessages lost = RequestPump.run(node, 30, 5, RequestPump.DEFAULT_REPLY_TIMEOUT, Progress.OFF);

            assertThat(lost.count()).isEqualTo(30);
            assertThat(lost.reasons()).containsOnlyKeys("refused_unknown_receiver");
            assertThat(lost.text()).startsWith("30 sends refused (unknown_receiver) (");
        }
    }

    @Test
    @Timeout(value = 100, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void theRemoteSuiteCountsRepliesDeadLetteredOnTheOtherNode() throws Exception {
        byte[] echo;
        try (java.io.InputStream in = BenchmarkCommand.class.getResourceAsStream("echo.wasm")) {
            echo = in.readAllBytes();
        }
        Properties props = new Properties();
        props.setProperty("caxton.runtime.chicory.mode", "interpreter");
        java.io.StringWriter text = new java.io.StringWriter();

        // The pool on node B loses every 10th reply there; the requests are sent on node A, where no
        // dead letter shows. 100 warm-up requests, then 200: the old run waited 60 s for the first
        // lost reply, then failed on its timeout. The check that the agent answers before the run is
        // its first message (answered), so the losses fall on warm-up messages 10..100 and run 110..300.
        BenchmarkCommand.Outcome o = new RemoteBenchmark("tcp", "json", null, "json").run(PluginCatalog.discover(null),
                props, echo, Wat.compile(MISROUTES_EVERY_10TH), 5, 200, 1, 20, new java.io.PrintWriter(text), true,
                Progress.OFF);

        com.fasterxml.jackson.databind.JsonNode t = o.json().path("throughput");
        assertThat(t.path("warmup_lost").asLong()).isEqualTo(10);
        assertThat(t.path("lost").asLong()).isEqualTo(20);
        assertThat(t.path("lost_reasons").path("unknown_receiver").asLong()).isEqualTo(20);
        assertThat(t.path("lost_examples").get(0).asText()).contains("nobody");
    }

    @Test
    void aRequestReplyRunThatLosesNothingSaysSo() throws Exception {
        try (CaxtonNode node = node(data)) {
            node.deploy(new DeploySpec("pool-0", Wat.compile(WatAgents.ECHO), List.of("pool"), null, "json", null, null));
            LostMessages lost = RequestPump.run(node, 100, 10, RequestPump.DEFAULT_REPLY_TIMEOUT, Progress.OFF);
            assertThat(lost.count()).isZero();
            assertThat(lost.reasons()).isEmpty();
        }
    }
}
