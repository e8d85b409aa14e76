package dev.caxton.runtime.cluster;

import dev.caxton.runtime.routing.CapabilityDirectory;
import dev.caxton.runtime.routing.ClientReplies;
import dev.caxton.runtime.routing.QueueBudget;
import dev.caxton.runtime.routing.Recipient;
import dev.caxton.runtime.routing.RetryPolicy;
import dev.caxton.runtime.routing.Router;
import dev.caxton.runtime.routing.RoutingException;
import dev.caxton.runtime.routing.SendStatus;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.MembershipEvent;
import dev.caxton.spi.membership.NodeId;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.transport.Connection;
import dev.caxton.spi.transport.FrameHandler;
import dev.caxton.spi.transport.Transport;
import dev.caxton.testkit.transport.InMemoryTransportProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Three nodes in one JVM over the testkit's in-memory transport: each with its own router, peer
 * links and cluster part, and a membership view the test controls.
 */
class ClusterTest {

    private static final int MAX_HOPS = 8;
    private final List<Member> view = new CopyOnWriteArrayList<>();
    private final List<TestNode> nodes = new ArrayList<>();

    /** A dead letter as a node recorded it. */
    record Dead(Envelope envelope, String reason) {
    }

    final class TestNode implements AutoCloseable {
        final String name;
        final Router router;
        final PeerLinks links = new PeerLinks();
        final Transport transport;
        final Cluster cluster;
        final ClientReplies clients;
        final List<Dead> dead = new CopyOnWriteArrayList<>();
        final Map<String, List<String>> entries = new ConcurrentHashMap<>();
        final Map<String, List<Envelope>> received = new ConcurrentHashMap<>();

        TestNode(String name, RetryPolicy retry) throws Exception {
            this.name = name;
            transport = new InMemoryTransportProvider().create(new ProviderContext(
                    ProviderConfig.of("transport.memory", Map.of()), Path.of("."), name));
            InetSocketAddress bound = transport.start(new InetSocketAddress("127.0.0.1", 0), links);
            links.attach(transport);
            router = new Router(new CapabilityDirectory(), (e, reason) -> dead.add(new Dead(e, reason)), name, retry,
                    new QueueBudget(10_000), e -> { }, MAX_HOPS);
            clients = new ClientReplies(router);
            cluster = new Cluster(name, links, new JsonWire(), router, retry, (e, reason) -> dead.add(new Dead(e, reason)),
                    () -> Map.copyOf(entries), () -> view, false);
            view.add(new Member(new NodeId(name), bound, MemberState.ALIVE, 0, Map.of()));
            nodes.add(this);
        }

        void start() {
            cluster.start(Duration.ofMillis(100));
        }

        /** An agent that records what it gets and answers every message to its sender. */
        void echo(String agent, String... caps) {
            agent(agent, (e, l) -> {
                l.delivered(e);
                received.computeIfAbsent(agent, k -> new CopyOnWriteArrayList<>()).add(e);
                if (e.sender() != null && e.performative() == Performative.REQUEST) {
                    router.routeOwned(Envelope.builder(Performative.INFORM).sender(agent).receiver(e.sender())
                            .inReplyTo(e.replyWith()).conversationId(e.conversationId()).hops(e.nextHop())
                            .content(Map.of("from", agent)).build());
                }
                return SendStatus.ACCEPTED;
            }, caps);
        }

        void agent(String agent, Recipient r, String... caps) {
            router.register(agent, r);
            for (String c : caps) {
                router.directory().register(c, agent);
            }
            entries.put(agent, List.of(caps));
            cluster.publish();
        }

        int count(String agent) {
            return received.getOrDefault(agent, List.of()).size();
        }

        @Override
        public void close() {
            cluster.close();
            clients.close();
            router.close();
            links.close();
            transport.close();
        }
    }

    private static RetryPolicy retry(Duration deliveryTimeout) {
        return new RetryPolicy(3, Duration.ofMillis(20), 2, deliveryTimeout);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30s: " + what);
            }
            Thread.sleep(10);
        }
    }

    private List<TestNode> three(Duration deliveryTimeout) throws Exception {
        TestNode a = new TestNode("A", retry(deliveryTimeout));
        TestNode b = new TestNode("B", retry(deliveryTimeout));
        TestNode c = new TestNode("C", retry(deliveryTimeout));
        for (TestNode n : nodes) {
            n.start();
        }
        return List.of(a, b, c);
    }

    @AfterEach
    void stop() {
        nodes.forEach(TestNode::close);
    }

    @Test
    void aRequestThroughNodeCReachesTheAgentOnNodeAAndTheReplyComesBack() throws Exception {
        var n = three(Duration.ofSeconds(10));
        n.get(0).echo("a1");
        TestNode c = n.get(2);
        await("C knows a1", () -> "A".equals(c.cluster.directory().nodeOf("a1")));
        Envelope reply = c.clients.request(Envelope.builder(Performative.REQUEST).receiver("a1")
                .content("hi").build(), Duration.ofSeconds(30)).get(40, TimeUnit.SECONDS);
        assertThat(reply.performative()).isEqualTo(Performative.INFORM);
        assertThat(reply.sender()).isEqualTo("a1");
        assertThat(n.get(0).count("a1")).isEqualTo(1);
    }

    @Test
    void anAgentOnBSendsToAnAgentOnAAndTheReplyReturnsToB() throws Exception {
        var n = three(Duration.ofSeconds(10));
        n.get(0).echo("a1");
        n.get(1).echo("b1");
        await("B knows a1", () -> n.get(1).cluster.directory().nodeOf("a1") != null);
        n.get(1).router.route(Envelope.builder(Performative.REQUEST).sender("b1").receiver("a1").replyWith("r1").build());
        await("b1 got a1's reply", () -> n.get(1).count("b1") == 1);
        assertThat(n.get(1).received.get("b1").getFirst().inReplyTo()).isEqualTo("r1");
    }

    @Test
    void aCapabilityHeldOnAAndBIsBalancedAcrossBothFromC() throws Exception {
        var n = three(Duration.ofSeconds(10));
        n.get(0).echo("a1", "quote");
        n.get(1).echo("b1", "quote");
        TestNode c = n.get(2);
        await("C knows both holders", () -> c.cluster.directory().holders("quote").size() == 2);
        for (int i = 0; i < 10; i++) {
            c.router.route(Envelope.builder(Performative.INFORM).sender("x").capability("quote").build());
        }
        await("all 10 delivered", () -> n.get(0).count("a1") + n.get(1).count("b1") == 10);
        assertThat(n.get(0).count("a1")).isEqualTo(5);
        assertThat(n.get(1).count("b1")).isEqualTo(5);
        // Broadcast reaches every holder on every node, local ones included.
        c.echo("c1", "quote");
        c.router.route(Envelope.builder(Performative.INFORM).sender("x").capability("quote").broadcast(true).build());
        await("every holder got the broadcast", () -> n.get(0).count("a1") == 6 && n.get(1).count("b1") == 6
                && c.count("c1") == 1);
    }

    @Test
    void preferLocalIsOffByDefaultButLocalNamesAlwaysWin() throws Exception {
        var n = three(Duration.ofSeconds(10));
        n.get(0).echo("same");
        n.get(2).echo("same");
        await("C knows A's entries", () -> n.get(2).cluster.directory().nodeOf("same") != null);
        n.get(2).router.route(Envelope.builder(Performative.INFORM).sender("x").receiver("same").build());
        await("delivered", () -> n.get(2).count("same") == 1);
        assertThat(n.get(0).count("same")).isZero();
    }

    @Test
    void aLoopAcrossNodesStopsAtTheHopLimit() throws Exception {
        var n = three(Duration.ofSeconds(10));
        TestNode a = n.get(0);
        TestNode b = n.get(1);
        // Two agents on two nodes that forward everything to each other, forever if nothing stopped them.
        a.agent("ping", (e, l) -> {
            l.delivered(e);
            a.router.routeOwned(e.toBuilder().sender("ping").receiver("pong").messageId(null).hops(e.nextHop()).build());
            return SendStatus.ACCEPTED;
        });
        b.agent("pong", (e, l) -> {
            l.delivered(e);
            b.router.routeOwned(e.toBuilder().sender("pong").receiver("ping").messageId(null).hops(e.nextHop()).build());
            return SendStatus.ACCEPTED;
        });
        await("each knows the other", () -> a.cluster.directory().nodeOf("pong") != null
                && b.cluster.directory().nodeOf("ping") != null);
        a.router.route(Envelope.builder(Performative.INFORM).sender("x").receiver("pong").build());
        await("the loop was dead-lettered", () -> !a.dead.isEmpty() || !b.dead.isEmpty());
        List<Dead> all = new ArrayList<>(a.dead);
        all.addAll(b.dead);
        assertThat(all).hasSize(1);
        assertThat(all.getFirst().reason()).startsWith("hop limit exceeded");
    }

    @Test
    void aFullMailboxOnTheRemoteNodeIsRetriedThenDeadLetteredOnTheSendingNode() throws Exception {
        var n = three(Duration.ofSeconds(10));
        n.get(0).agent("busy", (e, l) -> SendStatus.QUEUE_FULL);
        TestNode c = n.get(2);
        await("C knows busy", () -> c.cluster.directory().nodeOf("busy") != null);
        c.router.route(Envelope.builder(Performative.INFORM).sender("x").receiver("busy").build());
        await("dead-lettered on C", () -> !c.dead.isEmpty());
        assertThat(c.dead.getFirst().reason()).startsWith("retries exhausted").contains("busy").contains("node A");
    }

    /**
     * Three nodes, agent b1 on B known to C, then B stopped and C's link to it closed; returns C.
     * Frames queued on a link in the instant its peer dies are lost (there is no per-message
     * acknowledgement between nodes yet; see docs/cluster.md), hence the wait for the closed link.
     */
    private TestNode messageForB1AfterBStopped(Duration deliveryTimeout) throws Exception {
        var n = three(deliveryTimeout);
        TestNode b = n.get(1);
        TestNode c = n.get(2);
        b.echo("b1");
        await("C knows b1", () -> c.cluster.directory().nodeOf("b1") != null);
        b.close();
        await("C sees its link to B closed", () -> c.links.connection("B") == null);
        return c;
    }

    @Test
    void aDeadNodesAgentsLeaveTheDirectoryAndMessagesForThemAreDeadLetteredAsUnreachable() throws Exception {
        TestNode c = messageForB1AfterBStopped(Duration.ofMillis(500));
        // The membership has not noticed yet: the message is retried until delivery_timeout.
        c.router.route(Envelope.builder(Performative.INFORM).sender("x").receiver("b1").build());
        await("dead-lettered as unreachable", () -> !c.dead.isEmpty());
        assertThat(c.dead.getFirst().reason()).isEqualTo("node unreachable: B");
        Member gone = view.stream().filter(m -> m.id().value().equals("B")).findFirst().orElseThrow();
        c.cluster.onMembershipEvent(new MembershipEvent(MembershipEvent.Type.DEAD, gone.withState(MemberState.DEAD)));
        assertThat(c.cluster.directory().nodeOf("b1")).isNull();
        assertThatThrownBy(() -> c.router.route(Envelope.builder(Performative.INFORM).sender("x").receiver("b1").build()))
                .isInstanceOf(RoutingException.class).hasMessageContaining("no agent named 'b1'");
    }

    @Test
    void messagesWaitingForANodeDeclaredDeadAreDeadLetteredAsNodeDeadAtOnce() throws Exception {
        // delivery_timeout far beyond the test's wait: only the DEAD verdict can end the retries.
        TestNode c = messageForB1AfterBStopped(Duration.ofMinutes(10));
        c.router.route(Envelope.builder(Performative.INFORM).sender("x").receiver("b1").build());
        Member gone = view.stream().filter(m -> m.id().value().equals("B")).findFirst().orElseThrow();
        c.cluster.onMembershipEvent(new MembershipEvent(MembershipEvent.Type.DEAD, gone.withState(MemberState.DEAD)));
        await("the retried message is dead-lettered", () -> !c.dead.isEmpty());
        assertThat(c.dead.getFirst().reason()).isEqualTo("node dead: B");
        // Back (a new incarnation): messages for it are routed, not dead-lettered, again.
        c.cluster.onMembershipEvent(new MembershipEvent(MembershipEvent.Type.JOINED, gone));
        c.dead.clear();
        // forward() checks the verdict before it returns: a dead node's message would be dead-lettered by now.
        c.cluster.forward("B", Envelope.builder(Performative.INFORM).sender("x").receiver("b1").build());
        assertThat(c.dead).noneMatch(d -> d.reason().startsWith("node dead"));
    }

    @Test
    void malformedFramesFromAPeerAreDroppedAndCountedAndTheNodeCarriesOn() throws Exception {
        var n = three(Duration.ofSeconds(10));
        TestNode a = n.get(0);
        a.echo("a1");
        Transport evil = new InMemoryTransportProvider().create(new ProviderContext(
                ProviderConfig.of("transport.memory", Map.of()), Path.of("."), "evil"));
        try {
            evil.start(new InetSocketAddress("127.0.0.1", 0), new FrameHandler() {
                @Override
                public void onFrame(Connection connection, ByteBuffer frame) {
                }
            });
            Connection conn = evil.connect(view.getFirst().address(), (cn, f) -> { }).get(10, TimeUnit.SECONDS);
            List<byte[]> garbage = List.of(new byte[0], new byte[]{9}, new byte[]{2}, new byte[]{2, 77},
                    new byte[]{2, 1, 'x', 'y'}, new byte[]{2, 1, '{', '}'}, new byte[]{2, 3, 0, 0},
                    bytes(2, 3, "000000000000{\"performative\":\"nope\"}"), bytes(2, 4, "0000000000000\u0000\u0009x"),
                    bytes(2, 1, "{\"v\":1,\"agents\":{\"bad name!\":[]}}"));
            for (byte[] g : garbage) {
                conn.send(ByteBuffer.wrap(g));
            }
            await("every bad frame counted", () -> a.links.rejectedCount() >= garbage.size());
            assertThat(conn.isOpen()).isTrue();
        } finally {
            evil.close();
        }
        assertThat(a.cluster.directory().nodes()).doesNotContainKey("evil");
        // The node still serves its peers.
        TestNode c = n.get(2);
        await("C knows a1", () -> c.cluster.directory().nodeOf("a1") != null);
        Envelope reply = c.clients.request(Envelope.builder(Performative.REQUEST).receiver("a1").build(),
                Duration.ofSeconds(30)).get(40, TimeUnit.SECONDS);
        assertThat(reply.sender()).isEqualTo("a1");
    }

    @Test
    void seededRandomAndMutatedFramesNeverStopTheNode() throws Exception {
        var n = three(Duration.ofSeconds(10));
        TestNode a = n.get(0);
        a.echo("a1");
        java.util.Random random = new java.util.Random(20261206);
        // Valid frames to mutate: a directory entry set and an envelope.
        byte[] dir = bytes(2, 1, "{\"v\":9,\"agents\":{\"x1\":[\"cap\"]}}");
        byte[] env = new JsonWire().encode(Envelope.builder(Performative.INFORM).sender("s").receiver("a1").build());
        byte[] envFrame = new byte[env.length + 14];
        envFrame[0] = 2;
        envFrame[1] = 3;
        System.arraycopy(env, 0, envFrame, 14, env.length);
        Transport evil = new InMemoryTransportProvider().create(new ProviderContext(
                ProviderConfig.of("transport.memory", Map.of()), Path.of("."), "fuzzer"));
        try {
            evil.start(new InetSocketAddress("127.0.0.1", 0), (c, f) -> { });
            Connection conn = evil.connect(view.getFirst().address(), (cn, f) -> { }).get(10, TimeUnit.SECONDS);
            for (int i = 0; i < 2000; i++) {
                byte[] f;
                if (i % 3 == 0) {
                    f = new byte[random.nextInt(64)];
                    random.nextBytes(f);
                } else {
                    f = (i % 3 == 1 ? dir : envFrame).clone();
                    for (int k = 0; k < 1 + random.nextInt(4); k++) {
                        f[2 + random.nextInt(f.length - 2)] = (byte) random.nextInt(256);
                    }
                }
                conn.send(ByteBuffer.wrap(f));
            }
            // About 660 of the random third cannot even name a channel; waiting for 600 of them means
            // the node has read through the stream (mutated frames may decode and be rejected, or not).
            await("the fuzzer's frames were read", () -> a.links.rejectedCount() >= 600);
            assertThat(conn.isOpen()).isTrue();
        } finally {
            evil.close();
        }
        System.out.println("fuzz: " + a.links.rejectedCount() + " frames rejected when the fuzzer closed (2000 sent)");
        TestNode c = n.get(2);
        await("C knows a1", () -> c.cluster.directory().nodeOf("a1") != null);
        Envelope reply = c.clients.request(Envelope.builder(Performative.REQUEST).receiver("a1").build(),
                Duration.ofSeconds(30)).get(40, TimeUnit.SECONDS);
        assertThat(reply.sender()).isEqualTo("a1");
    }

    private static byte[] bytes(int channel, int type, String rest) {
        byte[] r = rest.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] out = new byte[r.length + 2];
        out[0] = (byte) channel;
        out[1] = (byte) type;
        System.arraycopy(r, 0, out, 2, r.length);
        return out;
    }

    @Test
    void aMissedDeltaIsHealedByThePeriodicPull() throws Exception {
        var n = three(Duration.ofSeconds(10));
        TestNode a = n.get(0);
        // Entries changed without a push (as if the delta was lost): the periodic sync carries them.
        a.router.register("quiet", (e, l) -> SendStatus.ACCEPTED);
        a.entries.put("quiet", List.of("hush"));
        await("B and C learn of quiet", () -> n.get(1).cluster.directory().nodeOf("quiet") != null
                && n.get(2).cluster.directory().holders("hush").size() == 1);
        assertThat(Collections.unmodifiableList(n.get(2).cluster.directory().holders("hush")).getFirst().node())
                .isEqualTo("A");
    }

    @Test
    void aFrameLargerThanTheTransportTakesIsRefusedNotThrown() throws Exception {
        var n = three(Duration.ofSeconds(10));
        await("A has a link to B", () -> n.get(0).links.connection("B") != null);
        assertThat(n.get(0).links.sendCluster("B", new byte[n.get(0).transport.maxFrameBytes()])).isFalse();
        assertThat(n.get(0).links.sendCluster("B", new byte[]{Cluster.PULL})).isTrue();
    }

    @Test
    void membershipPacketsTravelOnTheirOwnChannelWithTheProvenSender() throws Exception {
        var n = three(Duration.ofSeconds(10));
        List<String> got = new CopyOnWriteArrayList<>();
        n.get(1).links.receiver((from, packet) -> {
            byte[] b = new byte[packet.remaining()];
            packet.get(b);
            got.add(from + ":" + new String(b, java.nio.charset.StandardCharsets.UTF_8));
        });
        InetSocketAddress bAddr = view.get(1).address();
        await("a packet from A arrives at B", () -> {
            n.get(0).links.send(bAddr, ByteBuffer.wrap("ping".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            return !got.isEmpty();
        });
        assertThat(got.getFirst()).isEqualTo("A:ping");
        assertThatThrownBy(() -> n.get(0).links.send(bAddr, ByteBuffer.allocate(n.get(0).links.maxPacketBytes() + 1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
