package dev.caxton.plugin.storage.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.storage.ConversationEntry;
import dev.caxton.spi.storage.Storage;
import dev.caxton.spi.storage.StoredMessage;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bulk work through the store with the default options: checks that nothing is lost over a few
 * thousand operations, and prints the rate of each kind (to the surefire output file, for humans;
 * rates are not asserted because they depend on the machine).
 */
class SqliteThroughputTest {

    private static final int N = 5_000;

    @TempDir
    Path dataDir;

    @Test
    void bulkOperationsKeepEverythingAndReportTheirRate() {
        byte[] envelope = new byte[512];
        Instant t0 = Instant.parse("2025-01-01T00:00:00Z");
        try (Storage s = new SqliteStorageProvider().open(ProviderContext.of(ProviderConfig.of("storage.sqlite", Map.of()),
                dataDir))) {
            long start = System.nanoTime();
            for (int i = 0; i < N; i++) {
                s.outbox().add(new StoredMessage("m" + i, "r", envelope, "", 0, t0.plusMillis(i)));
                s.outbox().remove("r", "m" + i);
            }
            report("outbox add+remove pairs", start);
            assertThat(s.outbox().count()).isZero();

            start = System.nanoTime();
            for (int i = 0; i < N; i++) {
                s.deadLetters().add(new StoredMessage("d" + i, "r", envelope, "no route", 3, t0.plusMillis(i)));
            }
            report("dead letter adds", start);
            assertThat(s.deadLetters().count()).isEqualTo(N);
            assertThat(s.deadLetters().list(1)).singleElement().extracting(StoredMessage::id).isEqualTo("d" + (N - 1));

            start = System.nanoTime();
            for (int i = 0; i < N; i++) {
                s.conversations().append(new ConversationEntry("c" + (i % 50), 0, "m" + i, "a", "b", "inform", envelope,
                        t0.plusMillis(i)));
            }
            report("conversation appends", start);
            assertThat(s.conversations().history("c7")).hasSize(N / 50);

            start = System.nanoTime();
            for (int i = 0; i < N; i++) {
                s.deadLetters().get("d" + i).orElseThrow();
            }
            report("dead letter reads by id", start);
        }
    }

    private static void report(String what, long startNanos) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        System.out.printf(Locale.ROOT, "sqlite throughput: %,d %s in %.3fs = %,.0f per second%n", N, what, seconds,
                N / seconds);
    }
}
