package dev.caxton.runtime.durability;

import dev.caxton.spi.storage.StorageException;
import dev.caxton.spi.storage.StorageWrite;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CommitQueueTest {

    private static StorageWrite drop(String agent) {
        return new StorageWrite.CheckpointDrop(agent);
    }

    @Test
    void writesQueuedWhileATransactionRunsGoTogetherInTheNextOneInSubmissionOrder() throws Exception {
        List<List<StorageWrite>> transactions = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (CommitQueue q = new CommitQueue(batch -> {
            transactions.add(List.copyOf(batch));
            if (transactions.size() == 1) {
                firstStarted.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, 100, Duration.ZERO)) {
            CompletableFuture<Void> first = q.submit(List.of(drop("a")));
            assertThat(firstStarted.await(30, TimeUnit.SECONDS)).isTrue();
            List<CompletableFuture<Void>> more = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                more.add(q.submit(List.of(drop("b" + i), drop("c" + i))));
            }
            release.countDown();
            first.get(30, TimeUnit.SECONDS);
            for (CompletableFuture<Void> f : more) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertThat(transactions).hasSize(2);
            assertThat(transactions.get(1)).extracting(w -> ((StorageWrite.CheckpointDrop) w).agent())
                    .containsExactly("b0", "c0", "b1", "c1", "b2", "c2", "b3", "c3", "b4", "c4");
            assertThat(q.transactions()).isEqualTo(2);
            assertThat(q.writes()).isEqualTo(11);
        }
    }

    @Test
    void aTransactionStopsGatheringAtTheBatchSize() throws Exception {
        List<Integer> sizes = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch release = new CountDownLatch(1);
        try (CommitQueue q = new CommitQueue(batch -> {
            sizes.add(batch.size());
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, 3, Duration.ZERO)) {
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                all.add(q.submit(List.of(drop("x" + i))));
            }
            release.countDown();
            for (CompletableFuture<Void> f : all) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertThat(sizes).allMatch(n -> n <= 3);
            assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(7);
        }
    }

    @Test
    void aFailingSubmissionFailsAloneWhenItsTransactionIsRetriedPartByPart() throws Exception {
        CountDownLatch hold = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        List<String> stored = Collections.synchronizedList(new ArrayList<>());
        try (CommitQueue q = new CommitQueue(batch -> {
            if (batch.stream().anyMatch(w -> w instanceof StorageWrite.CheckpointDrop d && d.agent().equals("hold"))) {
                started.countDown();
                try {
                    hold.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (batch.stream().anyMatch(w -> w instanceof StorageWrite.CheckpointDrop d && d.agent().equals("bad"))) {
                throw new StorageException("disk says no");
            }
            batch.forEach(w -> stored.add(((StorageWrite.CheckpointDrop) w).agent()));
        }, 100, Duration.ZERO)) {
            q.submit(List.of(drop("hold")));
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Void> good1 = q.submit(List.of(drop("good1")));
            CompletableFuture<Void> bad = q.submit(List.of(drop("bad")));
            CompletableFuture<Void> good2 = q.submit(List.of(drop("good2")));
            hold.countDown();
            good1.get(30, TimeUnit.SECONDS);
            good2.get(30, TimeUnit.SECONDS);
            assertThatThrownBy(() -> bad.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(StorageException.class)
                    .hasMessageContaining("disk says no");
            assertThat(stored).containsExactly("hold", "good1", "good2");
            assertThat(q.failures()).isEqualTo(1);
        }
    }

    @Test
    void flushCompletesOnlyAfterEverythingSubmittedBeforeIt() throws Exception {
        List<String> stored = Collections.synchronizedList(new ArrayList<>());
        try (CommitQueue q = new CommitQueue(batch -> batch.forEach(w -> stored.add(((StorageWrite.CheckpointDrop) w).agent())),
                10, Duration.ofMillis(1))) {
            for (int i = 0; i < 50; i++) {
                q.submit(List.of(drop("w" + i)));
            }
            q.flush().get(30, TimeUnit.SECONDS);
            assertThat(stored).hasSize(50);
        }
    }

    @Test
    void closeCommitsWhatIsQueuedAndLaterSubmissionsFail() throws Exception {
        List<String> stored = Collections.synchronizedList(new ArrayList<>());
        CommitQueue q = new CommitQueue(batch -> batch.forEach(w -> stored.add(((StorageWrite.CheckpointDrop) w).agent())),
                10, Duration.ZERO);
        CompletableFuture<Void> queued = q.submit(List.of(drop("last")));
        q.close();
        queued.get(30, TimeUnit.SECONDS);
        assertThat(stored).containsExactly("last");
        assertThatThrownBy(() -> q.submit(List.of(drop("late"))).get(30, TimeUnit.SECONDS))
                .hasMessageContaining("storage is closed");
    }
}
