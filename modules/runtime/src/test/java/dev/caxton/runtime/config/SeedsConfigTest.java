package dev.caxton.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.spi.ConfigException;
import org.junit.jupiter.api.Test;

/** {@code coordination.cluster.seeds} is checked with the core keys, before any provider is looked up. */
class SeedsConfigTest {

    @Test
    void aSeedWithoutAPortIsRefusedNamingTheKeyAndTheEntry() {
        ConfigException e = ConfigRefusal.of("coordination:\n  cluster:\n    seeds: [\"10.0.0.1:7946\", \"seed-host\"]\n");
        assertThat(e.key()).isEqualTo("coordination.cluster.seeds");
        assertThat(e.getMessage()).contains("'seed-host'").contains("host:port");
    }

    @Test
    void seedsThatAreNotAListAreRefused() {
        ConfigException e = ConfigRefusal.of("coordination:\n  cluster:\n    seeds: {a: 1}\n");
        assertThat(e.key()).isEqualTo("coordination.cluster.seeds");
    }

    @Test
    void goodSeedsPassThisCheck() {
        // With no providers installed, parsing stops at the first provider lookup, after the core checks.
        ConfigException e = ConfigRefusal.of("coordination:\n  cluster:\n    seeds: [\"[::1]:7946\", \"caxton-0.caxton:7946\"]\n");
        assertThat(e.key()).isNotEqualTo("coordination.cluster.seeds");
    }
}
