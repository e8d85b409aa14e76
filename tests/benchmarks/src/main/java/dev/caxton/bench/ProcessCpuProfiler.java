package dev.caxton.bench;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.List;

/**
 * The benchmark JVM's CPU time (all threads: the caller, agent workers, JIT and GC) per operation.
 * On a machine other jobs keep busy, wall-clock rates mostly measure how often this process got a
 * core; CPU time per message says what each message costs, which is what two cores could do at
 * most when they are free. Use with {@code -prof dev.caxton.bench.ProcessCpuProfiler}.
 */
public final class ProcessCpuProfiler implements InternalProfiler {

    /** The name of the secondary result this profiler adds. */
    static final String LABEL = "·cpu";

    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private long start;

    @Override
    public String getDescription() {
        return "process CPU time per operation (all threads)";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        start = os.getProcessCpuTime();
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                       IterationResult result) {
        long cpu = os.getProcessCpuTime() - start;
        long ops = result.getMetadata().getMeasuredOps();
        if (ops <= 0 || cpu < 0) {
            return List.of();
        }
        return List.of(new ScalarResult(LABEL, (double) cpu / ops, "ns/op", AggregationPolicy.AVG));
    }
}
