package dev.caxton.runtime.trace;

import dev.caxton.spi.trace.ExportedSpan;
import dev.caxton.spi.trace.SpanExporter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Feeds the hops a {@link Tracer} records to a {@link SpanExporter} without ever making the thread
 * that records a hop wait: the hop goes into a bounded queue, or, when the queue is full (the
 * collector is slow or gone), is dropped and counted. One thread of its own drains the queue,
 * assembles spans ({@link SpanAssembler}) and exports them in batches; a batch that fails is counted
 * as dropped, not retried, so a dead collector costs one timeout per batch and nothing more.
 */
public final class SpanExport implements AutoCloseable {

    /** Why hops were not exported, the {@code reason} label of {@code caxton_trace_export_dropped_total}. */
    public enum DropReason {
        /** The queue to the export thread was full when the hop was recorded. */
        QUEUE_FULL,
        /** The exporter failed to send the batch holding the hop's span. */
        EXPORT_FAILED;

        /** @return the label value, e.g. {@code queue_full} */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private static final System.Logger LOG = System.getLogger(SpanExport.class.getName());
    /** A span waits this long for its next hop before it is sent as it is. */
    static final Duration IDLE = Duration.ofSeconds(30);
    private static final long FAILURE_LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final SpanExporter exporter;
    private final String name;
    private final BlockingQueue<TraceHop> queue;
    private final int batchSize;
    private final SpanAssembler assembler;
    private final LongAdder[] dropped = new LongAdder[DropReason.values().length];
    private final LongAdder exported = new LongAdder();
    private final Thread thread;
    private volatile boolean running = true;
    private long lastFailureLog = System.nanoTime() - FAILURE_LOG_INTERVAL_NANOS;

    /**
     * Starts the export thread.
     *
     * @param exporter  where spans go
     * @param name      the exporter's provider name, for logs
     * @param queueSize most hops waiting for the export thread
     * @param batchSize most spans per export call
     */
    public SpanExport(SpanExporter exporter, String name, int queueSize, int batchSize) {
        this(exporter, name, queueSize, batchSize, IDLE);
    }

    SpanExport(SpanExporter exporter, String name, int queueSize, int batchSize, Duration idle) {
        this.exporter = exporter;
        this.name = name;
        this.queue = new ArrayBlockingQueue<>(queueSize);
        this.batchSize = batchSize;
        this.assembler = new SpanAssembler(Math.max(1024, queueSize), TimeUnit.NANOSECONDS.toMicros(idle.toNanos()));
        for (int i = 0; i < dropped.length; i++) {
            dropped[i] = new LongAdder();
        }
        this.thread = Thread.ofPlatform().daemon().name("caxton-trace-export").start(this::run);
    }

    /**
     * Queues a hop for export; never blocks. Meant as the {@link Tracer#exportTo sink} of a tracer.
     *
     * @param h the hop
     */
    public void offer(TraceHop h) {
        if (!queue.offer(h)) {
            dropped[DropReason.QUEUE_FULL.ordinal()].increment();
        }
    }

    /**
     * @param reason why
     * @return hops not exported for that reason since the start
     */
    public long dropped(DropReason reason) {
        return dropped[reason.ordinal()].sum();
    }

    /** @return spans the exporter accepted since the start */
    public long exported() {
        return exported.sum();
    }

    /** @return the exporter's provider name */
    public String exporterName() {
        return name;
    }

    private void run() {
        List<ExportedSpan> pending = new ArrayList<>();
        long lastExpire = System.nanoTime();
        while (running) {
            try {
                TraceHop h = queue.poll(1, TimeUnit.SECONDS);
                while (h != null && pending.size() < batchSize) {
                    add(h, pending);
                    h = pending.size() < batchSize ? queue.poll() : null;
                }
            } catch (InterruptedException e) {
                break;
            }
            if (System.nanoTime() - lastExpire >= TimeUnit.SECONDS.toNanos(1)) {
                assembler.expire(nowMicros(), pending);
                lastExpire = System.nanoTime();
            }
            send(pending);
        }
        // Stopping: what is queued and open goes out in one last round.
        for (TraceHop h; (h = queue.poll()) != null; ) {
            add(h, pending);
        }
        assembler.endAll(pending);
        send(pending);
    }

    private void add(TraceHop h, List<ExportedSpan> pending) {
        try {
            assembler.add(h, pending);
        } catch (RuntimeException e) {
            // A hop that makes no valid span (a malformed id) is lost alone; the thread carries on.
            dropped[DropReason.EXPORT_FAILED.ordinal()].increment();
            LOG.log(System.Logger.Level.DEBUG, "trace exporter {0}: a hop of message {1} makes no valid span: {2}",
                    name, h.messageId(), e.getMessage());
        }
    }

    private void send(List<ExportedSpan> pending) {
        for (int from = 0; from < pending.size(); from += batchSize) {
            List<ExportedSpan> batch = pending.subList(from, Math.min(pending.size(), from + batchSize));
            try {
                exporter.export(List.copyOf(batch));
                exported.add(batch.size());
            } catch (Exception e) {
                dropped[DropReason.EXPORT_FAILED.ordinal()].add(batch.stream().mapToLong(s -> s.events().size()).sum());
                // A dead collector fails every batch: say so once a minute, not once a batch.
                if (System.nanoTime() - lastFailureLog >= FAILURE_LOG_INTERVAL_NANOS) {
                    lastFailureLog = System.nanoTime();
                    LOG.log(System.Logger.Level.WARNING, "trace exporter {0}: {1} spans not exported: {2}"
                            + " (counted in caxton_trace_export_dropped_total; further failures are logged once a minute)",
                            name, batch.size(), e.getMessage());
                }
            }
        }
        pending.clear();
    }

    private static long nowMicros() {
        return TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis());
    }

    /**
     * Stops the export thread after one last round (what is queued and every open span), waiting at
     * most {@code wait} for it, then closes the exporter.
     *
     * @param wait how long the last round may take
     */
    public void close(Duration wait) {
        running = false;
        try {
            thread.join(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            thread.interrupt();
        }
        exporter.close();
    }

    /** Stops as {@link #close(Duration)} with ten seconds for the last round. */
    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }
}
