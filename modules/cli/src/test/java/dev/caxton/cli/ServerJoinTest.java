package dev.caxton.cli;

import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code caxton server start --join HOST:PORT}: the addresses become seeds, and a bad one is a usage error. */
class ServerJoinTest {

    @TempDir
    Path dir;

    @Test
    void joinAddressesAreAddedAfterTheConfiguredSeedsWithoutRepeats() {
        CaxtonConfig config = CaxtonConfig.parse("test", LocalCommandTest.testConfig(0, dir) + """
                coordination:
                  cluster:
                    seeds: ["10.0.0.1:7800"]
                """, PluginCatalog.discover(null), new Properties());

        CaxtonConfig joined = ServerCommand.Start.withJoin(config,
                List.of("10.0.0.2:7800", "10.0.0.1:7800", "caxton-seeds.default.svc:7800", "[::1]:7800"));

        assertThat(joined.list("coordination.cluster.seeds"))
                .containsExactly("10.0.0.1:7800", "10.0.0.2:7800", "caxton-seeds.default.svc:7800", "[::1]:7800");
        assertThat(ServerCommand.Start.withJoin(config, List.of())).isSameAs(config);
    }

    @Test
    void joiningANodeWithoutAWrittenMembershipSelectsSwimAsSeedsInTheFileWould() {
        CaxtonConfig alone = CaxtonConfig.parse("test", LocalCommandTest.testConfig(0, dir),
                PluginCatalog.discover(null), new Properties());
        assertThat(alone.string("coordination.cluster.membership")).isEqualTo("fixed");

        CaxtonConfig joined = ServerCommand.Start.withJoin(alone, List.of("10.0.0.2:7945"));

        assertThat(joined.string("coordination.cluster.membership")).isEqualTo("swim");
    }

    @Test
    void aWrittenMembershipStaysWhenJoining() {
        CaxtonConfig config = CaxtonConfig.parse("test", LocalCommandTest.testConfig(0, dir) + """
                coordination:
                  cluster:
                    membership: static
                """, PluginCatalog.discover(null), new Properties());

        CaxtonConfig joined = ServerCommand.Start.withJoin(config, List.of("10.0.0.2:7945"));

        assertThat(joined.string("coordination.cluster.membership")).isEqualTo("fixed");
        assertThat(joined.list("coordination.cluster.seeds")).containsExactly("10.0.0.2:7945");
    }

    @Test
    void aJoinAddressWithoutAPortIsAUsageErrorNamingIt() throws Exception {
        Path file = dir.resolve("caxton.yaml");
        Files.writeString(file, LocalCommandTest.testConfig(0, dir.resolve("data")));

        Cli.Result r = Cli.run("server", "start", "--config", file.toString(), "--join", "10.0.0.2");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--join 10.0.0.2").contains("HOST:PORT").doesNotContain("Exception");
    }
}
