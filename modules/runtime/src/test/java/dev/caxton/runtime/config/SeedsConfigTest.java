package dev.caxton.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.spi.ConfigException;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** {@code coordination.cluster.seeds} is checked with the core keys, before any provider is looked up. */
class SeedsConfigTest {

    private static final PluginCatalog NONE = PluginCatalog.discover(null);

    private static ConfigException refusal(String yaml, Properties props) {
        try {
            CaxtonConfig.parse("test.yaml", yaml, NONE, props);
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("accepted: " + yaml);
    }

    @Test
    void aSeedWithoutAPortIsRefusedNamingTheKeyAndTheEntry() {
        ConfigException e = refusal("coordination:\n  cluster:\n    seeds: [\"10.0.0.1:7946\", \"seed-host\"]\n",
                new Properties());
        assertThat(e.key()).isEqualTo("coordination.cluster.seeds");
        assertThat(e.getMessage()).contains("'seed-host'").contains("host:port");
    }

    @Test
    void seedsThatAreNotAListAreRefused() {
        ConfigException e = refusal("coordination:\n  cluster:\n    seeds: {a: 1}\n", new Properties());
        assertThat(e.key()).isEqualTo("coordination.cluster.seeds");
    }

    @Test
    void goodSeedsPassThisCheck() {
        // With no providers installed, parsing stops at the first provider lookup, after the core checks.
        ConfigException e = refusal("coordination:\n  cluster:\n    seeds: [\"[::1]:7946\", \"caxton-0.caxton:7946\"]\n",
                new Properties());
        assertThat(e.key()).isNotEqualTo("coordination.cluster.seeds");
    }
}
