package dev.caxton.storage.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.storage.ConversationEntry;
import dev.caxton.spi.storage.Storage;
import dev.caxton.spi.storage.StorageWrite;
import dev.caxton.spi.storage.StoredMessage;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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

    /**
     * What one {@link Storage#apply} costs as the batch grows, at both synchronous levels: each
     * message is an outbox add in one batch and its removal in the next, as the runtime writes an
     * accepted message and later completes it. Batches of 1 are what a store without group commit
     * pays per write. Each configuration runs for about two seconds or 65,536 messages, whichever
     * comes first; the figures go to the output, for docs/durability.md.
     */
    @Test
    void applyThroughputByBatchSizeAndSynchronousLevel() {
        byte[] envelope = new byte[256];
        Instant t0 = Instant.parse("2025-01-01T00:00:00Z");
        System.out.printf(Locale.ROOT, "sqlite apply: %d processors available%n",
                Runtime.getRuntime().availableProcessors());
        for (String sync : List.of("normal", "full")) {
            for (int batch : new int[] {1, 16, 256}) {
                Path dir = dataDir.resolve(sync + "-" + batch);
                try (Storage s = new SqliteStorageProvider().open(ProviderContext.of(
                        ProviderConfig.of("storage.sqlite", Map.of("synchronous", sync)), dir))) {
                    List<Long> latencies = new ArrayList<>();
                    List<StorageWrite> previous = List.of();
                    int messages = 0;
                    long start = System.nanoTime();
                    long deadline = start + 2_000_000_000L;
                    while (messages < 65_536 && System.nanoTime() < deadline) {
                        List<StorageWrite> writes = new ArrayList<>(2 * batch);
                        List<StorageWrite> added = new ArrayList<>(batch);
                        for (StorageWrite w : previous) {
                            StoredMessage m = ((StorageWrite.OutboxAdd) w).message();
                            writes.add(new StorageWrite.OutboxRemove(m.receiver(), m.id()));
                        }
                        for (int i = 0; i < batch; i++) {
                            StorageWrite add = new StorageWrite.OutboxAdd(new StoredMessage("m" + (messages + i), "r",
                                    envelope, "", 0, t0.plusMillis(messages + i)));
                            writes.add(add);
                            added.add(add);
                        }
                        long before = System.nanoTime();
                        s.apply(writes);
                        latencies.add(System.nanoTime() - before);
                        previous = added;
                        messages += batch;
                    }
                    double seconds = (System.nanoTime() - start) / 1e9;
                    assertThat(s.outbox().count()).isEqualTo(batch);
                    long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
                    System.out.printf(Locale.ROOT, "sqlite apply: synchronous=%s batch=%d: %,d messages (add + "
                            + "remove) in %,d calls, %.2fs: %,.0f messages/s, %,.0f calls/s, per call p50 %.2f ms "
                            + "p99 %.2f ms%n", sync, batch, messages, sorted.length, seconds, messages / seconds,
                            sorted.length / seconds, sorted[sorted.length / 2] / 1e6,
                            sorted[Math.min(sorted.length - 1, (int) (sorted.length * 0.99))] / 1e6);
                    assertThat(Arrays.stream(sorted).sum()).isPositive();
                }
            }
        }
    }
}
