package dev.caxton.runtime.durability;

import dev.caxton.spi.storage.StorageWrite;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Group commit: any thread submits a list of writes and gets a future; one committer thread applies
 * everything queued since its last transaction as the next transaction. While one transaction is on
 * its way to the disk, the writes of every other thread gather behind it, so a busy node pays one
 * fsync for many messages instead of one each, and an idle node pays no added latency.
 *
 * <p>Submissions are committed in the order they were submitted, and a transaction holds whole
 * submissions only: after a crash, what survives is a prefix of the submissions. The runtime relies
 * on that order (a message's outbox entry always precedes its completion).
 *
 * <p>When a merged transaction fails, its submissions are retried one by one, so one bad write fails
 * its own submission only.
 */
public final class CommitQueue implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(CommitQueue.class.getName());

    private record Submission(List<StorageWrite> writes, CompletableFuture<Void> done) {
    }

    private static final Submission STOP = new Submission(List.of(), new CompletableFuture<>());

    private final Consumer<List<StorageWrite>> apply;
    private final int maxWrites;
    private final long lingerNanos;
    private final LinkedBlockingQueue<Submission> queue = new LinkedBlockingQueue<>();
    private final Thread committer;
    private final LongAdder transactions = new LongAdder();
    private final LongAdder writes = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private volatile boolean closed;

    /**
     * Starts the committer.
     *
     * @param apply     applies one batch atomically ({@code Storage::apply})
     * @param maxWrites the most writes one transaction gathers ({@code storage.batch_size}); a single
     *                  submission larger than this still goes whole
     * @param linger    how long the committer waits for more writes when a transaction would be
     *                  smaller than {@code maxWrites} ({@code storage.batch_linger}); zero commits at once
     */
    public CommitQueue(Consumer<List<StorageWrite>> apply, int maxWrites, Duration linger) {
        if (maxWrites < 1) {
            throw new IllegalArgumentException("maxWrites must be at least 1, got " + maxWrites);
        }
        this.apply = apply;
        this.maxWrites = maxWrites;
        this.lingerNanos = linger.toNanos();
        this.committer = Thread.ofPlatform().daemon().name("caxton-storage-commit").start(this::run);
    }

    /**
     * Queues writes for the next transaction.
     *
     * @param batch the writes, applied together
     * @return completes when they are stored; exceptionally when storage refused them or the queue is
     *         closed
     */
    public CompletableFuture<Void> submit(List<StorageWrite> batch) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (closed) {
            done.completeExceptionally(new IllegalStateException("storage is closed"));
            return done;
        }
        queue.add(new Submission(List.copyOf(batch), done));
        return done;
    }

    /**
     * A barrier: completes once everything submitted before this call is stored.
     *
     * @return the barrier
     */
    public CompletableFuture<Void> flush() {
        return submit(List.of());
    }

    /** @return transactions committed so far */
    public long transactions() {
        return transactions.sum();
    }

    /** @return writes committed so far */
    public long writes() {
        return writes.sum();
    }

    /** @return submissions storage refused */
    public long failures() {
        return failures.sum();
    }

    /** @return submissions waiting for the committer */
    public int backlog() {
        return queue.size();
    }

    private void run() {
        List<Submission> taken = new ArrayList<>();
        try {
            while (true) {
                Submission first = queue.take();
                if (first == STOP) {
                    return;
                }
                taken.add(first);
                int size = first.writes().size();
                long deadline = System.nanoTime() + lingerNanos;
                boolean stop = false;
                while (size < maxWrites) {
                    Submission next = queue.peek() != null || lingerNanos <= 0 ? queue.poll()
                            : queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (next == null) {
                        break;
                    }
                    if (next == STOP) {
                        stop = true;
                        break;
                    }
                    taken.add(next);
                    size += next.writes().size();
                }
                commit(taken, size);
                taken.clear();
                if (stop) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (Submission s : taken) {
                s.done().completeExceptionally(new IllegalStateException("storage is closed"));
            }
            Submission left;
            while ((left = queue.poll()) != null) {
                left.done().completeExceptionally(new IllegalStateException("storage is closed"));
            }
        }
    }

    private void commit(List<Submission> taken, int size) {
        List<StorageWrite> all = new ArrayList<>(size);
        for (Submission s : taken) {
            all.addAll(s.writes());
        }
        try {
            if (!all.isEmpty()) {
                apply.accept(all);
                transactions.increment();
                writes.add(all.size());
            }
            taken.forEach(s -> s.done().complete(null));
            return;
        } catch (RuntimeException e) {
            if (taken.size() == 1) {
                fail(taken.getFirst(), e);
                return;
            }
            LOG.log(System.Logger.Level.WARNING, "a transaction of {0} writes failed ({1}); retrying its {2} parts one by one",
                    all.size(), e.getMessage(), taken.size());
        }
        for (Submission s : taken) {
            try {
                if (!s.writes().isEmpty()) {
                    apply.accept(s.writes());
                    transactions.increment();
                    writes.add(s.writes().size());
                }
                s.done().complete(null);
            } catch (RuntimeException e) {
                fail(s, e);
            }
        }
    }

    private void fail(Submission s, RuntimeException e) {
        failures.increment();
        LOG.log(System.Logger.Level.ERROR, "storage refused {0} writes: {1}", s.writes().size(), e.getMessage());
        s.done().completeExceptionally(e);
    }

    /** Commits what is queued, then stops the committer; later submissions fail. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        queue.add(STOP);
        try {
            committer.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // A submission that raced with close after the committer's last look must not wait forever.
        Submission left;
        while ((left = queue.poll()) != null) {
            left.done().completeExceptionally(new IllegalStateException("storage is closed"));
        }
    }
}
