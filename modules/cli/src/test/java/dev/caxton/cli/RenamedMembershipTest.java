package dev.caxton.cli;

import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.runtime.plugin.Spi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The membership provider 'static' is now 'fixed' (its folder, module and package could not say
 * static); configurations written with the old name, its section and its properties keep working.
 */
class RenamedMembershipTest {

    @TempDir
    Path dir;

    private static final PluginCatalog CATALOG = PluginCatalog.discover(null);

    @Test
    void theProviderIsNamedFixedAndIsTheDefault() {
        assertThat(CATALOG.names(Spi.MEMBERSHIP)).contains("fixed").doesNotContain("static");
        CaxtonConfig config = CaxtonConfig.parse("test", LocalCommandTest.testConfig(0, dir), CATALOG, new Properties());
        assertThat(config.providerName(Spi.MEMBERSHIP)).isEqualTo("fixed");
    }

    @Test
    void theOldNameAndItsSectionStillSelectAndConfigureIt() {
        CaxtonConfig config = CaxtonConfig.parse("test", LocalCommandTest.testConfig(0, dir) + """
                coordination:
                  cluster:
                    membership: static
                    static:
                      heartbeat_interval: 250ms
                """, CATALOG, new Properties());

        assertThat(config.providerName(Spi.MEMBERSHIP)).isEqualTo("fixed");
        assertThat(config.providerConfig(Spi.MEMBERSHIP, "fixed").duration("heartbeat_interval", Duration.ZERO))
                .isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void theOldNameWorksInSystemPropertiesToo() {
        Properties p = new Properties();
        p.setProperty("caxton.coordination.cluster.membership", "static");
        p.setProperty("caxton.coordination.cluster.static.heartbeat_interval", "300ms");
        CaxtonConfig config = CaxtonConfig.parse("test", LocalCommandTest.testConfig(0, dir), CATALOG, p);

        assertThat(config.providerName(Spi.MEMBERSHIP)).isEqualTo("fixed");
        assertThat(config.providerConfig(Spi.MEMBERSHIP, "fixed").duration("heartbeat_interval", Duration.ZERO))
                .isEqualTo(Duration.ofMillis(300));
    }

    @Test
    void theNewSectionNameWorks() {
        CaxtonConfig config = CaxtonConfig.parse("test", LocalCommandTest.testConfig(0, dir) + """
                coordination:
                  cluster:
                    fixed:
                      heartbeat_interval: 200ms
                """, CATALOG, new Properties());
        assertThat(config.providerConfig(Spi.MEMBERSHIP, "fixed").duration("heartbeat_interval", Duration.ZERO))
                .isEqualTo(Duration.ofMillis(200));
    }

    @Test
    void anErrorInASectionWrittenUnderTheOldNameNamesTheKeyAsWritten() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CaxtonConfig.parse("test", LocalCommandTest.testConfig(0, dir) + """
                coordination:
                  cluster:
                    static:
                      nodes: ["garbage"]
                """, CATALOG, new Properties()).providerName(Spi.MEMBERSHIP))
                .hasMessageContaining("coordination.cluster.static.nodes");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CaxtonConfig.parse("test", LocalCommandTest.testConfig(0, dir) + """
                coordination:
                  cluster:
                    static:
                      heartbeat_interval: forever
                """, CATALOG, new Properties()))
                .hasMessageContaining("coordination.cluster.static.heartbeat_interval");
    }
}
