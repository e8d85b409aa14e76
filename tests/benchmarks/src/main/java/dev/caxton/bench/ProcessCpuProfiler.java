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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
    // Per thread at the iteration's start: CPU time of workers and callers, context switches of all.
    private Map<Long, Long> workersStart = Map.of();
    private Map<Long, Long> callersStart = Map.of();
    private Map<String, Long> switchesStart = Map.of();

    @Override
    public String getDescription() {
        return "process CPU time per operation (all threads)";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        workersStart = cpuByThread("caxton-agent-worker-");
        callersStart = cpuByThread("-jmh-worker-");
        switchesStart = contextSwitches();
        start = os.getProcessCpuTime();
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                       IterationResult result) {
        long cpu = os.getProcessCpuTime() - start;
        Map<String, Long> switchesEnd = contextSwitches();
        Map<Long, Long> workersEnd = cpuByThread("caxton-agent-worker-");
        Map<Long, Long> callersEnd = cpuByThread("-jmh-worker-");
        long ops = result.getMetadata().getMeasuredOps();
        if (ops <= 0 || cpu < 0) {
            return List.of();
        }
        List<Result> out = new ArrayList<>();
        out.add(new ScalarResult(LABEL, (double) cpu / ops, "ns/op", AggregationPolicy.AVG));
        // The last iteration ends after the trial's tear-down closed the node: its workers are gone,
        // and what they did in that iteration cannot be read any more, so it reports no split.
        if (!workersEnd.isEmpty()) {
            out.add(new ScalarResult(LABEL + ".workers", (double) grown(workersStart, workersEnd) / ops, "ns/op",
                    AggregationPolicy.AVG));
            out.add(new ScalarResult(LABEL + ".callers", (double) grown(callersStart, callersEnd) / ops, "ns/op",
                    AggregationPolicy.AVG));
            if (!switchesEnd.isEmpty()) {
                out.add(new ScalarResult("·switches", (double) grown(switchesStart, switchesEnd) / ops, "#/op",
                        AggregationPolicy.AVG));
            }
        }
        return out;
    }

    // What threads alive at both readings added between them.
    private static <K> long grown(Map<K, Long> before, Map<K, Long> after) {
        long n = 0;
        for (Map.Entry<K, Long> e : after.entrySet()) {
            Long was = before.get(e.getKey());
            if (was != null) {
                n += e.getValue() - was;
            }
        }
        return n;
    }

    // CPU time of each live thread whose name holds the given part, by thread id.
    private Map<Long, Long> cpuByThread(String namePart) {
        long[] ids = threads.getAllThreadIds();
        ThreadInfo[] infos = threads.getThreadInfo(ids);
        Map<Long, Long> out = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            if (infos[i] != null && infos[i].getThreadName().contains(namePart)) {
                long t = threads.getThreadCpuTime(ids[i]);
                if (t >= 0) {
                    out.put(ids[i], t);
                }
            }
        }
        return out;
    }

    // Voluntary and involuntary switches of each thread of this process, by task id; empty off Linux.
    private static Map<String, Long> contextSwitches() {
        Path tasks = Path.of("/proc/self/task");
        Map<String, Long> out = new HashMap<>();
        if (!Files.isDirectory(tasks)) {
            return out;
        }
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(tasks)) {
            for (Path task : dir) {
                long n = 0;
                try {
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                            n += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (IOException e) {
                    // The thread ended while being read.
                    continue;
                }
                out.put(task.getFileName().toString(), n);
            }
        } catch (IOException e) {
            return Map.of();
        }
        return out;
    }
}
