package dev.caxton.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tuning profiles through the image's launcher: CAXTON_OPTS win over the profile key by key. */
class ProfileImageTest {

    @Test
    void caxtonOptsWinOverTheProfileAndAnUnknownProfileIsRefused(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("caxton.yaml"), "storage:\n  type: memory\n");

        Image.Result r = Image.run(List.of("CAXTON_OPTS=-Dcaxton.messaging.batch_size=7"),
                "config", "validate", "--profile", "high-throughput", file.toString());
        Image.Result bad = Image.run("server", "start", "--config", file.toString(), "--profile", "turbo");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("profile high-throughput:")
                .contains("messaging.batch_size = 7 (written; the profile's 1000 does not apply)")
                .contains("messaging.queue_size = 100000");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--profile turbo").contains("high-throughput, low-latency, memory-optimized")
                .doesNotContain("Exception");
    }
}
