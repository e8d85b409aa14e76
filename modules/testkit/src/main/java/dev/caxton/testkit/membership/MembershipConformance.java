package dev.caxton.testkit.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.fail;

import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.Membership;
import dev.caxton.spi.membership.MembershipEvent;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.spi.membership.NodeId;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link MembershipProvider} must do for a node that is alone in its cluster, whoever
 * wrote it. A provider's test extends this class:
 *
 * <pre>{@code
 * class MyMembershipTest extends MembershipConformance {
 *     protected MembershipProvider provider() { return new MyMembershipProvider(); }
 * }
 * }</pre>
 *
 * <p>Providers may deliver events on their own threads, so the suite waits for each expected event
 * (up to {@link #eventTimeout()}) instead of expecting it before {@code join} returns. It also
 * checks that one listener is never called by two threads at once.
 *
 * <p>A provider that talks to other nodes through the node's {@link dev.caxton.spi.membership.MembershipChannel}
 * also overrides {@link #clusterConfig}; the suite then runs clusters of two and three nodes over an
 * {@link InMemoryMembershipNetwork} and checks failure detection (suspect, then dead, then alive
 * again), restarts, graceful leaving, the spreading of metadata, and that hostile packets hurt no one.
 * It only ever waits for conditions, never for a fixed time, so the provider's timings (given in the
 * configuration) decide how fast it runs.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
public abstract class MembershipConformance {

    /** The data directory of the current test. */
    @TempDir
    protected Path dataDir;

    /** The membership created before each test and closed after it. */
    protected Membership membership;

    /** Every event delivered to the test's listener, in delivery order. */
    protected final BlockingQueue<MembershipEvent> events = new LinkedBlockingQueue<>();

    private final AtomicInteger listenersInside = new AtomicInteger();
    private volatile boolean overlapSeen;

    /**
     * The provider under test. Called more than once; may return a new instance each time.
     *
     * @return the provider
     */
    protected abstract MembershipProvider provider();

    /**
     * The configuration section for a node that is alone in its cluster. The default is an empty
     * section under {@code coordination.cluster.<name>}.
     *
     * @param dataDir the data directory of the test
     * @return the section
     */
    protected ProviderConfig config(Path dataDir) {
        return ProviderConfig.of("coordination.cluster." + provider().name(), Map.of());
    }

    /**
     * This node as the test joins it. Providers that bind the address may override this to pick a
     * free port.
     *
     * @return the node
     */
    protected Member self() {
        return new Member(new NodeId("conformance-node"), new InetSocketAddress("127.0.0.1", 17946), MemberState.ALIVE,
                0, Map.of("role", "test"));
    }

    /**
     * How long to wait for an event the provider owes.
     *
     * @return the wait
     */
    protected Duration eventTimeout() {
        return Duration.ofSeconds(10);
    }

    /**
     * The configuration section of node {@code selfId} in a cluster with {@code others}, reached
     * through the node's membership channel; short timings make the cluster cases fast. The default,
     * null, skips the cluster cases (for providers that do not use the channel).
     *
     * @param selfId this node's id
     * @param others the other nodes' ids and transport addresses
     * @return the section, or null
     */
    protected ProviderConfig clusterConfig(String selfId, Map<String, InetSocketAddress> others) {
        return null;
    }

    /**
     * How long to wait for a cluster to reach a state (everyone alive, a failure detected).
     *
     * @return the wait
     */
    protected Duration clusterTimeout() {
        return Duration.ofSeconds(60);
    }

    /** Creates the membership for the test. */
    @BeforeEach
    void createMembership() {
        membership = provider().create(new ProviderContext(config(dataDir), dataDir, self().id().value()));
    }

    /** Closes the membership of the test and checks no listener call overlapped another. */
    @AfterEach
    void closeMembership() {
        if (membership != null) {
            membership.close();
        }
        assertThat(overlapSeen).as("the listener was called by two threads at once").isFalse();
    }

    /** Joins {@link #self()} with a listener that records events into {@link #events}. */
    protected void join() {
        membership.join(self(), event -> {
            if (listenersInside.incrementAndGet() > 1) {
                overlapSeen = true;
            }
            try {
                events.add(event);
            } finally {
                listenersInside.decrementAndGet();
            }
        });
    }

    /**
     * Waits for the first event (skipping others) that matches.
     *
     * @param what describes the event for the failure message
     * @param test what to wait for
     * @return the event
     * @throws InterruptedException when interrupted
     */
    protected MembershipEvent await(String what, Predicate<MembershipEvent> test) throws InterruptedException {
        long deadline = System.nanoTime() + eventTimeout().toNanos();
        for (long left = eventTimeout().toNanos(); left > 0; left = deadline - System.nanoTime()) {
            MembershipEvent e = events.poll(left, TimeUnit.NANOSECONDS);
            if (e != null && test.test(e)) {
                return e;
            }
        }
        return fail("no " + what + " event within " + eventTimeout());
    }

    private boolean isSelf(MembershipEvent e) {
        return e.member().id().equals(self().id());
    }

    @Test
    void providerHasAValidNameAndDeclaresOptionsWithDescriptions() {
        MembershipProvider p = provider();
        assertThat(p.name()).matches("[a-z0-9-]+");
        Set<String> keys = new HashSet<>();
        for (ConfigOption option : p.options()) {
            assertThat(option.key()).as("option key").matches("[a-z0-9_]+");
            assertThat(keys.add(option.key())).as("option %s declared once", option.key()).isTrue();
            assertThat(option.description()).as("description of %s", option.key()).isNotBlank();
        }
    }

    @Test
    void joinAnnouncesThisNode() throws InterruptedException {
        join();
        MembershipEvent joined = await("JOINED for self",
                e -> e.type() == MembershipEvent.Type.JOINED && isSelf(e));
        assertThat(joined.member().state()).isEqualTo(MemberState.ALIVE);
        assertThat(joined.member().address()).isEqualTo(self().address());
        assertThat(joined.member().metadata()).isEqualTo(self().metadata());
    }

    @Test
    void membersContainsThisNodeAliveOnceJoined() throws InterruptedException {
        join();
        await("JOINED for self", e -> e.type() == MembershipEvent.Type.JOINED && isSelf(e));
        assertThat(membership.members()).filteredOn(m -> m.id().equals(self().id())).singleElement()
                .satisfies(m -> {
                    assertThat(m.state()).isEqualTo(MemberState.ALIVE);
                    assertThat(m.address()).isEqualTo(self().address());
                    assertThat(m.metadata()).isEqualTo(self().metadata());
                });
    }

    @Test
    void updateMetadataIsAnnouncedAndVisibleInMembers() throws InterruptedException {
        join();
        await("JOINED for self", e -> e.type() == MembershipEvent.Type.JOINED && isSelf(e));
        Map<String, String> metadata = Map.of("capabilities", "math,greeter", "zone", "eu-1");
        membership.updateMetadata(metadata);

        MembershipEvent updated = await("UPDATED for self",
                e -> e.type() == MembershipEvent.Type.UPDATED && isSelf(e));
        assertThat(updated.member().metadata()).isEqualTo(metadata);
        assertThat(membership.members()).filteredOn(m -> m.id().equals(self().id())).singleElement()
                .satisfies(m -> assertThat(m.metadata()).isEqualTo(metadata));
    }

    @Test
    void leaveIsAnnounced() throws InterruptedException {
        join();
        await("JOINED for self", e -> e.type() == MembershipEvent.Type.JOINED && isSelf(e));
        membership.leave();
        MembershipEvent left = await("LEFT for self", e -> e.type() == MembershipEvent.Type.LEFT && isSelf(e));
        assertThat(left.member().state()).isEqualTo(MemberState.LEFT);
    }

    @Test
    void closeLeavesAndIsIdempotent() throws InterruptedException {
        join();
        await("JOINED for self", e -> e.type() == MembershipEvent.Type.JOINED && isSelf(e));
        membership.close();
        await("LEFT for self on close", e -> e.type() == MembershipEvent.Type.LEFT && isSelf(e));
        assertThatCode(membership::close).doesNotThrowAnyException();
    }

    @Test
    void closeWithoutJoinIsHarmless() {
        assertThatCode(membership::close).doesNotThrowAnyException();
        assertThatCode(membership::close).doesNotThrowAnyException();
    }

    // ---------------------------------------------------------------- clusters over the channel

    /** One node of a test cluster: its membership and everything its listener received. */
    protected final class ClusterNode {
        /** The node's id. */
        public final String id;
        /** Where its transport listens, in the in-memory network. */
        public final InetSocketAddress address;
        /** Its membership; replaced by {@link #restart}. */
        public volatile Membership membership;
        /** Every event its listener received, in order, across restarts. */
        public final List<MembershipEvent> events = Collections.synchronizedList(new ArrayList<>());
        private final AtomicInteger inside = new AtomicInteger();

        ClusterNode(String id, InetSocketAddress address) {
            this.id = id;
            this.address = address;
        }

        /**
         * How this node currently judges another.
         *
         * @param other the other node's id
         * @return the state, or null when not among the members
         */
        public MemberState stateOf(String other) {
            return find(other).map(Member::state).orElse(null);
        }

        /**
         * This node's view of another member.
         *
         * @param other the other node's id
         * @return the member, if known
         */
        public java.util.Optional<Member> find(String other) {
            return membership.members().stream().filter(m -> m.id().value().equals(other)).findFirst();
        }

        /**
         * Whether this node's listener received an event of the type about the other node.
         *
         * @param type  the event type
         * @param other the other node's id
         * @return true when seen
         */
        public boolean saw(MembershipEvent.Type type, String other) {
            synchronized (events) {
                return events.stream().anyMatch(e -> e.type() == type && e.member().id().value().equals(other));
            }
        }

        void start() {
            Map<String, InetSocketAddress> others = new LinkedHashMap<>();
            cluster.forEach(n -> {
                if (!n.id.equals(id)) {
                    others.put(n.id, n.address);
                }
            });
            ProviderConfig config = clusterConfig(id, others);
            var channel = network.channel(id, address);
            membership = provider().create(new ProviderContext(config, dataDir, id)
                    .withService(dev.caxton.spi.membership.MembershipChannel.class, channel));
            membership.join(new Member(new NodeId(id), address, MemberState.ALIVE, 0, Map.of("name", id)), e -> {
                if (inside.incrementAndGet() > 1) {
                    overlapSeen = true;
                }
                try {
                    events.add(e);
                } finally {
                    inside.decrementAndGet();
                }
            });
        }

        /** Stops this node as a crash would: off the network first, so its goodbye is lost, then closed. */
        public void crash() {
            network.down(id, true);
            membership.close();
        }

        /** Starts this node again, as a new process would: a new membership on a new channel. */
        public void restart() {
            start();
            network.down(id, false);
        }
    }

    /** The network of the cluster cases. */
    protected InMemoryMembershipNetwork network;
    /** The nodes of the current cluster case. */
    protected final List<ClusterNode> cluster = new ArrayList<>();

    /**
     * Starts a cluster of {@code size} nodes named {@code c1..cN} on one in-memory network, skipping
     * the test when the provider does not use the channel.
     *
     * @param size how many nodes
     * @return the nodes
     */
    protected List<ClusterNode> startCluster(int size) {
        Assumptions.assumeTrue(clusterConfig("c1", Map.of("c2", new InetSocketAddress("127.0.0.1", 2))) != null,
                "the provider does not talk over the membership channel");
        network = new InMemoryMembershipNetwork();
        for (int i = 1; i <= size; i++) {
            cluster.add(new ClusterNode("c" + i, new InetSocketAddress("127.0.0.1", 27000 + i)));
        }
        cluster.forEach(ClusterNode::start);
        return List.copyOf(cluster);
    }

    /**
     * Starts a cluster like {@link #startCluster} and waits until every node sees every other alive.
     *
     * @param size how many nodes
     * @return the nodes
     * @throws InterruptedException when interrupted
     */
    protected List<ClusterNode> startClusterAllAlive(int size) throws InterruptedException {
        List<ClusterNode> nodes = startCluster(size);
        awaitCluster("every node sees the others alive", () -> allSee(nodes, MemberState.ALIVE, nodes));
        return nodes;
    }

    /** Closes the cluster of the test, if any, and checks the listeners' calls never overlapped. */
    @AfterEach
    void closeCluster() {
        for (ClusterNode n : cluster) {
            if (n.membership != null) {
                n.membership.close();
            }
        }
        if (network != null) {
            assertThat(network.receiverFailures()).as("a receiver threw").isZero();
            network.close();
        }
    }

    /**
     * Waits for a condition of the cluster, failing after {@link #clusterTimeout()}.
     *
     * @param what  describes the condition
     * @param until the condition
     * @throws InterruptedException when interrupted
     */
    protected void awaitCluster(String what, BooleanSupplier until) throws InterruptedException {
        long deadline = System.nanoTime() + clusterTimeout().toNanos();
        while (!until.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + clusterTimeout() + ": " + what);
            }
            Thread.sleep(10);
        }
    }

    private boolean allSee(List<ClusterNode> observers, MemberState state, List<ClusterNode> targets) {
        for (ClusterNode o : observers) {
            for (ClusterNode t : targets) {
                if (o != t && o.stateOf(t.id) != state) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Checks every observer reported each change of every other node once: between two reports of a
     * node's state (joined, suspect, dead, left), the state changed.
     *
     * @param observers the nodes whose events to check
     */
    protected void assertOneEventPerTransition(List<ClusterNode> observers) {
        for (ClusterNode o : observers) {
            Map<String, MembershipEvent.Type> last = new LinkedHashMap<>();
            List<MembershipEvent> copy;
            synchronized (o.events) {
                copy = List.copyOf(o.events);
            }
            for (MembershipEvent e : copy) {
                if (e.type() == MembershipEvent.Type.UPDATED || e.member().id().value().equals(o.id)) {
                    continue;
                }
                MembershipEvent.Type before = last.put(e.member().id().value(), e.type());
                assertThat(e.type()).as("%s reported %s twice in a row for %s (events %s)", o.id, e.type(),
                        e.member().id(), copy).isNotEqualTo(before);
            }
        }
    }

    @Test
    void clusterNodesSeeEachOtherAliveWithTheirMetadata() throws InterruptedException {
        List<ClusterNode> nodes = startCluster(3);
        awaitCluster("every node sees the two others alive", () -> allSee(nodes, MemberState.ALIVE, nodes));
        for (ClusterNode o : nodes) {
            assertThat(o.membership.members()).extracting(m -> m.id().value())
                    .containsExactlyInAnyOrder("c1", "c2", "c3");
            for (ClusterNode t : nodes) {
                if (t != o) {
                    assertThat(o.find(t.id).orElseThrow().address()).isEqualTo(t.address);
                    awaitCluster(o.id + " has the metadata of " + t.id,
                            () -> Map.of("name", t.id).equals(o.find(t.id).orElseThrow().metadata()));
                    assertThat(o.saw(MembershipEvent.Type.JOINED, t.id)).as("%s reported %s joined", o.id, t.id).isTrue();
                }
            }
        }
        assertOneEventPerTransition(nodes);
    }

    @Test
    void aSilentNodeIsSuspectedThenDeadAndAliveAgainWhenHeard() throws InterruptedException {
        List<ClusterNode> nodes = startClusterAllAlive(3);
        ClusterNode c3 = nodes.get(2);
        List<ClusterNode> rest = nodes.subList(0, 2);

        network.down(c3.id, true);
        awaitCluster("c1 and c2 report c3 suspect", () -> rest.stream().allMatch(o -> o.saw(MembershipEvent.Type.SUSPECT, c3.id)));
        awaitCluster("c1 and c2 judge c3 dead", () -> allSee(rest, MemberState.DEAD, List.of(c3)));
        assertThat(rest).allSatisfy(o -> assertThat(o.saw(MembershipEvent.Type.DEAD, c3.id)).isTrue());

        rest.forEach(o -> o.events.clear());
        network.down(c3.id, false);
        awaitCluster("c3 is alive again for everyone", () -> allSee(nodes, MemberState.ALIVE, nodes));
        assertThat(rest).allSatisfy(o -> assertThat(o.saw(MembershipEvent.Type.JOINED, c3.id)).isTrue());
        assertOneEventPerTransition(nodes);
    }

    @Test
    void aCrashedNodeThatRestartsIsAliveAgain() throws InterruptedException {
        List<ClusterNode> nodes = startClusterAllAlive(2);
        ClusterNode c1 = nodes.get(0);
        ClusterNode c2 = nodes.get(1);

        c2.crash();
        awaitCluster("c1 judges c2 dead", () -> c1.stateOf(c2.id) == MemberState.DEAD);
        assertThat(c1.saw(MembershipEvent.Type.LEFT, c2.id)).as("a crash is not a goodbye").isFalse();

        c2.restart();
        awaitCluster("c1 sees the restarted c2 alive", () -> c1.stateOf(c2.id) == MemberState.ALIVE);
        awaitCluster("the restarted c2 sees c1 alive", () -> c2.stateOf(c1.id) == MemberState.ALIVE);
        assertOneEventPerTransition(List.of(c1));
    }

    @Test
    void aGracefulLeaveIsReportedAsLeftNotAsAFailure() throws InterruptedException {
        List<ClusterNode> nodes = startClusterAllAlive(3);
        ClusterNode leaver = nodes.get(1);
        leaver.membership.leave();
        List<ClusterNode> rest = List.of(nodes.get(0), nodes.get(2));
        awaitCluster("the others report c2 left", () -> allSee(rest, MemberState.LEFT, List.of(leaver)));
        assertThat(rest).allSatisfy(o -> {
            assertThat(o.saw(MembershipEvent.Type.LEFT, leaver.id)).isTrue();
        });
        assertOneEventPerTransition(rest);
    }

    @Test
    void updatedMetadataSpreadsToTheOtherNodes() throws InterruptedException {
        List<ClusterNode> nodes = startClusterAllAlive(2);
        ClusterNode c1 = nodes.get(0);
        ClusterNode c2 = nodes.get(1);
        Map<String, String> metadata = Map.of("api", "127.0.0.1:8080", "agents", "3");
        c1.membership.updateMetadata(metadata);
        awaitCluster("c2 has c1's new metadata",
                () -> c2.find(c1.id).map(m -> m.metadata().equals(metadata)).orElse(false));
        awaitCluster("c2 reported the update", () -> {
            synchronized (c2.events) {
                return c2.events.stream().anyMatch(e -> e.type() == MembershipEvent.Type.UPDATED
                        && e.member().id().value().equals(c1.id) && e.member().metadata().equals(metadata));
            }
        });
    }

    @Test
    void hostilePacketsHurtNoOneAndTheClusterCarriesOn() throws InterruptedException {
        List<ClusterNode> nodes = startClusterAllAlive(2);
        ClusterNode c1 = nodes.get(0);
        ClusterNode c2 = nodes.get(1);
        Random random = new Random(20261206L);
        for (int i = 0; i < 2000; i++) {
            byte[] junk = new byte[random.nextInt(i % 10 == 0 ? 70_000 : 64)];
            random.nextBytes(junk);
            network.inject(i % 3 == 0 ? "stranger" : c2.id, c1.address, junk);
        }
        network.inject(c2.id, c1.address, new byte[0]);
        c2.crash();
        awaitCluster("c1 still judges c2 by its heartbeats: dead once silent", () -> c1.stateOf(c2.id) == MemberState.DEAD);
        assertThat(c1.membership.members()).extracting(m -> m.id().value()).containsExactlyInAnyOrder("c1", "c2");
        assertThat(c1.stateOf(c1.id)).isEqualTo(MemberState.ALIVE);
    }
}
