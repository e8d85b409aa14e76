package dev.caxton.runtime.cluster;

import dev.caxton.runtime.cluster.ClusterDirectory.DeltaResult;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Deltas of one node's entries: applied only in version order, anything else asks for a pull. */
class ClusterDirectoryTest {

    @Test
    void deltasApplyInVersionOrderAndAGapAsksForTheFullEntries() {
        ClusterDirectory d = new ClusterDirectory();
        assertThat(d.applyDelta("A", 1, 2, Map.of("a1", List.of()), List.of()))
                .as("nothing known of A yet").isEqualTo(DeltaResult.GAP);
        assertThat(d.apply("A", new ClusterDirectory.Entries(1, Map.of("a1", List.of("quote"))))).isTrue();

        assertThat(d.applyDelta("A", 1, 2, Map.of("a2", List.of("quote")), List.of())).isEqualTo(DeltaResult.APPLIED);
        // 3 -> 4 before 2 -> 3: not applied, the caller pulls.
        assertThat(d.applyDelta("A", 3, 4, Map.of("a4", List.of()), List.of())).isEqualTo(DeltaResult.GAP);
        assertThat(d.nodeOf("a4")).isNull();
        assertThat(d.applyDelta("A", 2, 3, Map.of("a1", List.of("sell")), List.of("a2"))).isEqualTo(DeltaResult.APPLIED);
        assertThat(d.applyDelta("A", 1, 2, Map.of("a2", List.of("quote")), List.of()))
                .as("a delta that arrives twice").isEqualTo(DeltaResult.STALE);

        assertThat(d.nodes().get("A").version()).isEqualTo(3);
        assertThat(d.nodeOf("a2")).isNull();
        assertThat(d.holders("quote")).isEmpty();
        assertThat(d.holders("sell")).extracting(h -> h.agent() + "@" + h.node()).containsExactly("a1@A");

        // The full entries heal the gap; the late 3 -> 4 is then stale.
        assertThat(d.apply("A", new ClusterDirectory.Entries(4, Map.of("a1", List.of("sell"), "a4", List.of())))).isTrue();
        assertThat(d.applyDelta("A", 3, 4, Map.of("a4", List.of()), List.of())).isEqualTo(DeltaResult.STALE);
        assertThat(d.nodeOf("a4")).isEqualTo("A");
    }
}
