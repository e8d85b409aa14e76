package dev.caxton.bench;

import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.api.DeploySpec;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.testkit.Wat;
import dev.caxton.testkit.WatAgents;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The upstream tuning guide's agent figures, measured on a node in this process with the real
 * Chicory engine, JSON or MessagePack codec and memory storage: agent startup (deploy of an already compiled module
 * to its first reply) and message processing (send to reply) for the echo agent. Sample mode gives
 * the p50/p99 the docs quote.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class AgentBenchmarks {

    @Param({"interpreter", "compiler"})
    public String mode;

    /** {@code off}: tracing as configured by default (off); {@code all}: tracing on, every message sampled. */
    @Param({"off"})
    public String tracing;

    /** {@code runtime.instance_pool.size}: pre-made instances per module for deploys and restarts (0: off). */
    @Param({"0"})
    public int pool;
    /** The agents' codec: how envelopes cross the guest boundary ({@code json} is the node's default). */
    @Param({"json", "msgpack"})
    public String codec;

    private CaxtonNode node;
    private byte[] echo;
    private Path dataDir;
    private final AtomicInteger names = new AtomicInteger();
    private static final int IN_FLIGHT = 2000;
    /** Messages one sending thread sends per fire-and-forget invocation, round robin over the sinks. */
    static final int FIRE_BATCH = 1000;
    private final String[] sinks = new String[4];
    // Messages sent into the sinks by every sending thread so far.
    private final AtomicLong fired = new AtomicLong();

    @Setup(Level.Trial)
    public void start() {
        Map<String, String> extra = new java.util.HashMap<>();
        extra.put("caxton.runtime.instance_pool.size", String.valueOf(pool));
        // Room for every request in flight in one agent's mailbox (throughputOneAgent).
        extra.put("caxton.messaging.priorities.normal.queue_size", String.valueOf(2 * IN_FLIGHT));
        if (tracing.equals("all")) {
            extra.put("caxton.observability.tracing.enabled", "true");
            extra.put("caxton.observability.tracing.sample_rate", "1.0");
        }
        BenchNode.Started started = BenchNode.start(mode, extra);
        node = started.node();
        dataDir = started.dataDir();
        echo = BenchNode.resource("/echo.wasm");
        node.deploy(new DeploySpec("echo", echo, List.of(), null, codec, null, null));
        for (int i = 0; i < 4; i++) {
            node.deploy(new DeploySpec("pool-" + i, echo, List.of("pool"), null, codec, null, null));
        }
        byte[] silent = Wat.compile(WatAgents.SILENT);
        for (int i = 0; i < sinks.length; i++) {
            sinks[i] = "sink-" + i;
            node.deploy(new DeploySpec(sinks[i], silent, List.of(), null, codec, null, null));
        }
    }

    @TearDown(Level.Trial)
    public void stop() {
        BenchNode.reportPaths("agent-benchmarks", node);
        node.close();
    }

    /**
     * Send to the echo agent and wait for its reply, as the API's {@code wait_ms} does: the caller
     * joins at once, so the idle agent runs the message on the caller's thread.
     */
    @Benchmark
    public Envelope messageRoundTrip() throws Exception {
        return node.request(Envelope.builder(Performative.REQUEST).receiver("echo")
                .content(Map.of("n", 1)).build(), Duration.ofSeconds(5), true).get();
    }

    /**
     * The same round trip handed to the agent's own thread (a caller that does not say it waits):
     * two thread hand-offs, as every request took before synchronous requests ran inline.
     */
    @Benchmark
    public Envelope messageRoundTripQueued() throws Exception {
        return node.request(Envelope.builder(Performative.REQUEST).receiver("echo")
                .content(Map.of("n", 1)).build(), Duration.ofSeconds(5), false).get();
    }

    /**
     * Throughput: 2000 requests in flight across four echo agents (by capability), all replies
     * awaited. Reported per message.
     */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @org.openjdk.jmh.annotations.OperationsPerInvocation(IN_FLIGHT)
    public void throughput() throws Exception {
        java.util.concurrent.CompletableFuture<?>[] replies = new java.util.concurrent.CompletableFuture<?>[IN_FLIGHT];
        for (int i = 0; i < IN_FLIGHT; i++) {
            replies[i] = node.request(Envelope.builder(Performative.REQUEST).capability("pool").content((long) i).build(),
                    Duration.ofSeconds(30));
        }
        java.util.concurrent.CompletableFuture.allOf(replies).get();
    }

    /**
     * Throughput into one agent: 2000 requests in flight to the echo agent, all replies awaited.
     * Reported per message; the per-message work at the guest boundary shows here undiluted.
     */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @org.openjdk.jmh.annotations.OperationsPerInvocation(IN_FLIGHT)
    public void throughputOneAgent() throws Exception {
        java.util.concurrent.CompletableFuture<?>[] replies = new java.util.concurrent.CompletableFuture<?>[IN_FLIGHT];
        for (int i = 0; i < IN_FLIGHT; i++) {
            replies[i] = node.request(Envelope.builder(Performative.REQUEST).receiver("echo").content((long) i).build(),
                    Duration.ofSeconds(30));
        }
        java.util.concurrent.CompletableFuture.allOf(replies).get();
    }

    /**
     * Issue 16's fire-and-forget goal: informs sent round robin into four agents that never answer,
     * from one sending thread; then a wait until the sinks have handled everything sent so far, so
     * the figure is messages handled, not merely queued. Reported per message handled; read it with
     * {@code -prof dev.caxton.bench.ProcessCpuProfiler} for the process's CPU per message.
     */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @org.openjdk.jmh.annotations.OperationsPerInvocation(FIRE_BATCH)
    public long fireAndForget() throws TimeoutException {
        return fireIntoSinks();
    }

    /** {@link #fireAndForget()} from two sending threads at once (per message handled, both threads' together). */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @org.openjdk.jmh.annotations.OperationsPerInvocation(FIRE_BATCH)
    @Threads(2)
    public long fireAndForgetTwoSenders() throws TimeoutException {
        return fireIntoSinks();
    }

    private long fireIntoSinks() throws TimeoutException {
        for (int i = 0; i < FIRE_BATCH; i++) {
            node.send(Envelope.builder(Performative.INFORM).receiver(sinks[i % sinks.length]).content(SideBySide.PAYLOAD).build());
        }
        long target = fired.addAndGet(FIRE_BATCH);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long handled;
        while ((handled = sinksHandled()) < target) {
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("the sinks handled " + handled + " of " + target + " messages in 30 s");
            }
            // Short sleeps: spinning would take a core from the agents' workers on a 2-core machine.
            LockSupport.parkNanos(20_000);
        }
        return handled;
    }

    private long sinksHandled() {
        long n = 0;
        for (String sink : sinks) {
            n += node.agent(sink).orElseThrow().messagesHandled();
        }
        return n;
    }

    /** Deploy a cached module under a new name and get its first reply, then undeploy it. */
    @Benchmark
    public Envelope agentStartup() throws Exception {
        String name = "e" + names.incrementAndGet();
        node.deploy(new DeploySpec(name, echo, List.of(), null, null, null, null));
        Envelope reply = node.request(Envelope.builder(Performative.REQUEST).receiver(name).build(),
                Duration.ofSeconds(5)).get();
        node.undeploy(name);
        return reply;
    }
}
