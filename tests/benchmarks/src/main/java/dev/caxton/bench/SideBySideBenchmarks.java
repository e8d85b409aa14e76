package dev.caxton.bench;

import dev.caxton.spi.message.Envelope;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Caxton beside what a Java team would otherwise pick to run WebAssembly, in one run and one fork
 * layout, all echoing the same 128 bytes (issue 16, "Side by side, in one run"): the bare Chicory
 * call on the compiled echo module (the floor), the Extism Java SDK's {@code plugin.call} on an
 * equivalent Extism plugin, Caxton's routed request→reply into one echo agent (and with a window of
 * requests in flight), fire-and-forget into one agent, each of these also with the agent deployed
 * with codec {@code msgpack}, and the same Extism plugin run by Caxton as an agent. The single calls run in both modes; the batched ones (window, fire-and-forget) in
 * throughput mode, per message.
 *
 * <p>{@link #main} runs the latencies (sample time, ns) and the throughputs (ops/s) and prints the
 * ratio table, Caxton / Extism and Caxton / bare, with the process's CPU time per operation
 * ({@link ProcessCpuProfiler}), which says more than a rate when other jobs share the cores:
 * <pre>
 * java -cp "tests/benchmarks/target/benchmarks.jar" dev.caxton.bench.SideBySideBenchmarks [results-dir]
 * </pre>
 */
@BenchmarkMode({Mode.SampleTime, Mode.Throughput})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
// Longer than the other benchmarks' warm-up: on a loaded machine the node's paths were still being
// compiled by the JIT after 6 s (CPU per message fell iteration after iteration).
@Warmup(iterations = 8, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class SideBySideBenchmarks {

    /** The bare Chicory call alone: JMH builds only the states a benchmark takes. */
    @State(Scope.Benchmark)
    public static class Bare {
        SideBySide paths;

        @Setup(Level.Trial)
        public void start() {
            paths = new SideBySide("compiler", true, false, false);
        }
    }

    /** The Extism SDK alone. */
    @State(Scope.Benchmark)
    public static class Extism {
        SideBySide paths;

        @Setup(Level.Trial)
        public void start() {
            paths = new SideBySide("compiler", false, true, false);
        }
    }

    /** A Caxton node with the echo agent, a sink and the Extism plugin as an agent. */
    @State(Scope.Benchmark)
    public static class Node {
        SideBySide paths;

        @Setup(Level.Trial)
        public void start() {
            paths = new SideBySide("compiler", false, false, true);
        }

        @TearDown(Level.Trial)
        public void stop() {
            BenchNode.reportPaths("side-by-side", paths.node());
            paths.close();
        }
    }

    /** The floor: alloc, copy in, {@code handle_message}, copy out on the compiled echo module. */
    @Benchmark
    public byte[] bareChicory(Bare s) {
        return s.paths.bareChicory();
    }

    /** The Extism Java SDK's {@code plugin.call} on the Extism echo plugin. */
    @Benchmark
    public byte[] extismCall(Extism s) {
        return s.paths.extismCall();
    }

    /** Caxton: a routed request to the echo agent, the caller waiting at once. */
    @Benchmark
    public Envelope caxtonRequestReply(Node s) throws ExecutionException, InterruptedException {
        return s.paths.caxtonRequestReply();
    }

    /** Caxton: the same request to the echo agent deployed with codec {@code msgpack}. */
    @Benchmark
    public Envelope caxtonMsgpackRequestReply(Node s) throws ExecutionException, InterruptedException {
        return s.paths.caxtonMsgpackRequestReply();
    }

    /** Caxton: the same request to the Extism echo plugin deployed as an agent. */
    @Benchmark
    public Envelope caxtonExtismRequestReply(Node s) throws ExecutionException, InterruptedException {
        return s.paths.caxtonExtismRequestReply();
    }

    /** Caxton: requests into the one echo agent with a window in flight, per message. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OperationsPerInvocation(SideBySide.WINDOW)
    public Envelope caxtonRequestWindow(Node s) throws ExecutionException, InterruptedException {
        return s.paths.caxtonRequestWindow();
    }

    /** Caxton: the window into the one echo agent deployed with codec {@code msgpack}, per message. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OperationsPerInvocation(SideBySide.WINDOW)
    public Envelope caxtonMsgpackRequestWindow(Node s) throws ExecutionException, InterruptedException {
        return s.paths.caxtonMsgpackRequestWindow();
    }

    /** Caxton: fire-and-forget into one agent deployed with codec {@code msgpack}, per message handled. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OperationsPerInvocation(SideBySide.BATCH)
    public long caxtonMsgpackFireAndForget(Node s) throws TimeoutException {
        return s.paths.caxtonMsgpackFireAndForget();
    }

    /** Caxton: fire-and-forget into one agent, per message handled. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OperationsPerInvocation(SideBySide.BATCH)
    public long caxtonFireAndForget(Node s) throws TimeoutException {
        return s.paths.caxtonFireAndForget();
    }

    /**
     * Runs the benchmarks (latency, then throughput, same fork layout) and prints the ratio table.
     *
     * @param args optional: a directory for the JMH JSON results ({@code latency.json}, {@code throughput.json})
     * @throws RunnerException when JMH fails
     * @throws java.io.IOException when the results directory cannot be made
     */
    public static void main(String[] args) throws RunnerException, java.io.IOException {
        String dir = args.length > 0 ? args[0] : ".";
        // JMH only touches its result files: a directory that does not exist yet would fail the run
        // at its start, after nothing was measured.
        java.nio.file.Files.createDirectories(java.nio.file.Path.of(dir));
        String include = SideBySideBenchmarks.class.getName() + "\\.";
        // The batched paths have no per-message latency to sample: a batch's time says how long the last waited.
        Collection<RunResult> latency = new Runner(new OptionsBuilder()
                .include(include + "(bareChicory|extismCall|caxtonRequestReply|caxtonMsgpackRequestReply"
                        + "|caxtonExtismRequestReply)$")
                .mode(Mode.SampleTime).timeUnit(TimeUnit.NANOSECONDS)
                .result(dir + "/latency.json").resultFormat(ResultFormatType.JSON).build()).run();
        Collection<RunResult> throughput = new Runner(new OptionsBuilder().include(include)
                .mode(Mode.Throughput).timeUnit(TimeUnit.SECONDS).addProfiler(ProcessCpuProfiler.class)
                .result(dir + "/throughput.json").resultFormat(ResultFormatType.JSON).build()).run();
        System.out.println(table(summaries(latency, throughput)));
    }

    /**
     * One path's figures.
     *
     * @param p50    median latency, ns (NaN when not measured)
     * @param p99    99th percentile, ns
     * @param perSec operations (messages) a second
     * @param cpuNs  the process's CPU time per operation, all threads, ns (NaN when not measured)
     */
    record Figures(double p50, double p99, double perSec, double cpuNs) {
    }

    private static Map<String, Figures> summaries(Collection<RunResult> latency, Collection<RunResult> throughput) {
        Map<String, double[]> lat = new LinkedHashMap<>();
        for (RunResult r : latency) {
            // Percentiles over all samples of all iterations, not per iteration.
            for (BenchmarkResult b : r.getBenchmarkResults()) {
                Result<?> primary = b.getPrimaryResult();
                lat.put(shortName(r), new double[] {primary.getStatistics().getPercentile(50),
                        primary.getStatistics().getPercentile(99)});
            }
        }
        Map<String, Figures> out = new LinkedHashMap<>();
        for (RunResult r : throughput) {
            double[] l = lat.getOrDefault(shortName(r), new double[] {Double.NaN, Double.NaN});
            Result<?> cpu = r.getSecondaryResults().get(ProcessCpuProfiler.LABEL);
            out.put(shortName(r), new Figures(l[0], l[1], r.getPrimaryResult().getScore(),
                    cpu == null ? Double.NaN : cpu.getScore()));
        }
        lat.forEach((k, l) -> out.putIfAbsent(k, new Figures(l[0], l[1], Double.NaN, Double.NaN)));
        return out;
    }

    private static String shortName(RunResult r) {
        String label = r.getParams().getBenchmark();
        return label.substring(label.lastIndexOf('.') + 1);
    }

    /**
     * The ratio table in Markdown: each path's p50, p99 and rate, and its p50 and rate against
     * Extism's {@code plugin.call} and the bare Chicory call.
     *
     * @param figures by benchmark method name
     * @return the table
     */
    static String table(Map<String, Figures> figures) {
        Figures extism = figures.get("extismCall");
        Figures bare = figures.get("bareChicory");
        StringBuilder b = new StringBuilder();
        b.append("| path | p50 | p99 | per second | CPU per op | p50 / Extism | p50 / bare | rate / Extism | rate / bare"
                + " | CPU / Extism |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|\n");
        List<String> order = List.of("bareChicory", "extismCall", "caxtonRequestReply", "caxtonMsgpackRequestReply",
                "caxtonExtismRequestReply", "caxtonRequestWindow", "caxtonMsgpackRequestWindow", "caxtonFireAndForget",
                "caxtonMsgpackFireAndForget");
        Map<String, Figures> sorted = new java.util.TreeMap<>(java.util.Comparator
                .comparingInt((String n) -> order.contains(n) ? order.indexOf(n) : order.size())
                .thenComparing(n -> n));
        sorted.putAll(figures);
        sorted.forEach((name, f) -> b.append("| ").append(name)
                .append(" | ").append(nanos(f.p50())).append(" | ").append(nanos(f.p99()))
                .append(" | ").append(rate(f.perSec())).append(" | ").append(nanos(f.cpuNs()))
                .append(" | ").append(ratio(f.p50(), extism == null ? Double.NaN : extism.p50()))
                .append(" | ").append(ratio(f.p50(), bare == null ? Double.NaN : bare.p50()))
                .append(" | ").append(ratio(f.perSec(), extism == null ? Double.NaN : extism.perSec()))
                .append(" | ").append(ratio(f.perSec(), bare == null ? Double.NaN : bare.perSec()))
                .append(" | ").append(ratio(f.cpuNs(), extism == null ? Double.NaN : extism.cpuNs()))
                .append(" |\n"));
        return b.toString();
    }

    private static String nanos(double ns) {
        if (Double.isNaN(ns)) {
            return "—";
        }
        return ns < 1_000 ? String.format("%.0f ns", ns) : String.format("%.2f µs", ns / 1_000);
    }

    private static String rate(double perSec) {
        if (Double.isNaN(perSec)) {
            return "—";
        }
        return perSec >= 1e6 ? String.format("%.2f M", perSec / 1e6) : String.format("%.0f k", perSec / 1e3);
    }

    private static String ratio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? "—" : String.format("%.2f×", a / b);
    }
}
