package dev.caxton.bench;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The benchmark JVM's CPU time (all threads: the caller, agent workers, JIT and GC) per operation.
 * On a machine other jobs keep busy, wall-clock rates mostly measure how often this process got a
 * core; CPU time per message says what each message costs, which is what two cores could do at
 * most when they are free. Use with {@code -prof dev.caxton.bench.ProcessCpuProfiler}.
 *
 * <p>Beside the total it splits the CPU time between the node's agent workers
 * ({@code ·cpu.workers}), JMH's calling threads ({@code ·cpu.callers}) and the rest (JIT, GC, the
 * node's other threads), and on Linux counts the process's context switches per operation
 * ({@code ·switches}, all threads, from {@code /proc/self/task}): a thread that blocks and is woken
 * again per message shows there whatever else the machine runs, where its CPU time does not.
 */
public final class ProcessCpuProfiler implements InternalProfiler {

    /** The name of the secondary result this profiler adds. */
    static final String LABEL = "·cpu";

    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private long start;
    private long workersStart;
    private long callersStart;
    private long switchesStart;

    @Override
    public String getDescription() {
        return "process CPU time per operation (all threads)";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        long[] split = split();
        workersStart = split[0];
        callersStart = split[1];
        switchesStart = contextSwitches();
        start = os.getProcessCpuTime();
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                       IterationResult result) {
        long cpu = os.getProcessCpuTime() - start;
        long switches = contextSwitches() - switchesStart;
        long[] split = split();
        long ops = result.getMetadata().getMeasuredOps();
        if (ops <= 0 || cpu < 0) {
            return List.of();
        }
        List<Result> out = new ArrayList<>();
        out.add(new ScalarResult(LABEL, (double) cpu / ops, "ns/op", AggregationPolicy.AVG));
        out.add(new ScalarResult(LABEL + ".workers", (double) (split[0] - workersStart) / ops, "ns/op",
                AggregationPolicy.AVG));
        out.add(new ScalarResult(LABEL + ".callers", (double) (split[1] - callersStart) / ops, "ns/op",
                AggregationPolicy.AVG));
        if (switches >= 0 && switchesStart >= 0) {
            out.add(new ScalarResult("·switches", (double) switches / ops, "#/op", AggregationPolicy.AVG));
        }
        return out;
    }

    // CPU time of the agent workers and of JMH's calling threads now alive. A thread that ended during
    // the iteration drops out of both readings, which only the compensating workers do, rarely.
    private long[] split() {
        long[] ids = threads.getAllThreadIds();
        ThreadInfo[] infos = threads.getThreadInfo(ids);
        long workers = 0;
        long callers = 0;
        for (int i = 0; i < ids.length; i++) {
            if (infos[i] == null) {
                continue;
            }
            long t = threads.getThreadCpuTime(ids[i]);
            if (t < 0) {
                continue;
            }
            String name = infos[i].getThreadName();
            if (name.startsWith("caxton-agent-worker-")) {
                workers += t;
            } else if (name.contains("-jmh-worker-")) {
                callers += t;
            }
        }
        return new long[] {workers, callers};
    }

    // Voluntary and involuntary switches of every thread of this process; -1 off Linux.
    private static long contextSwitches() {
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return -1;
        }
        long n = 0;
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(tasks)) {
            for (Path task : dir) {
                try {
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                            n += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (IOException e) {
                    // The thread ended while being read.
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return n;
    }
}
