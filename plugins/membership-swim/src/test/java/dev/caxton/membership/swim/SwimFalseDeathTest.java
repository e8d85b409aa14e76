package dev.caxton.membership.swim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * No healthy node judged dead by an observer that merely missed its refutation. At 20% loss a node
 * sometimes misses every copy of a refutation that all the others received within a second; its
 * suspicion then ran to the end (or a late confirmation ended it at once) and it declared a live node
 * dead. With this seed that happened at 99 s and 196 s of simulated time on a 50-node cluster. The
 * observer now calls the suspect directly before its verdict, and a late confirmation leaves time for
 * the answer. Virtual time only; the same seed gives the same run.
 */
class SwimFalseDeathTest {

    @Test
    void anObserverThatMissedTheRefutationAsksTheSuspectBeforeDeclaringItDead() {
        SimCluster c = new SimCluster(50, SwimConfig.DEFAULT, 20261206L + 50);
        c.net.loss(0.20).delay(1, 10);
        c.startAll();
        // At 20% loss "everyone alive for everyone" may take a while; the quiet run follows regardless.
        c.await(120_000, () -> c.allAlive(c.nodes));
        c.clock.advance(200_000);
        assertThat(c.falseDeaths(Set.of())).as("DEAD verdicts about nodes that never failed").isZero();
    }
}
