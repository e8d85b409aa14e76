package dev.caxton.tests;

import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.api.AgentInfo;
import dev.caxton.runtime.api.AgentLimits;
import dev.caxton.runtime.api.AgentState;
import dev.caxton.runtime.api.DeployException;
import dev.caxton.runtime.api.DeploySpec;
import dev.caxton.runtime.api.RoutingException;
import dev.caxton.runtime.api.SendStatus;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A node in this process on the real plugins (Chicory, JSON, memory storage), for routing and
 * lifecycle behaviour that is awkward to observe through a separate process.
 */
class NodeTest {

    @TempDir
    Path dir;
    private CaxtonNode node;

    private CaxtonNode start(String yaml) {
        PluginCatalog catalog = PluginCatalog.discover(null);
        Properties none = new Properties();
        CaxtonConfig config = CaxtonConfig.parse("test", "storage:\n  type: memory\ntransport:\n  port: 0\n" + yaml, catalog, none);
        node = CaxtonNode.start(config, catalog, dir);
        return node;
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    private static byte[] agent(String path) throws Exception {
        return Files.readAllBytes(path.startsWith("tests/") ? Image.ROOT.resolve(path) : Image.example(path));
    }

    private AgentInfo deploy(String name, String path, String... capabilities) throws Exception {
        return node.deploy(new DeploySpec(name, agent(path), List.of(capabilities), null, null, null, null));
    }

    private Envelope ask(Envelope e) throws Exception {
        return node.request(e, Duration.ofSeconds(10)).get(15, TimeUnit.SECONDS);
    }

    @Test
    @DisplayName("a reply is completed: sender, receiver, conversation, in_reply_to and a fresh id")
    void replyCompletion() throws Exception {
        start("");
        deploy("echo", "echo/echo.wasm");
        Envelope reply = ask(Envelope.builder(Performative.QUERY_IF).receiver("echo").conversationId("conv-1")
                .replyWith("r-1").messageId("m-1").content(Map.of("q", "sky is blue")).build());
        assertThat(reply.sender()).isEqualTo("echo");
        assertThat(reply.receiver()).startsWith("client-");
        assertThat(reply.conversationId()).isEqualTo("conv-1");
        assertThat(reply.inReplyTo()).isEqualTo("r-1");
        assertThat(reply.messageId()).isNotEqualTo("m-1").isNotBlank();
        assertThat(reply.performative()).isEqualTo(Performative.QUERY_IF);
        assertThat(reply.content()).isEqualTo(Map.of("q", "sky is blue"));
    }

    @Test
    @DisplayName("capability addressing: round-robin over holders, broadcast to all, unknown is an error")
    void capabilities() throws Exception {
        start("");
        deploy("c1", "counter/counter.wasm", "count");
        deploy("c2", "counter/counter.wasm", "count");
        List<String> answeredBy = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            answeredBy.add(ask(Envelope.builder(Performative.REQUEST).capability("count").build()).sender());
        }
        assertThat(answeredBy).containsExactlyInAnyOrder("c1", "c1", "c2", "c2");
        assertThat(node.capabilities()).containsEntry("count", List.of("c1", "c2"));

        node.send(Envelope.builder(Performative.INFORM).capability("count").broadcast(true).build());
        awaitHandled("c1", 3);
        awaitHandled("c2", 3);

        assertThatThrownBy(() -> node.send(Envelope.builder(Performative.REQUEST).capability("nobody-has-it").build()))
                .isInstanceOfSatisfying(RoutingException.class,
                        e -> assertThat(e.status()).isEqualTo(SendStatus.UNKNOWN_RECEIVER));
    }

    @Test
    @DisplayName("a send's sender is checked when the client gave it, and the node's own name for it routes")
    void sendersTheClientGaveAreStillChecked() throws Exception {
        start("");
        deploy("echo", "echo/echo.wasm");
        // The node skips checking only a sender it named itself; a client's own is checked as before.
        assertThatThrownBy(() -> node.send(Envelope.builder(Performative.INFORM).receiver("echo")
                .sender("bad\u0001name").build()))
                .isInstanceOfSatisfying(RoutingException.class,
                        e -> assertThat(e.status()).isEqualTo(SendStatus.MALFORMED));
        assertThatThrownBy(() -> node.send(Envelope.builder(Performative.INFORM).receiver("echo")
                .sender("x".repeat(300)).build()))
                .isInstanceOfSatisfying(RoutingException.class,
                        e -> assertThat(e.status()).isEqualTo(SendStatus.MALFORMED));
        Envelope routed = node.send(Envelope.builder(Performative.INFORM).receiver("echo").build());
        assertThat(routed.sender()).startsWith("client-");
        awaitHandled("echo", 1);
    }

    @Test
    @DisplayName("a send gets the node's sender, message id and hop count together; the client's own id is checked and kept")
    void theFieldsTheNodeSetsOnASend() throws Exception {
        start("");
        deploy("echo", "echo/echo.wasm");
        // The node sets its fields in one copy before routing; an id the client gave is still its input.
        assertThatThrownBy(() -> node.send(Envelope.builder(Performative.INFORM).receiver("echo")
                .messageId("bad\u0001id").build()))
                .isInstanceOfSatisfying(RoutingException.class, e -> {
                    assertThat(e.status()).isEqualTo(SendStatus.MALFORMED);
                    assertThat(e.field()).isEqualTo(dev.caxton.spi.message.EnvelopeFields.MESSAGE_ID);
                });
        Envelope own = node.send(Envelope.builder(Performative.INFORM).receiver("echo").sender("alice")
                .messageId("m-1").hops(3).build());
        assertThat(own.messageId()).isEqualTo("m-1");
        assertThat(own.sender()).isEqualTo("alice");
        assertThat(own.hops()).isZero();
        Envelope named = node.send(Envelope.builder(Performative.INFORM).receiver("echo").hops(2).build());
        assertThat(named.sender()).startsWith("client-");
        assertThat(named.messageId()).isNotNull().isNotEqualTo(named.sender().substring("client-".length()));
        assertThat(named.hops()).isZero();
        awaitHandled("echo", 2);
    }

    @Test
    @DisplayName("the sink example (the fire-and-forget benchmark's agent) handles any number of messages in a small memory")
    void theSinkExampleReusesItsMemory() throws Exception {
        start("");
        // Two pages: the sink's arena must start over with every message. It used to grow by each
        // message's size until alloc trapped (after about 50,000 messages in the default 16 MiB).
        node.deploy(new DeploySpec("sink", agent("sink/sink.wasm"), List.of(),
                new AgentLimits(2 * 65_536, Duration.ofSeconds(5), 0, AgentLimits.DEFAULT_CPU_SHARE), null, null, null));
        String content = "x".repeat(512);
        int n = 2_000;
        for (int i = 0; i < n; i++) {
            while (true) {
                try {
                    node.send(Envelope.builder(Performative.INFORM).receiver("sink").content(content).build());
                    break;
                } catch (RoutingException e) {
                    assertThat(e.status()).isEqualTo(SendStatus.QUEUE_FULL);
                    Thread.sleep(1);
                }
            }
        }
        awaitHandled("sink", n);
        assertThat(node.agent("sink").orElseThrow().faults()).isZero();
        assertThat(node.agent("sink").orElseThrow().messagesHandled()).isEqualTo(n);
    }

    @Test
    @DisplayName("capabilities registered from init are routable")
    void capabilityFromInit() throws Exception {
        start("");
        deploy("calc", "c/calculator/calculator.wasm");
        Envelope reply = ask(Envelope.builder(Performative.REQUEST).capability("math")
                .content(Map.of("op", "add", "a", 2L, "b", 40L)).build());
        assertThat(reply.sender()).isEqualTo("calc");
        assertThat(reply.content()).isEqualTo(Map.of("result", 42L));
    }

    @Test
    @DisplayName("a full mailbox refuses instead of growing; every message is either handled or refused")
    void backPressure() throws Exception {
        start("messaging:\n  priorities:\n    normal:\n      queue_size: 4\n");
        deploy("slow", "tests/agents/sleepy.wasm");
        int accepted = 0;
        int refused = 0;
        for (int i = 0; i < 50; i++) {
            try {
                node.send(Envelope.builder(Performative.REQUEST).receiver("slow").build());
                accepted++;
            } catch (RoutingException e) {
                assertThat(e.status()).isEqualTo(SendStatus.QUEUE_FULL);
                refused++;
            }
        }
        assertThat(refused).isPositive();
        assertThat(accepted + refused).isEqualTo(50);
        awaitHandled("slow", accepted);
        assertThat(node.agent("slow").orElseThrow().messagesHandled()).isEqualTo(accepted);
    }

    @Test
    @DisplayName("reload swaps the module after the message in flight and loses no queued message")
    void reloadKeepsQueue() throws Exception {
        start("");
        deploy("worker", "tests/agents/sleepy.wasm");
        List<CompletableFuture<Envelope>> replies = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            replies.add(node.request(Envelope.builder(Performative.REQUEST).receiver("worker").content((long) i).build(),
                    Duration.ofSeconds(20)));
        }
        // Reload once the first message is in flight, so both modules answer some.
        long deadline = System.currentTimeMillis() + 10_000;
        while (node.agent("worker").orElseThrow().queued() == 6 && System.currentTimeMillis() < deadline) {
            Thread.onSpinWait();
        }
        node.reload("worker", agent("echo/echo.wasm"));
        List<Object> contents = new ArrayList<>();
        for (CompletableFuture<Envelope> f : replies) {
            Envelope r = f.get(30, TimeUnit.SECONDS);
            assertThat(r.performative()).isNotEqualTo(Performative.FAILURE);
            contents.add(r.content());
        }
        // Some were answered by the old module ("done"), the rest echoed by the new one; none lost.
        assertThat(contents).hasSize(6).contains("done").anyMatch(c -> c instanceof Long);
        assertThat(node.agent("worker").orElseThrow().messagesHandled()).isEqualTo(6);
    }

    @Test
    @DisplayName("undeploy drains the queue before stopping")
    void undeployDrains() throws Exception {
        start("");
        deploy("worker", "tests/agents/sleepy.wasm");
        List<CompletableFuture<Envelope>> replies = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            replies.add(node.request(Envelope.builder(Performative.REQUEST).receiver("worker").build(), Duration.ofSeconds(20)));
        }
        node.undeploy("worker");
        for (CompletableFuture<Envelope> f : replies) {
            assertThat(f.get(1, TimeUnit.SECONDS).content()).isEqualTo("done");
        }
        assertThat(node.agent("worker")).isEmpty();
        assertThatThrownBy(() -> node.send(Envelope.builder(Performative.REQUEST).receiver("worker").build()))
                .isInstanceOf(RoutingException.class);
    }

    @Test
    @DisplayName("a faulting agent never disturbs another agent's replies")
    void isolation() throws Exception {
        start("agents:\n  max_failures: 100\n");
        deploy("echo", "echo/echo.wasm");
        node.deploy(new DeploySpec("looper", agent("tests/agents/loop.wasm"), List.of(),
                new dev.caxton.runtime.api.AgentLimits(10 << 20, Duration.ofMillis(200), 0), null, null, null));
        for (int i = 0; i < 5; i++) {
            node.send(Envelope.builder(Performative.REQUEST).receiver("looper").build());
        }
        for (int i = 0; i < 20; i++) {
            assertThat(ask(Envelope.builder(Performative.REQUEST).receiver("echo").content((long) i).build()).content())
                    .isEqualTo((long) i);
        }
        awaitFaults("looper", 5);
        assertThat(node.agent("looper").orElseThrow().state()).isEqualTo(AgentState.RUNNING);
        assertThat(node.deadLetters(100)).hasSize(5).allMatch(d -> d.reason().startsWith("timeout"));
    }

    @Test
    @DisplayName("permissions: an import the agent is not granted refuses the deployment")
    void permissions() throws Exception {
        start("");
        assertThatThrownBy(() -> node.deploy(new DeploySpec("fwd", agent("tests/agents/forwarder.wasm"), List.of(), null,
                null, null, Set.of("log"))))
                .isInstanceOf(DeployException.class).hasMessageContaining("caxton.send_message");
    }

    @Test
    @DisplayName("the codec a deployment names is what the agent reads: msgpack agents get MessagePack bytes")
    void codec() throws Exception {
        start("");
        node.deploy(new DeploySpec("echo-mp", agent("echo/echo.wasm"), List.of(), null, "msgpack", null, null));
        Envelope reply = ask(Envelope.builder(Performative.REQUEST).receiver("echo-mp").content(Map.of("k", "v")).build());
        assertThat(reply.content()).isEqualTo(Map.of("k", "v"));
        assertThat(node.agent("echo-mp").orElseThrow().codec()).isEqualTo("msgpack");
    }

    private void awaitHandled(String agent, long n) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 20_000;
        while (node.agent(agent).orElseThrow().messagesHandled() < n && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertThat(node.agent(agent).orElseThrow().messagesHandled()).isGreaterThanOrEqualTo(n);
    }

    private void awaitFaults(String agent, long n) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 20_000;
        while (node.agent(agent).orElseThrow().faults() < n && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertThat(node.agent(agent).orElseThrow().faults()).isEqualTo(n);
    }

    @Test
    @DisplayName("engines per agent: one node runs agents on Chicory and Wasmtime side by side")
    void enginePerAgent() throws Exception {
        start("");
        node.deploy(new DeploySpec("on-chicory", agent("counter/counter.wasm"), List.of(), null, null, null, null));
        node.deploy(new DeploySpec("on-wasmtime", agent("counter/counter.wasm"), List.of(), null, null, "wasmtime", null));
        assertThat(node.agent("on-chicory").orElseThrow().engine()).isEqualTo("chicory");
        assertThat(node.agent("on-wasmtime").orElseThrow().engine()).isEqualTo("wasmtime");
        for (long i = 1; i <= 3; i++) {
            assertThat(ask(Envelope.builder(Performative.REQUEST).receiver("on-wasmtime").build()).content())
                    .isEqualTo(Map.of("count", i));
        }
        assertThat(ask(Envelope.builder(Performative.REQUEST).receiver("on-chicory").build()).content())
                .isEqualTo(Map.of("count", 1L));
        // Fuel on both engines, the same budget meaning the same instructions.
        for (String engine : List.of("chicory", "wasmtime")) {
            String name = "fueled-" + engine;
            node.deploy(new DeploySpec(name, agent("counter/counter.wasm"), List.of(),
                    new dev.caxton.runtime.api.AgentLimits(10 << 20, Duration.ofSeconds(5), 1_000_000), null, engine, null));
            assertThat(ask(Envelope.builder(Performative.REQUEST).receiver(name).build()).content())
                    .isEqualTo(Map.of("count", 1L));
        }
        long chicoryFuel = node.agent("fueled-chicory").orElseThrow().fuelLast();
        assertThat(chicoryFuel).as("the counter's first message, in instructions").isPositive();
        assertThat(node.agent("fueled-wasmtime").orElseThrow().fuelLast()).as("the same count on both engines")
                .isEqualTo(chicoryFuel);
        assertThat(node.agent("on-chicory").orElseThrow().fuelLast()).as("unmetered").isEqualTo(-1);
    }

    @Test
    @DisplayName("a client may not send as an agent or a client name; its hops start at 0 and a reply has 1")
    void clientSenderRuleAndHops() throws Exception {
        start("");
        deploy("echo", "echo/echo.wasm");
        for (String forged : List.of("echo", "client-someone")) {
            Envelope e = Envelope.builder(Performative.INFORM).sender(forged).receiver("echo").content("boom").build();
            assertThatThrownBy(() -> node.send(e)).isInstanceOfSatisfying(RoutingException.class, ex -> {
                assertThat(ex.field()).isEqualTo("sender");
                assertThat(ex.status().httpStatus()).isEqualTo(400);
            });
            assertThatThrownBy(() -> node.request(e, Duration.ofSeconds(1))).isInstanceOf(RoutingException.class)
                    .hasMessageContaining(forged);
        }
        assertThat(node.agent("echo").orElseThrow().messagesHandled()).isZero();
        Envelope reply = ask(Envelope.builder(Performative.REQUEST).receiver("echo").content("x").hops(30).build());
        assertThat(reply.sender()).isEqualTo("echo");
        assertThat(reply.hops()).as("the client's 30 was reset to 0, the reply is one hop further").isEqualTo(1);
    }

    @Test
    @DisplayName("a conversation keeps its first conversation_max_messages entries, counts the rest, and pages")
    void conversationIsBoundedAndPaged() throws Exception {
        start("messaging:\n  conversation_max_messages: 5\n");
        deploy("echo", "echo/echo.wasm");
        for (int i = 0; i < 4; i++) {
            ask(Envelope.builder(Performative.REQUEST).receiver("echo").conversationId("bounded").content(i).build());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (node.conversation("bounded").omitted() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        var first = node.conversation("bounded", null, 2);
        assertThat(first.messageCount()).isEqualTo(5);
        assertThat(first.omitted()).isEqualTo(3);
        assertThat(first.messages()).extracting(m -> m.sequence()).containsExactly(1L, 2L);
        var second = node.conversation("bounded", first.nextCursor(), 2);
        assertThat(second.messages()).extracting(m -> m.sequence()).containsExactly(3L, 4L);
        var last = node.conversation("bounded", second.nextCursor(), 2);
        assertThat(last.messages()).extracting(m -> m.sequence()).containsExactly(5L);
        assertThat(last.nextCursor()).isNull();
        assertThat(last.messages().getFirst().envelope().content()).as("the beginning is kept").isEqualTo(2L);
        assertThatThrownBy(() -> node.conversation("bounded", "-3", 2)).isInstanceOfSatisfying(RoutingException.class,
                ex -> assertThat(ex.field()).isEqualTo("cursor"));
        assertThatThrownBy(() -> node.conversation("bounded", null, 1001)).isInstanceOf(RoutingException.class);
    }
}
