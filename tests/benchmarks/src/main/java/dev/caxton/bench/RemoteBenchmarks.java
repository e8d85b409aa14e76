package dev.caxton.bench;

import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.api.DeploySpec;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.spi.ConfigException;
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
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Request-reply between two nodes in this JVM on loopback, as an API client on node A sees it:
 * {@code node.request(...)} on A (sender left out, as the API leaves it) to echo agents on node B,
 * the reply awaited. Each node listens on its own transport port; A binds port 0, B a port the OS
 * just gave out (each node lists the other in {@code membership: fixed}, so one of the two must be
 * known before both start). The {@code local} path is the same request to echo agents on A itself:
 * the floor the remote figures stand on.
 *
 * <p>{@code roundTrip} gives p50/p99 (SampleTime) with one request outstanding; {@code throughput}
 * keeps {@link #IN_FLIGHT} requests outstanding over a pool of four echo agents and counts replies.
 *
 * <pre>
 * java -jar tests/benchmarks/target/benchmarks.jar RemoteBenchmarks -p compression=false
 * java -jar tests/benchmarks/target/benchmarks.jar RemoteBenchmarks -p path=tcp -p serializer=msgpack
 * </pre>
 *
 * <p>{@code compression} sets {@code messaging.enable_compression}; a build whose configuration does
 * not know that key fails the {@code true} trials at setup, saying so.
 */
@State(Scope.Benchmark)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class RemoteBenchmarks {

    /** Requests outstanding at once in {@code throughput}. */
    static final int IN_FLIGHT = 1000;

    /** Echo agents sharing the load of {@code throughput}, by capability. */
    static final int POOL = 4;

    /** {@code tcp} or {@code quic} between A and B, or {@code local}: A alone. */
    @Param({"tcp", "quic", "local"})
    public String path;

    /** {@code messaging.serializer}: how envelopes travel between the nodes. */
    @Param({"msgpack", "json"})
    public String serializer;

    /** {@code messaging.enable_compression}. */
    @Param({"false", "true"})
    public String compression;

    private CaxtonNode a;
    private CaxtonNode b;
    private Path dir;

    @Setup(Level.Trial)
    public void start() throws Exception {
        dir = Files.createTempDirectory("caxton-remote-bench");
        PluginCatalog catalog = PluginCatalog.discover(null);
        byte[] echo;
        try (InputStream in = RemoteBenchmarks.class.getResourceAsStream("/echo.wasm")) {
            echo = in.readAllBytes();
        }
        try {
            if (path.equals("local")) {
                a = CaxtonNode.start(config(catalog, "A", 0, List.of()), catalog, dir.resolve("A"));
                deployPool(a, echo);
                return;
            }
            int portB = freePort(path);
            a = CaxtonNode.start(config(catalog, "A", 0, List.of("B@127.0.0.1:" + portB)), catalog, dir.resolve("A"));
            b = CaxtonNode.start(config(catalog, "B", portB, List.of("A@127.0.0.1:" + a.transportAddress().getPort())),
                    catalog, dir.resolve("B"));
            deployPool(b, echo);
            awaitPoolOnB();
        } catch (Exception | Error e) {
            stop();
            throw e;
        }
    }

    private static void deployPool(CaxtonNode node, byte[] echo) {
        node.deploy(new DeploySpec("echo", echo, List.of(), null, null, null, null));
        for (int i = 0; i < POOL; i++) {
            node.deploy(new DeploySpec("pool-" + i, echo, List.of("pool"), null, null, null, null));
        }
    }

    /** Waits (generously) until A routes to B's agents and a reply has come back from B. */
    private void awaitPoolOnB() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (a.clusterAgents().stream().filter(m -> "B".equals(m.get("node"))).count() < POOL + 1) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("node A never listed B's agents: " + a.clusterAgents() + ", members " + a.members());
            }
            Thread.sleep(20);
        }
        Envelope reply = roundTrip();
        if (reply.performative() == Performative.FAILURE) {
            throw new IllegalStateException("the first request to B's echo agent failed: " + reply.content());
        }
    }

    private CaxtonConfig config(PluginCatalog catalog, String name, int port, List<String> peers) {
        try {
            return config(catalog, name, port, peers, true);
        } catch (ConfigException e) {
            if (!e.getMessage().contains("enable_compression")) {
                throw e;
            }
            if (Boolean.parseBoolean(compression)) {
                throw new IllegalStateException("this build's configuration does not know messaging.enable_compression"
                        + " (compression between nodes is not in it): run with -p compression=false", e);
            }
            // Off is what a build without compression does anyway.
            return config(catalog, name, port, peers, false);
        }
    }

    private CaxtonConfig config(PluginCatalog catalog, String name, int port, List<String> peers, boolean compressionKey) {
        String yaml = """
                server:
                  node_name: %s
                storage:
                  type: memory
                runtime:
                  max_agents: 1000
                messaging:
                  serializer: %s
                  %s
                  queue_size: 100000
                  priorities:
                    normal:
                      queue_size: 100000
                transport:
                  type: %s
                  host: 127.0.0.1
                  port: %d
                coordination:
                  cluster:
                    membership: fixed
                    directory_sync_interval: 1s
                    static:
                      nodes: [%s]
                """.formatted(name, serializer, compressionKey ? "enable_compression: " + compression : "", path.equals("quic") ? "quic" : "tcp", port,
                String.join(", ", peers.stream().map(p -> "\"" + p + "\"").toList()));
        return CaxtonConfig.parse("benchmark-" + name, yaml, catalog, new Properties());
    }

    /** A port the OS has just handed out for the transport's protocol (UDP for QUIC), released again. */
    static int freePort(String transport) throws IOException {
        if (transport.equals("quic")) {
            try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            }
        }
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        for (CaxtonNode n : new CaxtonNode[] {a, b}) {
            if (n != null) {
                n.close();
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    /** One request to the echo agent (on B, or on A for {@code local}), its reply awaited. */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    public Envelope roundTrip() throws Exception {
        return a.request(Envelope.builder(Performative.REQUEST).receiver("echo").content(Map.of("n", 1L)).build(),
                Duration.ofSeconds(30)).get();
    }

    /** {@link #IN_FLIGHT} requests by capability over the pool, every reply awaited; per message. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(IN_FLIGHT)
    public void throughput() throws Exception {
        CompletableFuture<?>[] replies = new CompletableFuture<?>[IN_FLIGHT];
        for (int i = 0; i < IN_FLIGHT; i++) {
            replies[i] = a.request(Envelope.builder(Performative.REQUEST).capability("pool").content((long) i).build(),
                    Duration.ofSeconds(30));
        }
        CompletableFuture.allOf(replies).get();
        for (CompletableFuture<?> r : replies) {
            // a timeout comes back as a failure envelope: counting it as a reply would flatter the figure
            if (((Envelope) r.get()).performative() == Performative.FAILURE) {
                throw new IllegalStateException("a request failed: " + ((Envelope) r.get()).content());
            }
        }
    }
}
