package dev.caxton.membership.fixed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.Membership;
import dev.caxton.spi.membership.MembershipEvent;
import dev.caxton.spi.membership.MembershipChannel;
import dev.caxton.spi.membership.MembershipEvent.Type;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.spi.membership.NodeId;
import dev.caxton.testkit.membership.InMemoryMembershipNetwork;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The static membership beyond the conformance suite: the node list, its errors and the life cycle. */
class StaticMembershipTest {

    private static final String KEY = "coordination.cluster.static.nodes";
    private static final Member SELF = new Member(new NodeId("n1"), new InetSocketAddress("127.0.0.1", 7000),
            MemberState.SUSPECT, 3, Map.of("zone", "a"));

    private final List<MembershipEvent> events = Collections.synchronizedList(new ArrayList<>());
    private static final InMemoryMembershipNetwork NETWORK = new InMemoryMembershipNetwork();

    /** A membership of node n1 with a channel on a network where none of the listed nodes runs. */
    private static Membership create(Map<String, ?> options) {
        return new StaticMembershipProvider().create(new ProviderContext(
                ProviderConfig.of("coordination.cluster.static", options), Path.of("unused"), "n1")
                .withService(MembershipChannel.class, NETWORK.channel("n1", SELF.address())));
    }

    private static Membership withNodes(String... nodes) {
        return create(Map.of("nodes", List.of(nodes)));
    }

    @Test
    void isFoundByServiceLoaderAndDeclaresItsOption() {
        assertThat(ServiceLoader.load(MembershipProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("fixed")).toList())
                .singleElement().isInstanceOf(StaticMembershipProvider.class);
        assertThat(new StaticMembershipProvider().options()).extracting(ConfigOption::key)
                .containsExactly("nodes", "heartbeat_interval", "suspect_after", "dead_after");
        assertThat(new StaticMembershipProvider().options().getFirst().description()).contains("id@host:port");
    }

    @Test
    void joinReportsThisNodeThenEveryListedNodeInOrderAsNotHeardYet() {
        try (Membership m = withNodes("n2@10.0.0.2:7001", " n3@[::1]:7002 ", "n4@localhost:7003")) {
            m.join(SELF, events::add);

            assertThat(events).extracting(MembershipEvent::type)
                    .containsExactly(Type.JOINED, Type.SUSPECT, Type.SUSPECT, Type.SUSPECT);
            assertThat(events).extracting(e -> e.member().id().value()).containsExactly("n1", "n2", "n3", "n4");
            assertThat(events.getFirst().member()).as("self is alive, otherwise as given")
                    .isEqualTo(new Member(SELF.id(), SELF.address(), MemberState.ALIVE, 3, Map.of("zone", "a")));
            assertThat(events.subList(1, 4)).allSatisfy(e -> {
                assertThat(e.member().state()).as("a listed node is not alive until heard").isEqualTo(MemberState.SUSPECT);
                assertThat(e.member().lastHeard()).isNull();
                assertThat(e.member().incarnation()).isZero();
                assertThat(e.member().metadata()).isEmpty();
            });
            assertThat(events).extracting(e -> e.member().address().getPort()).containsExactly(7000, 7001, 7002, 7003);
            assertThat(events.get(1).member().address().getHostString()).isEqualTo("10.0.0.2");
            assertThat(events.get(2).member().address().getAddress().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
            assertThat(events.get(3).member().address().getHostString()).isEqualTo("localhost");
            assertThat(m.members()).containsExactlyElementsOf(events.stream().map(MembershipEvent::member).toList());
        }
    }

    @Test
    void thisNodeListedAmongTheNodesIsNotDuplicated() {
        try (Membership m = withNodes("n2@10.0.0.2:7001", "n1@192.168.1.1:9999")) {
            m.join(SELF, events::add);
            assertThat(events).extracting(e -> e.member().id().value()).containsExactly("n1", "n2");
            assertThat(m.members()).extracting(Member::id, Member::address).containsExactly(
                    tuple(SELF.id(), SELF.address()), tuple(new NodeId("n2"), new InetSocketAddress("10.0.0.2", 7001)));
        }
    }

    @Test
    void withoutNodesThisNodeIsAlone() {
        try (Membership m = create(Map.of())) {
            assertThat(m.members()).as("no view before joining").isEmpty();
            m.join(SELF, events::add);
            assertThat(m.members()).extracting(Member::id).containsExactly(SELF.id());
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "n2-10.0.0.2:7000      | has no '@' between the node id and its address",
            "@10.0.0.2:7000        | has no node id before '@'",
            "n2@me@10.0.0.2:7000   | has more than one '@'",
            "n 2@10.0.0.2:7000     | has white space in its node id",
            "n2@10.0.0.2           | has no ':port' after the host",
            "n2@:7000              | has no host",
            "n2@10.0.0.2:          | has port \"\", which is not a number from 1 to 65535",
            "n2@10.0.0.2:http      | has port \"http\", which is not a number",
            "n2@10.0.0.2:0         | has port 0, outside 1 to 65535",
            "n2@10.0.0.2:65536     | has port 65536, outside 1 to 65535",
            "n2@10.0.0.2:123456    | has port \"123456\", which is not a number from 1 to 65535",
            "n2@::1:7000           | has an IPv6 address without brackets",
            "n2@[::1:7000          | opens '[' for an IPv6 address without closing it",
            "n2@[::1]7000          | has no ':port' after the bracketed address",
            "n2@[]:7000            | has no host",
            "n2@my host:7000       | has white space in its host"})
    void aMalformedEntryIsRejectedNamingTheKeyTheEntryAndTheExpectedForm(String entry, String problem) {
        assertThatThrownBy(() -> withNodes("n9@10.0.0.9:7000", entry))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(KEY + ": entry \"" + entry + "\" ")
                .hasMessageContaining(problem)
                .hasMessageContaining("expected id@host:port")
                .extracting(e -> ((ConfigException) e).key()).isEqualTo(KEY);
    }

    @Test
    void anIdListedTwiceIsRejected() {
        assertThatThrownBy(() -> withNodes("n2@10.0.0.2:7000", "n3@10.0.0.3:7000", "n2@10.0.0.4:7000"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(KEY)
                .hasMessageContaining("\"n2\" is listed twice")
                .hasMessageContaining("n2@10.0.0.4:7000");
    }

    @Test
    void nodesMustBeAListAndNoOtherKeyIsAccepted() {
        assertThatThrownBy(() -> create(Map.of("nodes", "n2@10.0.0.2:7000"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining(KEY).hasMessageContaining("list");
        assertThatThrownBy(() -> create(Map.of("seeds", List.of()))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("coordination.cluster.static.seeds").hasMessageContaining("unknown option");
    }

    @Test
    void updateMetadataIsVisibleAndReported() {
        try (Membership m = withNodes("n2@10.0.0.2:7001")) {
            m.join(SELF, events::add);
            m.updateMetadata(Map.of("capabilities", "math"));
            assertThat(events.getLast().type()).isEqualTo(Type.UPDATED);
            assertThat(events.getLast().member().metadata()).containsExactly(Map.entry("capabilities", "math"));
            assertThat(m.members()).extracting(Member::metadata)
                    .containsExactly(Map.of("capabilities", "math"), Map.of());
        }
    }

    @Test
    void leaveReportsOnlyThisNodeAndEmptiesTheView() {
        Membership m = withNodes("n2@10.0.0.2:7001");
        m.join(SELF, events::add);
        events.clear();
        m.leave();
        m.leave();
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo(Type.LEFT);
            assertThat(e.member().id()).isEqualTo(SELF.id());
            assertThat(e.member().state()).isEqualTo(MemberState.LEFT);
        });
        assertThat(m.members()).isEmpty();
        assertThatThrownBy(() -> m.updateMetadata(Map.of())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("has not joined");

        m.join(SELF, events::add);
        assertThat(m.members()).hasSize(2).as("joins again after leaving");
        m.close();
        m.close();
        assertThat(events).extracting(MembershipEvent::type)
                .containsExactly(Type.LEFT, Type.JOINED, Type.SUSPECT, Type.LEFT);
    }

    @Test
    void misuseIsRefused() {
        Membership m = create(Map.of());
        assertThatThrownBy(() -> m.updateMetadata(Map.of("a", "b"))).isInstanceOf(IllegalStateException.class);
        m.join(SELF, events::add);
        assertThatThrownBy(() -> m.join(SELF, events::add)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already joined as n1");
        m.close();
        assertThatThrownBy(() -> m.join(SELF, events::add)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void aFailingListenerDoesNotStopTheOtherEvents() {
        try (Membership m = withNodes("n2@10.0.0.2:7001", "n3@10.0.0.3:7001")) {
            m.join(SELF, e -> {
                events.add(e);
                throw new IllegalStateException("listener bug");
            });
            assertThat(events).hasSize(3);
            assertThat(m.members()).hasSize(3);
        }
    }

    @Test
    void concurrentUpdatesAreDeliveredOneAtATimeAndTheLastOneWins() throws Exception {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        try (Membership m = create(Map.of())) {
            m.join(SELF, e -> {
                if (inside.incrementAndGet() > 1) {
                    overlaps.incrementAndGet();
                }
                Thread.onSpinWait();
                events.add(e);
                inside.decrementAndGet();
            });
            int threads = 8;
            int perThread = 200;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        go.await();
                        for (int i = 0; i < perThread; i++) {
                            m.updateMetadata(Map.of("v", thread + "-" + i));
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : futures) {
                    f.get(30, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(overlaps).hasValue(0);
            assertThat(events).filteredOn(e -> e.type() == Type.UPDATED).hasSize(threads * perThread);
            assertThat(m.members().getFirst().metadata()).isEqualTo(events.getLast().member().metadata());
        }
    }

    @org.junit.jupiter.api.Test
    void checkRefusesWhatCreateWouldRefuseWithoutCreatingAnything() {
        StaticMembershipProvider p = new StaticMembershipProvider();
        ProviderConfig bad = ProviderConfig.of("coordination.cluster.static", Map.of("nodes", List.of("garbage")));
        assertThatThrownBy(() -> p.check(bad)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("coordination.cluster.static.nodes").hasMessageContaining("garbage")
                .hasMessageContaining("id@host:port");
        p.check(ProviderConfig.of("coordination.cluster.static", Map.of("nodes", List.of("n2@127.0.0.1:7001"))));
        p.check(ProviderConfig.of("coordination.cluster.static", Map.of()));
    }

    // ------------------------------------------------------------ the channel, timings, packets

    @Test
    void otherNodesListedWithoutAChannelFailAtCreateButANodeAloneNeedsNone() {
        StaticMembershipProvider p = new StaticMembershipProvider();
        ProviderConfig listed = ProviderConfig.of("coordination.cluster.static", Map.of("nodes", List.of("n2@127.0.0.1:7001")));
        assertThatThrownBy(() -> p.create(new ProviderContext(listed, Path.of("unused"), "n1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(KEY).hasMessageContaining("1 other node")
                .hasMessageContaining("no membership channel");
        ProviderConfig onlySelf = ProviderConfig.of("coordination.cluster.static", Map.of("nodes", List.of("n1@127.0.0.1:7000")));
        try (Membership alone = p.create(new ProviderContext(onlySelf, Path.of("unused"), "n1"));
             Membership empty = p.create(new ProviderContext(ProviderConfig.of("coordination.cluster.static", Map.of()),
                     Path.of("unused"), "n1"))) {
            alone.join(SELF, events::add);
            empty.join(SELF, e -> { });
            assertThat(alone.members()).extracting(Member::id).containsExactly(SELF.id());
        }
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "heartbeat_interval | 5ms   | out of range",
            "heartbeat_interval | 2m    | out of range",
            "suspect_after      | 400ms | must be longer than heartbeat_interval",
            "dead_after         | 1s    | must be longer than suspect_after",
            "dead_after         | soon  | expected a duration"})
    void timingsOutOfRangeOrOutOfOrderAreRefusedNamingTheKey(String key, String value, String problem) {
        Map<String, Object> options = new java.util.HashMap<>(Map.of("heartbeat_interval", "400ms", "suspect_after", "1s"));
        options.put(key, value);
        StaticMembershipProvider p = new StaticMembershipProvider();
        ProviderConfig config = ProviderConfig.of("coordination.cluster.static", options);
        assertThatThrownBy(() -> p.check(config)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("coordination.cluster.static." + key).hasMessageContaining(problem);
        assertThatThrownBy(() -> create(options)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("coordination.cluster.static." + key);
    }

    @Test
    void metadataBeyondThePacketBoundIsRefusedAndTheOldMetadataStays() {
        try (Membership m = withNodes("n2@10.0.0.2:7001")) {
            m.join(SELF, events::add);
            assertThatThrownBy(() -> m.updateMetadata(Map.of("big", "x".repeat(Packet.MAX_METADATA_BYTES))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1024 bytes");
            assertThat(m.members().getFirst().metadata()).isEqualTo(SELF.metadata());
            m.updateMetadata(Map.of("api", "127.0.0.1:8080", "agents", "12"));
            assertThat(m.members().getFirst().metadata()).containsEntry("agents", "12");
        }
    }

    /** Two real static memberships over the in-memory network, with short timings. */
    private static StaticMembership node(InMemoryMembershipNetwork net, String id, int port, String... others) {
        return node(net, id, port, List.of("100ms", "1s", "2s"), others);
    }

    private static StaticMembership node(InMemoryMembershipNetwork net, String id, int port, List<String> timings,
                                         String... others) {
        return (StaticMembership) new StaticMembershipProvider().create(new ProviderContext(
                ProviderConfig.of("coordination.cluster.static", Map.of("nodes", List.of(others),
                        "heartbeat_interval", timings.get(0), "suspect_after", timings.get(1),
                        "dead_after", timings.get(2))),
                Path.of("unused"), id).withService(MembershipChannel.class,
                net.channel(id, new InetSocketAddress("127.0.0.1", port))));
    }

    private static Member self(String id, int port) {
        return new Member(new NodeId(id), new InetSocketAddress("127.0.0.1", port), MemberState.ALIVE, 0, Map.of());
    }

    private static MemberState stateOf(Membership m, String id) {
        return m.members().stream().filter(x -> x.id().value().equals(id)).findFirst().map(Member::state).orElse(null);
    }

    private static void await(String what, java.util.function.BooleanSupplier until) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!until.getAsBoolean()) {
            assertThat(System.nanoTime()).as("not within 60s: %s", what).isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    @Test
    void aLinkBrokenOneWayIsDetectedByTheSideThatStopsHearing() throws InterruptedException {
        try (InMemoryMembershipNetwork net = new InMemoryMembershipNetwork();
             StaticMembership a = node(net, "a", 1, "b@127.0.0.1:2");
             StaticMembership b = node(net, "b", 2, "a@127.0.0.1:1")) {
            List<MembershipEvent> seenByB = Collections.synchronizedList(new ArrayList<>());
            a.join(self("a", 1), e -> { });
            b.join(self("b", 2), seenByB::add);
            await("both alive", () -> stateOf(a, "b") == MemberState.ALIVE && stateOf(b, "a") == MemberState.ALIVE);

            net.cut("a", "b", true);
            await("b, which no longer hears a, judges it dead", () -> stateOf(b, "a") == MemberState.DEAD);
            assertThat(seenByB).extracting(MembershipEvent::type).containsSubsequence(Type.SUSPECT, Type.DEAD);
            // a still hears b: its heartbeats are the proof that b is alive, whatever b thinks of a.
            await("a hears b", () -> stateOf(a, "b") == MemberState.ALIVE);

            net.cut("a", "b", false);
            await("b hears a again", () -> stateOf(b, "a") == MemberState.ALIVE);
            assertThat(b.members()).filteredOn(x -> x.id().value().equals("a")).singleElement()
                    .satisfies(x -> assertThat(x.lastHeard()).isNotNull());
            assertThat(b.members().getFirst().lastHeard()).as("self has no last heard").isNull();
        }
    }

    @Test
    void replayedStrangeAndMalformedPacketsAreDroppedAndCounted() throws InterruptedException {
        try (InMemoryMembershipNetwork net = new InMemoryMembershipNetwork();
             // Long timings: b is heard only through the injected packets and must stay alive meanwhile.
             StaticMembership a = node(net, "a", 1, List.of("1s", "5m", "1h"), "b@127.0.0.1:2")) {
            a.join(self("a", 1), events::add);
            InetSocketAddress to = new InetSocketAddress("127.0.0.1", 1);
            byte[] first = bytes(new Packet(Packet.Type.HEARTBEAT, 1000, 5, Map.of("agents", "1")));
            net.inject("b", to, first);
            await("b is alive", () -> stateOf(a, "b") == MemberState.ALIVE);

            net.inject("b", to, first);                                                             // replayed
            net.inject("b", to, bytes(new Packet(Packet.Type.HEARTBEAT, 1000, 4, Map.of())));      // older sequence
            net.inject("b", to, bytes(new Packet(Packet.Type.LEAVE, 999, 50, Map.of())));          // older life
            net.inject("mallory", to, bytes(new Packet(Packet.Type.LEAVE, 2000, 1, Map.of())));    // not listed
            net.inject("mallory", to, bytes(new Packet(Packet.Type.LEAVE, 2000, 2, Map.of())));
            byte[] wrongVersion = first.clone();
            wrongVersion[2] = 9;
            net.inject("b", to, wrongVersion);
            net.inject("b", to, java.util.Arrays.copyOf(first, first.length - 1));                  // truncated
            net.inject("b", to, java.util.Arrays.copyOf(first, Packet.MAX_BYTES + 1));             // oversized
            net.inject("b", to, "GET / HTTP/1.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));

            await("every packet counted", () -> a.dropped(Packet.Drop.STALE) == 3
                    && a.dropped(Packet.Drop.UNKNOWN_NODE) == 2 && a.dropped(Packet.Drop.WRONG_VERSION) == 1
                    && a.dropped(Packet.Drop.TRUNCATED) == 1 && a.dropped(Packet.Drop.OVERSIZED) == 1
                    && a.dropped(Packet.Drop.GARBAGE) == 1);
            assertThat(stateOf(a, "b")).as("no dropped packet changed anything").isEqualTo(MemberState.ALIVE);
            assertThat(a.members().get(1).metadata()).isEqualTo(Map.of("agents", "1"));
            assertThat(events).noneMatch(e -> e.type() == Type.LEFT);
            assertThat(net.receiverFailures()).isZero();

            net.inject("b", to, bytes(new Packet(Packet.Type.LEAVE, 1000, 6, Map.of())));
            await("b's own goodbye is taken", () -> stateOf(a, "b") == MemberState.LEFT);
        }
    }

    private static byte[] bytes(Packet p) {
        java.nio.ByteBuffer b = p.encode();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
