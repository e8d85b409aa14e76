package dev.caxton.plugin.membership.fixed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.Membership;
import dev.caxton.spi.membership.MembershipEvent;
import dev.caxton.spi.membership.MembershipEvent.Type;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.spi.membership.NodeId;
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

    private static Membership create(Map<String, ?> options) {
        return new StaticMembershipProvider().create(ProviderContext.of(
                ProviderConfig.of("coordination.cluster.static", options), Path.of("unused")));
    }

    private static Membership withNodes(String... nodes) {
        return create(Map.of("nodes", List.of(nodes)));
    }

    @Test
    void isFoundByServiceLoaderAndDeclaresItsOption() {
        assertThat(ServiceLoader.load(MembershipProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("static")).toList())
                .singleElement().isInstanceOf(StaticMembershipProvider.class);
        assertThat(new StaticMembershipProvider().options()).singleElement()
                .satisfies(o -> assertThat(o.key()).isEqualTo("nodes"))
                .satisfies(o -> assertThat(o.description()).contains("id@host:port"));
    }

    @Test
    void joinReportsThisNodeThenEveryListedNodeInOrder() {
        try (Membership m = withNodes("n2@10.0.0.2:7001", " n3@[::1]:7002 ", "n4@localhost:7003")) {
            m.join(SELF, events::add);

            assertThat(events).extracting(MembershipEvent::type).containsOnly(Type.JOINED);
            assertThat(events).extracting(e -> e.member().id().value()).containsExactly("n1", "n2", "n3", "n4");
            assertThat(events.getFirst().member()).as("self is alive, otherwise as given")
                    .isEqualTo(new Member(SELF.id(), SELF.address(), MemberState.ALIVE, 3, Map.of("zone", "a")));
            assertThat(events.subList(1, 4)).allSatisfy(e -> {
                assertThat(e.member().state()).isEqualTo(MemberState.ALIVE);
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
                .containsExactly(Type.LEFT, Type.JOINED, Type.JOINED, Type.LEFT);
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
}
