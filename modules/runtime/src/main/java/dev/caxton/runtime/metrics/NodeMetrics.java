package dev.caxton.runtime.metrics;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * What a node records as it works, for the metrics endpoint: latency histograms, the count of
 * processed messages and its recent rate, and dead letters by category. Everything on the message
 * path is a striped counter or a lock-free histogram bucket, so recording costs a few
 * uncontended additions per message.
 */
public final class NodeMetrics {

    /**
     * Buckets of {@link #gossipConvergence()}: from 5 ms (a change on one machine) to a minute (a
     * large cluster's dead verdict after a suspicion runs its course), in a 1-2.5-5 progression.
     */
    public static final double[] CONVERGENCE_BOUNDS_SECONDS = {
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60};

    /** The window {@link #messagesPerSecond()} averages over, in ticks of one second. */
    public static final int RATE_WINDOW_SECONDS = 10;

    private final Histogram routing = Histogram.latency();
    private final Histogram remoteRouting = Histogram.latency();
    private final Histogram agentStartup = Histogram.latency();
    private final Histogram processing = Histogram.latency();
    private final Histogram gossipConvergence = new Histogram(CONVERGENCE_BOUNDS_SECONDS);
    private final LongAdder processed = new LongAdder();
    private final LongAdder[] deadLetters = new LongAdder[DeadLetterReason.values().length];
    private final LongSupplier nanoTime;

    // The rate window: totals sampled once a second by tick(); only the ticking thread writes.
    private final long[] ringTotals = new long[RATE_WINDOW_SECONDS + 1];
    private final long[] ringNanos = new long[RATE_WINDOW_SECONDS + 1];
    private int ringNext;
    private int ringFilled;

    /** Creates the metrics of one node, on the system clock. */
    public NodeMetrics() {
        this(System::nanoTime);
    }

    /**
     * Creates the metrics of one node.
     *
     * @param nanoTime the clock the rate window reads (tests pass their own)
     */
    public NodeMetrics(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        for (int i = 0; i < deadLetters.length; i++) {
            deadLetters[i] = new LongAdder();
        }
    }

    /** @return time spent routing a message (validation to hand-off), local and remote */
    public Histogram routing() {
        return routing;
    }

    /** @return time spent handing a message to another node */
    public Histogram remoteRouting() {
        return remoteRouting;
    }

    /** @return time from a deploy request to the agent being ready */
    public Histogram agentStartup() {
        return agentStartup;
    }

    /**
     * @return time from a membership change at its origin to this node applying it, when the
     *         membership reports it (else never recorded)
     */
    public Histogram gossipConvergence() {
        return gossipConvergence;
    }

    /** @return time an agent took to handle one message (encode, guest call, reply routed) */
    public Histogram processing() {
        return processing;
    }

    /**
     * Records a message an agent processed.
     *
     * @param nanos how long it took
     */
    public void processed(long nanos) {
        processing.recordNanos(nanos);
        processed.increment();
    }

    /** @return messages processed by agents since the node started */
    public long processedTotal() {
        return processed.sum();
    }

    /**
     * Counts a dead letter.
     *
     * @param reason its category
     */
    public void deadLettered(DeadLetterReason reason) {
        deadLetters[reason.ordinal()].increment();
    }

    /**
     * @param reason a category
     * @return dead letters of that category since the node started
     */
    public long deadLetters(DeadLetterReason reason) {
        return deadLetters[reason.ordinal()].sum();
    }

    /**
     * Samples the processed total for the rate window. Called once a second by one thread.
     */
    public synchronized void tick() {
        ringTotals[ringNext] = processed.sum();
        ringNanos[ringNext] = nanoTime.getAsLong();
        ringNext = (ringNext + 1) % ringTotals.length;
        ringFilled = Math.min(ringFilled + 1, ringTotals.length);
    }

    /**
     * The processing rate over the last {@link #RATE_WINDOW_SECONDS} seconds (less just after
     * start): the difference between the newest and oldest samples of the window over the time
     * between them. Zero until two samples exist.
     *
     * @return messages per second
     */
    public synchronized double messagesPerSecond() {
        if (ringFilled < 2) {
            return 0;
        }
        int newest = Math.floorMod(ringNext - 1, ringTotals.length);
        int oldest = ringFilled < ringTotals.length ? 0 : ringNext;
        long dt = ringNanos[newest] - ringNanos[oldest];
        if (dt <= 0) {
            return 0;
        }
        return (ringTotals[newest] - ringTotals[oldest]) * 1e9 / dt;
    }
}
