package dev.caxton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --profile} on {@code config validate} and {@code server start}. */
class ProfileOptionTest {

    @TempDir
    Path dir;

    @Test
    void validateShowsTheProfilesEffectiveValuesAndWhereTheFileWins() throws Exception {
        Path file = Files.writeString(dir.resolve("caxton.yaml"), LocalCommandTest.testConfig(9000, dir)
                + "  batch_size: 9\n");

        Cli.Result r = Cli.run("config", "validate", "--profile", "high-throughput", file.toString());
        Cli.Result json = Cli.run("config", "validate", "--profile", "high-throughput", file.toString(), "--output", "json");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith(file + ": valid\nprofile high-throughput:\n")
                .contains("  messaging.batch_size = 1000\n")
                .contains("  storage.batch_size = 9 (written; the profile's 4096 does not apply)\n");
        assertThat(json.out()).contains("\"server.profile\" : \"high-throughput\"").contains("\"messaging.batch_size\" : 1000");
    }

    @Test
    void theFilesProfileIsShownWithoutTheOption() throws Exception {
        Path file = Files.writeString(dir.resolve("caxton.yaml"), LocalCommandTest.testConfig(9000, dir)
                .replace("server:\n", "server:\n  profile: low-latency\n"));

        Cli.Result r = Cli.run("config", "validate", file.toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("profile low-latency:\n").contains("  messaging.batch_size = 1\n");
    }

    @Test
    void anUnknownProfileIsAUsageErrorNamingTheChoices() throws Exception {
        Path file = Files.writeString(dir.resolve("caxton.yaml"), LocalCommandTest.testConfig(0, dir.resolve("data")));

        Cli.Result v = Cli.run("config", "validate", "--profile", "turbo", file.toString());
        Cli.Result s = Cli.run("server", "start", "--config", file.toString(), "--profile", "turbo");

        for (Cli.Result r : new Cli.Result[] {v, s}) {
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).contains("--profile turbo").contains("high-throughput, low-latency, memory-optimized")
                    .doesNotContain("Exception");
        }
    }

    @Test
    void theOptionWinsOverTheFilesProfileAndTheFileStillWinsOverBoth() throws Exception {
        Path file = Files.writeString(dir.resolve("caxton.yaml"), LocalCommandTest.testConfig(0, dir.resolve("data"))
                .replace("server:\n", "server:\n  profile: high-throughput\n") + "  batch_size: 9\n");

        CaxtonConfig c = LocalSetup.loadWithProfile(file, PluginCatalog.discover(null), "memory-optimized");

        assertThat(c.string("server.profile")).isEqualTo("memory-optimized");
        assertThat(c.integer("messaging.queue_size")).isEqualTo(2000);
        assertThat(c.integer("messaging.batch_size")).as("high-throughput's value is gone with it").isEqualTo(100);
        assertThat(c.integer("storage.batch_size")).isEqualTo(9);
    }
}
