package dev.caxton.bench;

import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.api.DeploySpec;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What durability costs, side by side in one run: a node on a real SQLite file (synchronous=normal,
 * WAL) with the counter agent, persistence off, persistence on, and persistence with the agent
 * durable (a checkpoint with every message), on both engines. {@code roundTrip} is one request and
 * its reply at a time (p50/p99); {@code throughput} keeps 1000 requests in flight across four
 * counters, so group commit has writes to gather.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class DurabilityBenchmarks {

    /** {@code off}, {@code persistent} (outbox only) or {@code durable} (outbox and checkpoints). */
    @Param({"off", "persistent", "durable"})
    public String profile;

    @Param({"chicory", "wasmtime"})
    public String engine;

    private static final int IN_FLIGHT = 1000;
    private static final int POOL = 4;

    private CaxtonNode node;
    private Path dataDir;

    @Setup(Level.Trial)
    public void start() throws IOException {
        dataDir = Files.createTempDirectory("caxton-durability-bench");
        Properties props = new Properties();
        props.setProperty("caxton.storage.type", "sqlite");
        props.setProperty("caxton.runtime.engine", engine);
        props.setProperty("caxton.messaging.enable_persistence", Boolean.toString(!profile.equals("off")));
        PluginCatalog catalog = PluginCatalog.discover(null);
        CaxtonConfig config = CaxtonConfig.parse("benchmark", "", catalog, props);
        node = CaxtonNode.start(config, catalog, dataDir);
        byte[] counter;
        try (InputStream in = DurabilityBenchmarks.class.getResourceAsStream("/counter.wasm")) {
            counter = in.readAllBytes();
        }
        boolean durable = profile.equals("durable");
        node.deploy(new DeploySpec("counter", counter, List.of(), null, null, null, null, durable));
        for (int i = 0; i < POOL; i++) {
            node.deploy(new DeploySpec("pool-" + i, counter, List.of("pool"), null, null, null, null, durable));
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        node.close();
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** One request to the counter and its reply. */
    @Benchmark
    public Envelope roundTrip() throws Exception {
        return node.request(Envelope.builder(Performative.REQUEST).receiver("counter").content("n").build(),
                Duration.ofSeconds(10)).get();
    }

    /** 1000 requests in flight over four counters (by capability); reported per message. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(IN_FLIGHT)
    public void throughput() throws Exception {
        CompletableFuture<?>[] replies = new CompletableFuture<?>[IN_FLIGHT];
        for (int i = 0; i < IN_FLIGHT; i++) {
            replies[i] = node.request(Envelope.builder(Performative.REQUEST).capability("pool").content("n").build(),
                    Duration.ofSeconds(60));
        }
        CompletableFuture.allOf(replies).get();
    }
}
