package dev.caxton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caxton.cli.Findings.Severity;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The diagnostic rules fed numbers: each threshold on both sides, and the setting each names. */
class FindingsTest {

    @Test
    void queueDepthAgainstCapacity() {
        assertThat(Findings.queue("a", 49, 100).severity()).isEqualTo(Severity.OK);
        assertThat(Findings.queue("a", 50, 100).severity()).isEqualTo(Severity.WARNING);
        Findings.Finding full = Findings.queue("a", 80, 100);
        assertThat(full.severity()).isEqualTo(Severity.CRITICAL);
        assertThat(full.message()).contains("80 of 100").contains("80%");
        assertThat(full.setting()).contains("messaging.priorities.<class>.queue_size");
        assertThat(Findings.nodeQueue(9000, 10000).setting()).contains("messaging.queue_size");
        assertThat(Findings.nodeQueue(9000, 10000).severity()).isEqualTo(Severity.CRITICAL);
        assertThat(Findings.queue("a", 5, 0).severity()).isEqualTo(Severity.OK);
    }

    @Test
    void fuelNearTheLimit() {
        assertThat(Findings.fuel("a", 700, 1000).severity()).isEqualTo(Severity.OK);
        assertThat(Findings.fuel("a", 750, 1000).severity()).isEqualTo(Severity.WARNING);
        assertThat(Findings.fuel("a", 950, 1000).severity()).isEqualTo(Severity.CRITICAL);
        assertThat(Findings.fuel("a", 950, 1000).setting()).contains("limits.fuel");
        assertThat(Findings.fuel("a", 950, 0).severity()).isEqualTo(Severity.OK);
        assertThat(Findings.fuel("a", -1, 1000).severity()).isEqualTo(Severity.OK);
    }

    @Test
    void memoryBudgetAndHeap() {
        assertThat(Findings.budget(74, 100).severity()).isEqualTo(Severity.OK);
        assertThat(Findings.budget(75, 100).severity()).isEqualTo(Severity.WARNING);
        assertThat(Findings.budget(90, 100).severity()).isEqualTo(Severity.CRITICAL);
        assertThat(Findings.budget(90, 100).setting()).contains("runtime.memory_budget");
        assertThat(Findings.heap(84, 100).severity()).isEqualTo(Severity.OK);
        assertThat(Findings.heap(85, 100).severity()).isEqualTo(Severity.WARNING);
    }

    @Test
    void faultsAndFailedAgents() {
        assertThat(Findings.faults("a", "running", 0, null).severity()).isEqualTo(Severity.OK);
        Findings.Finding fuel = Findings.faults("a", "running", 3, "fuel exhausted: 1000");
        assertThat(fuel.severity()).isEqualTo(Severity.WARNING);
        assertThat(fuel.setting()).contains("limits.fuel");
        assertThat(Findings.faults("a", "failed", 5, "trap: x").severity()).isEqualTo(Severity.CRITICAL);
        assertThat(Findings.faults("a", "failed", 5, "trap: x").setting()).contains("agents.max_failures");
    }

    @Test
    void deadLetterReasonsNameTheirSetting() {
        assertThat(Findings.deadLetters("ttl expired", 9, 100).severity()).isEqualTo(Severity.INFO);
        Findings.Finding ttl = Findings.deadLetters("ttl expired", 10, 100);
        assertThat(ttl.severity()).isEqualTo(Severity.WARNING);
        assertThat(ttl.setting()).contains("messaging.message_ttl");
        assertThat(Findings.settingForReason("hop limit exceeded")).contains("messaging.max_hops");
        assertThat(Findings.settingForReason("node unreachable")).contains("messaging.delivery_timeout");
        assertThat(Findings.settingForReason("trap: call trapped: unreachable instruction")).contains("trapped");
        assertThat(Findings.settingForReason("timeout: 5000ms")).contains("limits.execution_timeout_ms");
    }

    @Test
    void heapGrowthIsJudgedByTheLowPointNotThePeak() {
        long mib = 1024 * 1024;
        // Saw-tooth with a flat floor: high peaks, no growth.
        List<Long> flat = List.of(100 * mib, 900 * mib, 100 * mib, 900 * mib, 101 * mib, 900 * mib);
        assertThat(Findings.heapGrowth(flat, 1000 * mib).severity()).isEqualTo(Severity.OK);
        // The floor rises by 200 MiB of a 1000 MiB heap: 20% > 10%.
        List<Long> rising = List.of(100 * mib, 400 * mib, 150 * mib, 500 * mib, 300 * mib, 600 * mib, 310 * mib);
        Findings.Finding f = Findings.heapGrowth(rising, 1000 * mib);
        assertThat(f.severity()).isEqualTo(Severity.WARNING);
        assertThat(f.message()).contains("100.0 MiB").contains("300.0 MiB");
        assertThat(f.setting()).contains("caxton profile memory");
        assertThat(Findings.heapGrowth(List.of(1L), 10).severity()).isEqualTo(Severity.INFO);
    }

    @Test
    void gossipStates() {
        assertThat(Findings.gossip("static", Map.of("alive", 1), false, 1, 1).message())
                .contains("no gossip membership running");
        assertThat(Findings.gossip("swim", Map.of("alive", 3), false, 3, 2).severity()).isEqualTo(Severity.OK);
        Findings.Finding suspect = Findings.gossip("swim", Map.of("alive", 2, "suspect", 1), false, 2, 2);
        assertThat(suspect.severity()).isEqualTo(Severity.WARNING);
        assertThat(suspect.message()).contains("1 suspect, 0 dead of 3");
        Findings.Finding minority = Findings.gossip("swim", Map.of("alive", 1, "dead", 2), true, 1, 2);
        assertThat(minority.severity()).isEqualTo(Severity.CRITICAL);
        assertThat(minority.setting()).contains("coordination.partition.quorum_size");
    }

    @Test
    void diagnoseOrdersWorstFirst() throws Exception {
        JsonNode health = Json.mapper().readTree("{\"node\":\"n\",\"memory_budget\":{\"budget_bytes\":100,\"in_use_bytes\":10}}");
        JsonNode agents = Json.mapper().readTree("{\"agents\":[{\"name\":\"busy\",\"state\":\"running\",\"limits\":{\"fuel\":0},"
                + "\"counters\":{\"queued\":90,\"faults\":0,\"fuel_max\":null},\"last_fault\":null}]}");
        JsonNode diag = Json.mapper().readTree("{\"queues\":{\"queue_size\":1000,\"priorities\":{\"normal\":60,\"low\":40}},\"jvm\":{\"heap_used_bytes\":1,"
                + "\"heap_max_bytes\":100},\"dead_letters\":{\"sampled\":20,\"by_reason\":{\"ttl expired\":20}}}");
        List<Findings.Finding> f = Findings.diagnose(health, agents, diag);
        assertThat(f.get(0).severity()).isEqualTo(Severity.CRITICAL);
        assertThat(f.get(0).subject()).isEqualTo("busy");
        assertThat(f.get(1).subject()).isEqualTo("dead letters 'ttl expired'");
    }
}
