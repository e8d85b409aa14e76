package dev.caxton.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.runtime.routing.CapabilityDirectory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The directory's two views (by capability, by agent) stay in step through every change. */
class CapabilityDirectoryTest {

    @Test
    void registrationsRemovalsAndRoundRobinAgree() {
        CapabilityDirectory d = new CapabilityDirectory();
        d.register("sum", "a");
        d.register("sum", "b");
        d.register("sum", "a");
        d.register("log", "a");
        assertThat(d.holders("sum")).containsExactly("a", "b");
        assertThat(d.capabilitiesOf("a")).containsExactly("log", "sum");
        List<String> picks = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            picks.add(d.pick("sum"));
        }
        assertThat(picks).containsExactlyInAnyOrder("a", "a", "b", "b");

        d.removeAgent("client-1");
        assertThat(d.snapshot()).as("a name that holds nothing changes nothing")
                .isEqualTo(Map.of("log", List.of("a"), "sum", List.of("a", "b")));

        d.unregister("sum", "a");
        assertThat(d.holders("sum")).containsExactly("b");
        assertThat(d.capabilitiesOf("a")).containsExactly("log");
        assertThat(d.pick("sum")).isEqualTo("b");

        d.removeAgent("a");
        assertThat(d.capabilitiesOf("a")).isEmpty();
        assertThat(d.holders("log")).isEmpty();
        assertThat(d.pick("log")).isNull();
        assertThat(d.capabilities()).containsExactly("sum");

        d.unregister("sum", "b");
        assertThat(d.snapshot()).isEmpty();
        assertThat(d.capabilitiesOf("b")).isEmpty();
        d.register("sum", "c");
        assertThat(d.pick("sum")).isEqualTo("c");
    }
}
