package dev.caxton.testkit.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.Membership;
import dev.caxton.spi.membership.MembershipClock;
import dev.caxton.spi.membership.MembershipDatagrams;
import dev.caxton.spi.membership.MembershipEvent;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.spi.membership.NodeId;
import dev.caxton.spi.membership.Seeds;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The multi-node cases of membership on a simulated network: many members in one JVM, on a seeded
 * {@link VirtualClock}, over a {@link SimulatedNetwork} with {@link #loss()} packet loss (5% unless a
 * provider's test says otherwise), delay, crashes and partitions. A provider's test extends it:
 *
 * <pre>{@code
 * class MySimulationTest extends MembershipSimulationConformance {
 *     protected MembershipProvider provider() { return new MyMembershipProvider(); }
 *     protected ProviderConfig config(String nodeId, InetSocketAddress bind) {
 *         return ProviderConfig.of("coordination.cluster.my", Map.of("bind_addr", bind.getHostString() + ":" + bind.getPort()));
 *     }
 * }
 * }</pre>
 *
 * <p>The suite reaches the provider through the SPI only. It creates each node's membership with
 * {@link MembershipProvider#create} and offers, in the {@link ProviderContext}, a
 * {@link MembershipClock} on the virtual clock (each node with a random generator of its own, seeded),
 * {@link MembershipDatagrams} on the simulated network, and the node's {@link Seeds} (every node knows
 * one seed: node 1, and node 1 knows node 2). The provider must honour the clock and the datagrams:
 * its protocol then runs on the test's thread, and the suite calls {@link Membership#members()} and
 * the others from that thread between steps of the clock.
 *
 * <p>Cases: join through one seed with metadata, graceful leave, crash detection, refutation of a
 * false suspicion, metadata propagation, rejoin after a crash with a higher incarnation, partition
 * and heal, and that the same seed gives the same run. Every wait is a bound of <em>simulated</em>
 * time ({@link #limitMs()}), never of wall-clock time, so a loaded machine changes nothing.
 *
 * <p><b>Real time.</b> A provider whose library keeps threads and timers of its own (JGroups) cannot
 * run on a virtual clock. Its test overrides {@link #realTime()}: the suite then offers no
 * {@link MembershipClock}, only the datagrams, and runs the same network, with the same seeded loss,
 * delay, crashes and partitions, in step with real time through a {@link RealTimeNetwork}. The
 * provider's threads send from wherever they like and its receivers are called on the network's
 * driver thread; the suite calls the provider from the test thread. Waits are then bounds of real
 * time (generous ones: the conditions are polled, never timed), and the repeatability case is
 * skipped, since real threads do not repeat. A provider that keeps suspicion to itself (reports no
 * {@code SUSPECT}) overrides {@link #reportsSuspicion()} and skips the refutation case.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
public abstract class MembershipSimulationConformance {

    /** The data directory of the current test. */
    @TempDir
    protected Path dataDir;

    /** The virtual clock of the current case; created by {@link #start}. */
    protected VirtualClock clock;
    /** The simulated network of the current case; created by {@link #start}. */
    protected SimulatedNetwork network;
    /** The nodes of the current case. */
    protected final List<SimMember> nodes = new ArrayList<>();
    /** The real-time driver of the current case when {@link #realTime()}; null otherwise. */
    protected RealTimeNetwork live;

    /**
     * The provider under test. Called for every node; may return a new instance each time.
     *
     * @return the provider
     */
    protected abstract MembershipProvider provider();

    /**
     * The configuration section of one node, whose own datagram socket (if the provider opens one)
     * binds at {@code bind}.
     *
     * @param nodeId the node's id
     * @param bind   where the node's membership socket binds in the simulated network
     * @return the section
     */
    protected abstract ProviderConfig config(String nodeId, InetSocketAddress bind);

    /**
     * The loss rate of every packet.
     *
     * @return from 0 to 1; 5% unless overridden
     */
    protected double loss() {
        return 0.05;
    }

    /**
     * How many nodes the cluster cases start.
     *
     * @return the size; 8 unless overridden
     */
    protected int size() {
        return 8;
    }

    /**
     * The bound of simulated time for one convergence (everyone alive, a crash detected...).
     *
     * @return virtual milliseconds; two minutes unless overridden
     */
    protected long limitMs() {
        return 120_000;
    }

    /**
     * Whether the provider runs on real time with threads of its own rather than on the offered clock.
     *
     * @return false unless overridden
     */
    protected boolean realTime() {
        return false;
    }

    /**
     * Whether the provider reports {@code SUSPECT} before it judges a member dead.
     *
     * @return true unless overridden
     */
    protected boolean reportsSuspicion() {
        return true;
    }

    /**
     * The current time of the case: virtual, which in real-time mode follows the wall clock.
     *
     * @return milliseconds since the case started
     */
    protected long now() {
        return live != null ? live.now() : clock.now();
    }

    /**
     * Changes the network (a node down, a partition, a heal): directly, or under the real-time
     * network's lock.
     *
     * @param change the change
     */
    protected void net(Runnable change) {
        if (live != null) {
            live.locked(change);
        } else {
            change.run();
        }
    }

    /** One event a node's listener received, stamped with the virtual time. */
    public record Seen(MembershipEvent.Type type, Member member, long at) {
    }

    /** One simulated node: its membership, its addresses and what its listener heard. */
    public final class SimMember {
        /** The node's id, {@code s1..sN}. */
        public final String id;
        /** Where its membership socket binds. */
        public final InetSocketAddress bind;
        /** Where its transport listens (what it announces as its address). */
        public final InetSocketAddress transport;
        /** Every event its listener received, across restarts (appended from the provider's threads in real time). */
        public final List<Seen> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** Its membership; replaced by {@link #restart()}. */
        public Membership membership;
        private int lives;

        SimMember(int index) {
            this.id = "s" + index;
            try {
                InetAddress a = InetAddress.getByAddress(new byte[] {10, 77, (byte) (index >> 8), (byte) index});
                this.bind = new InetSocketAddress(a, 7945);
                this.transport = new InetSocketAddress(a, 7946);
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }

        void start() {
            lives++;
            SimMember seed = nodes.get(nodes.get(0) == this ? 1 : 0);
            String seedAddress = seed.bind.getAddress().getHostAddress() + ":" + seed.bind.getPort();
            ProviderContext context = new ProviderContext(config(id, bind), dataDir, id)
                    .withService(Seeds.class, new Seeds(List.of(seedAddress)));
            if (live != null) {
                context = context.withService(MembershipDatagrams.class, live.datagrams());
            } else {
                MembershipClock nodeClock = clock.membershipClock(seed() * 1_000_003L + id.hashCode() * 31L + lives);
                context = context.withService(MembershipClock.class, nodeClock)
                        .withService(MembershipDatagrams.class, network.datagrams());
            }
            membership = provider().create(context);
            membership.join(new Member(new NodeId(id), transport, MemberState.ALIVE, 0, Map.of("name", id)),
                    e -> {
                        if (!e.member().id().value().equals(id)) {
                            events.add(new Seen(e.type(), e.member(), now()));
                        }
                    });
        }

        /** Stops as {@code kill -9} would: off the network first, so its goodbye is lost, then closed. */
        public void crash() {
            net(() -> network.down(bind, true));
            membership.close();
        }

        /** Starts again as a new process would: a new membership, back on the network. */
        public void restart() {
            // Back on the network first: a provider that joins synchronously (JGroups) must reach its seed.
            net(() -> network.down(bind, false));
            start();
        }

        /**
         * This node's view of another.
         *
         * @param other the other's id
         * @return the member, if listed
         */
        public Optional<Member> find(String other) {
            return membership.members().stream().filter(m -> m.id().value().equals(other)).findFirst();
        }

        /**
         * How this node judges another.
         *
         * @param other the other's id
         * @return the state, or null when not listed
         */
        public MemberState stateOf(String other) {
            return find(other).map(Member::state).orElse(null);
        }

        /**
         * Whether this node's listener reported an event of the type about another at or after a time.
         *
         * @param type  the type
         * @param other the other's id
         * @param since the virtual time
         * @return true when reported
         */
        public boolean saw(MembershipEvent.Type type, String other, long since) {
            return events.stream().anyMatch(e -> e.type() == type && e.at() >= since
                    && e.member().id().value().equals(other));
        }
    }

    /**
     * The seed of the case's network and clocks; the same seed gives the same run.
     *
     * @return the seed
     */
    protected long seed() {
        return 20261206L;
    }

    /**
     * Starts {@link #size()} nodes, 10 virtual ms apart, and runs until each sees every other alive.
     *
     * @return the nodes
     */
    protected List<SimMember> start() {
        clock = new VirtualClock(1_800_000_000_000L);
        network = new SimulatedNetwork(clock, seed()).loss(loss()).delay(1, 20);
        if (realTime()) {
            live = new RealTimeNetwork(clock, network).start();
        }
        for (int i = 1; i <= size(); i++) {
            nodes.add(new SimMember(i));
        }
        for (SimMember n : nodes) {
            n.start();
            if (live == null) {
                clock.advance(10);
            }
        }
        await("every node sees every other alive", () -> allSee(nodes, nodes, MemberState.ALIVE));
        return List.copyOf(nodes);
    }

    /** Closes every node still running. */
    @AfterEach
    void closeNodes() {
        for (SimMember n : nodes) {
            if (n.membership != null) {
                n.membership.close();
            }
        }
        nodes.clear();
        if (live != null) {
            live.close();
            live = null;
        }
    }

    /**
     * Runs the simulation until the condition holds, checking it every 50 virtual ms, and fails when it
     * does not within {@link #limitMs()} of simulated time.
     *
     * @param what  the condition, for the failure message
     * @param until the condition
     * @return the virtual ms it took
     */
    protected long await(String what, BooleanSupplier until) {
        long start = now();
        while (!until.getAsBoolean()) {
            if (now() - start > limitMs()) {
                fail("not within " + limitMs() + (live != null ? " ms of real time" : " simulated ms") + " at "
                        + Math.round(loss() * 100) + "% loss: " + what + "; views: " + views());
            }
            if (live != null) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    fail("interrupted while waiting: " + what);
                }
            } else {
                clock.advance(50);
            }
        }
        return now() - start;
    }

    /** Each node's view of the others, for a failure message: {@code s1[s2=ALIVE s3=DEAD] ...}. */
    private String views() {
        StringBuilder b = new StringBuilder();
        for (SimMember o : nodes) {
            b.append(o.id).append('[');
            if (o.membership != null) {
                for (Member m : o.membership.members()) {
                    if (!m.id().value().equals(o.id)) {
                        b.append(m.id().value()).append('=').append(m.state()).append(' ');
                    }
                }
            }
            b.append("] ");
        }
        return b.toString().trim();
    }

    /**
     * Whether every observer judges every target (other than itself) so.
     *
     * @param observers who judges
     * @param targets   who is judged
     * @param state     the state expected
     * @return true when all do
     */
    protected static boolean allSee(List<SimMember> observers, List<SimMember> targets, MemberState state) {
        for (SimMember o : observers) {
            for (SimMember t : targets) {
                if (o != t && o.stateOf(t.id) != state) {
                    return false;
                }
            }
        }
        return true;
    }

    private List<SimMember> others(SimMember n) {
        return nodes.stream().filter(x -> x != n).toList();
    }

    /** Crashes a node and runs until every other judges it dead; returns those others. */
    private List<SimMember> crashAndAwaitDead(SimMember victim) {
        List<SimMember> rest = others(victim);
        victim.crash();
        await("the others judge " + victim.id + " dead", () -> allSee(rest, List.of(victim), MemberState.DEAD));
        return rest;
    }

    @Test
    void nodesJoiningThroughOneSeedAllSeeEachOtherAliveWithTheirMetadata() {
        List<SimMember> all = start();
        for (SimMember o : all) {
            assertThat(o.membership.members()).extracting(m -> m.id().value())
                    .containsExactlyInAnyOrderElementsOf(all.stream().map(n -> n.id).toList());
            for (SimMember t : others(o)) {
                Member m = o.find(t.id).orElseThrow();
                assertThat(m.address()).as("%s's view of %s's transport address", o.id, t.id).isEqualTo(t.transport);
                assertThat(m.metadata()).as("%s's view of %s's metadata", o.id, t.id).isEqualTo(Map.of("name", t.id));
                assertThat(o.saw(MembershipEvent.Type.JOINED, t.id, 0)).as("%s reported %s joined", o.id, t.id).isTrue();
            }
        }
        assertThat(all).allSatisfy(o -> assertThat(o.events).noneMatch(e -> e.type() == MembershipEvent.Type.DEAD));
    }

    @Test
    void aGracefulLeaveIsSeenAsLeftNotDead() {
        List<SimMember> all = start();
        SimMember leaver = all.get(3);
        List<SimMember> rest = others(leaver);
        leaver.membership.leave();
        await("the others see " + leaver.id + " left", () -> allSee(rest, List.of(leaver), MemberState.LEFT));
        assertThat(rest).allSatisfy(o -> {
            assertThat(o.saw(MembershipEvent.Type.LEFT, leaver.id, 0)).isTrue();
            assertThat(o.saw(MembershipEvent.Type.DEAD, leaver.id, 0)).as("%s judged the leaver dead", o.id).isFalse();
        });
    }

    @Test
    void aCrashIsDetectedByEveryOtherNode() {
        List<SimMember> all = start();
        SimMember victim = all.get(all.size() - 1);
        long crashedAt = now();
        List<SimMember> rest = crashAndAwaitDead(victim);
        assertThat(rest).allSatisfy(o -> {
            assertThat(o.saw(MembershipEvent.Type.DEAD, victim.id, crashedAt)).isTrue();
            assertThat(o.saw(MembershipEvent.Type.LEFT, victim.id, 0)).as("a crash is not a goodbye").isFalse();
        });
        assertThat(allSee(rest, rest, MemberState.ALIVE)).as("the survivors still see each other alive").isTrue();
    }

    @Test
    void aCrashedNodeRejoinsWithAHigherIncarnation() {
        List<SimMember> all = start();
        SimMember victim = all.get(2);
        long before = all.get(0).find(victim.id).orElseThrow().incarnation();
        List<SimMember> rest = crashAndAwaitDead(victim);
        long restartedAt = now();
        victim.restart();
        await("everyone sees the restarted " + victim.id + " alive, and it sees them",
                () -> allSee(all, all, MemberState.ALIVE));
        assertThat(rest).allSatisfy(o -> {
            assertThat(o.find(victim.id).orElseThrow().incarnation()).as("%s's view of the incarnation", o.id)
                    .isGreaterThan(before);
            assertThat(o.saw(MembershipEvent.Type.JOINED, victim.id, restartedAt)).isTrue();
        });
    }

    @Test
    void aFalseSuspicionIsRefutedAndNobodyDeclaresTheNodeDead() {
        org.junit.jupiter.api.Assumptions.assumeTrue(reportsSuspicion(),
                "the provider keeps suspicion to itself, so there is no SUSPECT to refute");
        List<SimMember> all = start();
        SimMember target = all.get(1);
        List<SimMember> rest = others(target);
        long before = rest.get(0).find(target.id).orElseThrow().incarnation();
        long cutAt = now();
        // Unreachable just long enough to be suspected, not long enough to be judged dead.
        net(() -> network.down(target.bind, true));
        await("someone suspects " + target.id, () -> rest.stream().anyMatch(o -> o.stateOf(target.id) == MemberState.SUSPECT));
        net(() -> network.down(target.bind, false));
        await("everyone sees " + target.id + " alive with a higher incarnation", () -> rest.stream().allMatch(o ->
                o.find(target.id).map(m -> m.state() == MemberState.ALIVE && m.incarnation() > before).orElse(false)));
        assertThat(rest).allSatisfy(o -> assertThat(o.saw(MembershipEvent.Type.DEAD, target.id, cutAt))
                .as("%s judged the suspected node dead", o.id).isFalse());
    }

    @Test
    void metadataChangesReachEveryNode() {
        List<SimMember> all = start();
        SimMember changer = all.get(all.size() / 2);
        List<SimMember> rest = others(changer);
        Map<String, String> meta = Map.of("name", changer.id, "agents", "12", "api", "127.0.0.1:8080");
        long changedAt = now();
        changer.membership.updateMetadata(meta);
        await("everyone has " + changer.id + "'s new metadata",
                () -> rest.stream().allMatch(o -> o.find(changer.id).map(m -> m.metadata().equals(meta)).orElse(false)));
        // An observer that suspected the changer meanwhile may learn the metadata with its return (JOINED).
        assertThat(rest).allSatisfy(o -> assertThat(o.saw(MembershipEvent.Type.UPDATED, changer.id, changedAt)
                || o.saw(MembershipEvent.Type.JOINED, changer.id, changedAt)).as("%s reported the change", o.id).isTrue());
    }

    @Test
    void aPartitionSplitsTheClusterAndHealingMergesIt() {
        List<SimMember> all = start();
        List<SimMember> a = all.subList(0, all.size() / 2);
        List<SimMember> b = all.subList(all.size() / 2, all.size());
        net(() -> network.partition(1, b.stream().map(n -> n.bind).toList()));
        await("each side judges the other dead", () -> allSee(a, b, MemberState.DEAD) && allSee(b, a, MemberState.DEAD));
        if (realTime()) {
            // On the wall clock at 5% loss, some member of a side may suspect another of its own
            // side at any given instant (and refute it a moment later): wait for the side to agree,
            // while the partition still holds, instead of judging one instant.
            await("side A still sees itself alive", () -> allSee(a, a, MemberState.ALIVE));
            await("side B still sees itself alive", () -> allSee(b, b, MemberState.ALIVE));
        } else {
            assertThat(allSee(a, a, MemberState.ALIVE)).as("side A still sees itself alive").isTrue();
            assertThat(allSee(b, b, MemberState.ALIVE)).as("side B still sees itself alive").isTrue();
        }
        net(network::heal);
        await("after the heal everyone sees everyone alive", () -> allSee(all, all, MemberState.ALIVE));
    }

    @Test
    void theSameSeedGivesTheSameRun() {
        org.junit.jupiter.api.Assumptions.assumeFalse(realTime(), "a provider on real time does not repeat");
        long[] sent = new long[2];
        List<List<String>> logs = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            List<SimMember> all = start();
            all.get(1).crash();
            clock.advance(30_000);
            sent[run] = network.sent();
            logs.add(all.get(0).events.stream().map(e -> e.at() + " " + e.type() + " " + e.member().id()).toList());
            closeNodes();
        }
        assertThat(sent[1]).as("packets sent in the second run").isEqualTo(sent[0]);
        assertThat(logs.get(1)).as("events of s1 in the second run").isEqualTo(logs.get(0));
    }
}
