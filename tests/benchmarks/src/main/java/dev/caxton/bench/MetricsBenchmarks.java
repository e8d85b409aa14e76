package dev.caxton.bench;

import dev.caxton.runtime.metrics.Histogram;
import dev.caxton.runtime.metrics.NodeMetrics;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * What metrics add to each message on the hot path, measured alone: the clock reads and the
 * striped histogram and counter updates one routed and processed message costs. Two threads
 * record at once, as router and agent threads do; compare the result with the few microseconds a
 * message costs in {@code AgentBenchmarks.throughput}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(2)
public class MetricsBenchmarks {

    private final NodeMetrics metrics = new NodeMetrics();

    /** One message's recordings: a route and a processing, each timed with two clock reads. */
    @Benchmark
    public void recordOneMessage() {
        long t0 = System.nanoTime();
        metrics.routing().recordNanos(System.nanoTime() - t0);
        long t1 = System.nanoTime();
        metrics.processed(System.nanoTime() - t1);
    }

    /** One clock read, for scale: a message costs four of them for its metrics. */
    @Benchmark
    public long clock() {
        return System.nanoTime();
    }

    /** A histogram recording alone, a typical local-routing duration (200 ns, the first bucket). */
    @Benchmark
    public void histogramRecord() {
        metrics.remoteRouting().recordNanos(200);
    }

    /** The same at 3 ms, nine buckets up: the linear scan's worst common case. */
    @Benchmark
    public void histogramRecordSlow() {
        metrics.agentStartup().recordNanos(3_000_000);
    }

    /** A scrape's reading of one histogram. */
    @Benchmark
    public Histogram.Snapshot snapshot() {
        return metrics.processing().snapshot();
    }
}
