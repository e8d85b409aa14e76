package dev.caxton.membership.swim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.membership.swim.SimCluster.SimNode;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.MembershipEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The multi-node cases of membership, on the simulated network at 5% packet loss with the default
 * (memberlist) parameters: join, graceful leave, crash detection, refutation of a false suspicion,
 * metadata propagation, rejoin with a new incarnation, partition and heal. Time is virtual, so the
 * limits below are generous bounds of simulated time, not wall-clock assertions; every run is seeded.
 */
class SwimSimulationTest {

    private static final double LOSS = 0.05;
    /** Generous simulated-time bound for a convergence (the protocol needs a few seconds). */
    private static final long LIMIT = 120_000;

    private SimCluster cluster(int size, long seed) {
        SimCluster c = new SimCluster(size, SwimConfig.DEFAULT, seed);
        c.net.loss(LOSS).delay(1, 20);
        c.startAll();
        assertThat(c.await(LIMIT, () -> c.allAlive(c.nodes))).as("everyone sees everyone alive").isNotNegative();
        return c;
    }

    @Test
    void nodesJoiningThroughOneSeedAllSeeEachOtherAliveWithTheirMetadata() {
        SimCluster c = cluster(10, 1);
        for (SimNode o : c.nodes) {
            for (SimNode t : c.nodes) {
                if (o != t) {
                    assertThat(o.core.metadataOf(t.id)).isEqualTo(Map.of("name", t.id));
                }
            }
        }
        assertThat(c.falseDeaths(Set.of())).isZero();
    }

    @Test
    void aGracefulLeaveIsSeenAsLeftNotDead() {
        SimCluster c = cluster(10, 2);
        SimNode leaver = c.nodes.get(4);
        List<SimNode> rest = c.nodes.stream().filter(n -> n != leaver).toList();
        leaver.core.leave();
        assertThat(c.await(LIMIT, () -> c.allSee(rest, leaver.id, MemberState.LEFT))).isNotNegative();
        assertThat(rest).noneMatch(o -> o.saw(MembershipEvent.Type.DEAD, leaver.id));
    }

    @Test
    void aCrashIsDetectedByEveryoneAndARestartRejoinsWithAHigherIncarnation() {
        SimCluster c = cluster(10, 3);
        SimNode victim = c.nodes.get(9);
        List<SimNode> rest = c.nodes.subList(0, 9);
        long before = c.nodes.get(0).core.incarnationOf(victim.id);
        victim.crash();
        long detected = c.await(LIMIT, () -> c.allSee(rest, victim.id, MemberState.DEAD));
        assertThat(detected).as("all judge the crashed node dead").isNotNegative();
        assertThat(rest).noneMatch(o -> o.saw(MembershipEvent.Type.LEFT, victim.id));

        victim.start();
        assertThat(c.await(LIMIT, () -> c.allAlive(c.nodes))).as("the restarted node is alive everywhere").isNotNegative();
        assertThat(rest).allSatisfy(o -> assertThat(o.core.incarnationOf(victim.id)).isGreaterThan(before));
        assertThat(c.falseDeaths(Set.of(victim.id))).isZero();
    }

    @Test
    void aDeathVerdictArrivesStampedWithTheTimeItWasMadeAndProbesAndSuspicionsAreCounted() {
        SimCluster c = cluster(10, 7);
        SimNode victim = c.nodes.get(5);
        List<SimNode> rest = c.nodes.stream().filter(n -> n != victim).toList();
        List<Double> samples = new ArrayList<>();
        rest.forEach(n -> n.core.onConvergence(samples::add));
        long crashedAt = c.clock.wallMillis();
        victim.crash();
        assertThat(c.await(LIMIT, () -> c.allSee(rest, victim.id, MemberState.DEAD))).isNotNegative();
        double bound = (c.clock.wallMillis() - crashedAt) / 1000.0;
        // Every node judged the victim by its own suspicion timer or learnt the verdict from another's;
        // the latter arrive with the time the verdict (or the suspicion) was made, after the crash.
        assertThat(samples).isNotEmpty().allSatisfy(x -> assertThat(x).isBetween(0.0, bound));
        assertThat(rest.stream().mapToLong(n -> n.core.events().get("suspicion")).sum()).isPositive();
        assertThat(rest).allSatisfy(n -> assertThat(n.core.events().get("probe")).isPositive());
    }

    @Test
    void aFalseSuspicionIsRefutedAndNobodyDeclaresTheNodeDead() {
        SimCluster c = cluster(10, 4);
        SimNode target = c.nodes.get(3);
        List<SimNode> rest = c.nodes.stream().filter(n -> n != target).toList();
        long before = rest.get(0).core.incarnationOf(target.id);
        // Unreachable just long enough to be suspected, far shorter than the suspicion timeout.
        c.net.down(target.swim, true);
        assertThat(c.await(LIMIT, () -> rest.stream().anyMatch(o -> o.stateOf(target.id) == MemberState.SUSPECT)))
                .isNotNegative();
        c.net.down(target.swim, false);
        assertThat(c.await(LIMIT, () -> c.allSee(rest, target.id, MemberState.ALIVE)
                && rest.stream().allMatch(o -> o.core.incarnationOf(target.id) > before))).isNotNegative();
        assertThat(target.core.incarnation()).isGreaterThan(before);
        assertThat(target.core.events().get("refutation")).as("the target counted its refutation").isPositive();
        assertThat(c.falseDeaths(Set.of())).isZero();
    }

    @Test
    void metadataChangesReachEveryNode() {
        SimCluster c = cluster(10, 5);
        SimNode changer = c.nodes.get(6);
        Map<String, String> meta = Map.of("name", changer.id, "agents", "12", "api", "127.0.0.1:8080");
        changer.core.updateMetadata(meta);
        assertThat(c.await(LIMIT, () -> c.nodes.stream().filter(o -> o != changer)
                .allMatch(o -> meta.equals(o.core.metadataOf(changer.id))))).isNotNegative();
        assertThat(c.nodes.stream().filter(o -> o != changer))
                .allMatch(o -> o.saw(MembershipEvent.Type.UPDATED, changer.id));
    }

    @Test
    void aPartitionSplitsTheClusterAndHealingMergesIt() {
        SimCluster c = cluster(10, 6);
        List<SimNode> a = c.nodes.subList(0, 5);
        List<SimNode> b = c.nodes.subList(5, 10);
        c.net.partition(1, b.stream().map(n -> n.swim).toList());
        assertThat(c.await(LIMIT, () -> a.stream().allMatch(x -> c.allSee(b, x.id, MemberState.DEAD))
                && b.stream().allMatch(x -> c.allSee(a, x.id, MemberState.DEAD)))).as("each side sees the other dead")
                .isNotNegative();
        assertThat(c.allAlive(a)).isTrue();
        assertThat(c.allAlive(b)).isTrue();
        c.net.heal();
        assertThat(c.await(LIMIT, () -> c.allAlive(c.nodes))).as("healed: everyone alive again").isNotNegative();
    }

    @Test
    void forgedConvergenceStampsDoNotMoveTheHistogramAndAreCounted() {
        SimCluster c = cluster(3, 9);
        // Old enough that a stamp can be both after n1 started and older than gossip_to_dead.
        c.clock.advance(2 * SwimConfig.DEFAULT.gossipToDeadMs());
        SimNode n1 = c.nodes.get(0);
        SimNode n2 = c.nodes.get(1);
        SimNode n3 = c.nodes.get(2);
        List<Double> samples = new ArrayList<>();
        n1.core.onConvergence(samples::add);
        long now = c.clock.wallMillis();
        long[] stamps = {now + 3_600_000L, Long.MAX_VALUE, now - n1.core.staleStampMs() - 1_000, now - 200};
        for (int i = 0; i < stamps.length; i++) {
            // n3, a member, relays an alive of n2 with new metadata: a change n1 applies and measures.
            Map<String, String> meta = Map.of("name", n2.id, "forged", Integer.toString(i));
            Wire.Builder b = new Wire.Builder(n3.id, 0);
            b.add(Wire.stamped(Wire.encode(new Wire.Alive(n2.id, n1.core.incarnationOf(n2.id) + 1, n2.swim, n2.transport,
                    meta)), stamps[i]));
            n1.core.onPacket(n3.swim, b.bytes());
            assertThat(n1.core.metadataOf(n2.id)).as("the record itself is taken").isEqualTo(meta);
        }
        assertThat(samples).as("only the plausible stamp is measured").containsExactly(0.2);
        assertThat(n1.core.events()).containsEntry("convergence_stamp_future", 2L)
                .containsEntry("convergence_stamp_stale", 1L);
    }

    @Test
    void gossipFromANonMemberIsDroppedAndCounted() {
        SimCluster c = cluster(3, 8);
        SimNode n1 = c.nodes.get(0);
        SimNode n2 = c.nodes.get(1);
        Wire.Builder b = new Wire.Builder("stranger", 0);
        b.add(Wire.encode(new Wire.Dead(n2.id, n1.core.incarnationOf(n2.id) + 1000, "stranger")));
        n1.core.onPacket(new java.net.InetSocketAddress("10.9.9.9", 7945), b.bytes());
        assertThat(n1.core.drops()).containsEntry("non_member", 1L);
        assertThat(n1.stateOf(n2.id)).isEqualTo(MemberState.ALIVE);
        // The same words from a member are taken.
        Wire.Builder m = new Wire.Builder(c.nodes.get(2).id, 0);
        m.add(Wire.encode(new Wire.Dead(n2.id, n1.core.incarnationOf(n2.id), c.nodes.get(2).id)));
        n1.core.onPacket(c.nodes.get(2).swim, m.bytes());
        assertThat(n1.stateOf(n2.id)).isEqualTo(MemberState.DEAD);
    }

    @Test
    void theSameSeedGivesTheSameRun() {
        long[] sent = new long[2];
        for (int i = 0; i < 2; i++) {
            SimCluster c = cluster(8, 7);
            c.nodes.get(2).crash();
            c.clock.advance(30_000);
            sent[i] = c.net.sent();
        }
        assertThat(sent[0]).isEqualTo(sent[1]);
    }
}
