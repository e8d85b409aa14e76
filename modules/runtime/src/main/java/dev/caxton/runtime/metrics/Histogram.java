package dev.caxton.runtime.metrics;

import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * A latency histogram with fixed bucket bounds, recorded without locks: each bucket and the sum are
 * striped counters ({@link LongAdder}), so threads recording at once touch different cells instead
 * of fighting over one cache line. Durations are recorded in nanoseconds and exposed in seconds.
 *
 * <p>The count is not kept separately: it is the sum of the buckets, read once per scrape, so
 * {@code _count} always equals the {@code +Inf} bucket (a strict reader checks that). {@code _sum}
 * is read separately and may include a recording the buckets of the same scrape do not; that skew
 * is one sample at most, and Prometheus' rate over sums tolerates it.
 */
public final class Histogram {

    /**
     * Upper bounds from 10 µs to 10 s in a 1-2.5-5 progression: nineteen buckets, a few per decade,
     * so p50 and p99 interpolate to within the decade's step for anything from a local route to a
     * slow agent start.
     */
    public static final double[] LATENCY_BOUNDS_SECONDS = {
            0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
            0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private final double[] bounds;
    private final long[] boundsNanos;
    private final LongAdder[] buckets;
    private final LongAdder sumNanos = new LongAdder();

    /**
     * Creates a histogram.
     *
     * @param boundsSeconds the buckets' upper bounds in seconds, strictly increasing; {@code +Inf}
     *                      is added
     */
    public Histogram(double[] boundsSeconds) {
        for (int i = 1; i < boundsSeconds.length; i++) {
            if (!(boundsSeconds[i] > boundsSeconds[i - 1])) {
                throw new IllegalArgumentException("bucket bounds must increase: " + Arrays.toString(boundsSeconds));
            }
        }
        this.bounds = boundsSeconds.clone();
        this.boundsNanos = new long[bounds.length];
        for (int i = 0; i < bounds.length; i++) {
            boundsNanos[i] = Math.round(bounds[i] * 1e9);
        }
        this.buckets = new LongAdder[bounds.length + 1];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new LongAdder();
        }
    }

    /** @return a histogram with {@link #LATENCY_BOUNDS_SECONDS} */
    public static Histogram latency() {
        return new Histogram(LATENCY_BOUNDS_SECONDS);
    }

    /**
     * Records one duration.
     *
     * @param nanos the duration in nanoseconds; negative values (a clock step) count as zero
     */
    public void recordNanos(long nanos) {
        long n = Math.max(0, nanos);
        // Most recordings are short: a linear scan from the low end ends in a few compares.
        int i = 0;
        while (i < boundsNanos.length && n > boundsNanos[i]) {
            i++;
        }
        buckets[i].increment();
        sumNanos.add(n);
    }

    /** @return a consistent-enough copy for one scrape */
    public Snapshot snapshot() {
        long[] cumulative = new long[buckets.length];
        long running = 0;
        for (int i = 0; i < buckets.length; i++) {
            running += buckets[i].sum();
            cumulative[i] = running;
        }
        return new Snapshot(bounds.clone(), cumulative, sumNanos.sum() / 1e9);
    }

    /**
     * One reading of a histogram.
     *
     * @param bounds     the finite upper bounds, in seconds
     * @param cumulative cumulative counts, one per finite bound and one more for {@code +Inf}
     * @param sumSeconds the sum of all recorded durations, in seconds
     */
    public record Snapshot(double[] bounds, long[] cumulative, double sumSeconds) {

        /** @return the number of recordings (the {@code +Inf} bucket) */
        public long count() {
            return cumulative[cumulative.length - 1];
        }
    }
}
