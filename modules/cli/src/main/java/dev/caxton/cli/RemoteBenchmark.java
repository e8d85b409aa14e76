package dev.caxton.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.api.DeploySpec;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.spi.ConfigException;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * {@code caxton benchmark run --suite remote}: nodes A and B in this process on loopback, echo agents
 * on B, requests sent on A the way the API sends them (sender left out, reply awaited). A's transport
 * binds port 0; B's port is one the OS has just handed out for the transport's protocol, because each
 * node lists the other in {@code membership: fixed} and so one address must be known before both
 * start.
 */
final class RemoteBenchmark {

    /** How long the nodes may take to see each other's agents before the run gives up. */
    private static final long JOIN_SECONDS = 60;

    private final String transport;
    private final String serializer;
    /** {@code messaging.enable_compression}, or null to leave the configuration's default. */
    private final Boolean compression;
    private final String codec;
    private java.time.Duration replyTimeout = RequestPump.DEFAULT_REPLY_TIMEOUT;
    private String poolModule = "the built-in echo agent";
    /** Set when the configuration refused the compression key and "off" was asked for: said in the report. */
    private String compressionNote;

    RemoteBenchmark(String transport, String serializer, Boolean compression, String codec) {
        this.transport = transport;
        this.serializer = serializer;
        this.compression = compression;
        this.codec = codec;
    }

    /**
     * Sets how long each request waits for its reply ({@code --reply-timeout}).
     *
     * @param timeout the wait
     * @param module  what the pool's agents run, for the error when they answer nothing
     */
    void replyTimeout(java.time.Duration timeout, String module) {
        this.replyTimeout = timeout;
        this.poolModule = module;
    }

    /**
     * Runs the suite: the round trips to {@code echo} on B and on A, then the throughput run to a
     * pool of agents on B running {@code pool} (the echo agent, {@code --agent}, or a test's agent).
     */
    BenchmarkCommand.Outcome run(PluginCatalog catalog, Properties benchmarkProps, byte[] echo, byte[] pool, int roundTrips,
             int messages, int agents, int inFlight, PrintWriter out, boolean json, Progress bar) throws Exception {
        // CAXTON_OPTS (-Dcaxton.<key>=<value>) reach both nodes and win over the benchmark's own sizes,
        // so a transport or messaging setting can be measured without another build.
        Properties props = new Properties();
        props.putAll(benchmarkProps);
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("caxton."))
                .forEach(k -> props.setProperty(k, System.getProperty(k)));
        Path data = Files.createTempDirectory("caxton-benchmark-remote");
        CaxtonNode a = null;
        CaxtonNode b = null;
        try {
            int portB = freePort();
            a = CaxtonNode.start(config("A", 0, "B@127.0.0.1:" + portB, catalog, props), catalog, data.resolve("A"));
            b = CaxtonNode.start(config("B", portB, "A@127.0.0.1:" + a.transportAddress().getPort(), catalog, props),
                    catalog, data.resolve("B"));
            if (!json) {
                out.printf("caxton benchmark remote: %s between two nodes on loopback, serializer %s, compression %s,"
                                + " engine %s, codec %s, %d cores, %s %s, Java %s%n", transport, serializer, compressionText(),
                        a.config().string("runtime.engine"), codec, Runtime.getRuntime().availableProcessors(),
                        System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"));
                out.flush();
            }
            b.deploy(new DeploySpec("echo", echo, List.of(), null, codec, null, null));
            for (int i = 0; i < agents; i++) {
                b.deploy(new DeploySpec("pool-" + i, pool, List.of("pool"), null, codec, null, null));
            }
            a.deploy(new DeploySpec("echo-local", echo, List.of(), null, codec, null, null));
            awaitAgents(a, agents + 1);
            RequestPump.checkAnswers(a, agents, replyTimeout, poolModule);
            int warmRoundTrips = Math.min(1000, roundTrips);
            for (int i = 0; i < warmRoundTrips; i++) {
                BenchmarkCommand.Run.ask(a, "echo");
                BenchmarkCommand.Run.ask(a, "echo-local");
            }
            bar.phase("remote round trips", roundTrips);
            long[] remote = roundTrips(a, "echo", roundTrips, bar);
            bar.phase("local round trips", roundTrips);
            long[] local = roundTrips(a, "echo-local", roundTrips, bar);
            int warmup = BenchmarkCommand.Run.warmupFor(messages);
            bar.phase("warm-up", warmup);
            // B's dead letters are the run's too: a request can be lost there, or its reply on the way back.
            LostMessages warmupLost = RequestPump.run(a, warmup, inFlight, replyTimeout, bar, b);
            bar.phase("throughput", messages);
            long t0 = System.nanoTime();
            LostMessages lost = RequestPump.run(a, messages, inFlight, replyTimeout, bar, b);
            double seconds = (System.nanoTime() - t0) / 1e9;
            bar.done();
            return report(out, json, a.config().string("runtime.engine"), remote, local, messages, warmup, seconds, agents,
                    inFlight, lost, warmupLost);
        } finally {
            for (CaxtonNode n : new CaxtonNode[] {a, b}) {
                if (n != null) {
                    n.close();
                }
            }
            BenchmarkCommand.Run.deleteTree(data);
        }
    }

    private static long[] roundTrips(CaxtonNode node, String agent, int n, Progress bar) throws Exception {
        long[] nanos = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            BenchmarkCommand.Run.ask(node, agent);
            nanos[i] = System.nanoTime() - t0;
            bar.at(i + 1);
        }
        return nanos;
    }

    /** Polls until A's directory lists {@code count} agents on B; the membership needs a few heartbeats. */
    private static void awaitAgents(CaxtonNode a, int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(JOIN_SECONDS);
        while (a.clusterAgents().stream().filter(m -> "B".equals(m.get("node"))).count() < count) {
            if (System.nanoTime() > deadline) {
                throw new CliException("node A did not see node B's " + count + " agents within " + JOIN_SECONDS
                        + " s; members seen by A: " + a.members());
            }
            Thread.sleep(20);
        }
    }

    /**
     * The configuration of one node. A build whose configuration does not know
     * {@code messaging.enable_compression} refuses the key: with compression off that is what it
     * does anyway, so the run goes on without the key and says so; with compression on it stops.
     */
    private CaxtonConfig config(String name, int port, String peer, PluginCatalog catalog, Properties props) {
        try {
            return CaxtonConfig.parse("benchmark node " + name, yaml(name, port, peer, compression), catalog, props);
        } catch (ConfigException e) {
            if (compression == null || !e.getMessage().contains("enable_compression")) {
                throw e;
            }
            if (compression) {
                throw new CliException("--compression on: this build's configuration refuses messaging.enable_compression ("
                        + e.getMessage() + "); compression between nodes is not available in it");
            }
            compressionNote = "off (this build has no messaging.enable_compression)";
            return CaxtonConfig.parse("benchmark node " + name, yaml(name, port, peer, null), catalog, props);
        }
    }

    private String yaml(String name, int port, String peer, Boolean compress) {
        return """
                server:
                  node_name: %s
                storage:
                  type: memory
                messaging:
                  serializer: %s
                %stransport:
                  type: %s
                  host: 127.0.0.1
                  port: %d
                coordination:
                  cluster:
                    membership: fixed
                    directory_sync_interval: 1s
                    static:
                      nodes: ["%s"]
                """.formatted(name, serializer, compress == null ? "" : "  enable_compression: " + compress + "\n",
                transport, port, peer);
    }

    /** A port the OS has just handed out, for UDP when the transport is QUIC, else for TCP. */
    private int freePort() throws IOException {
        if (transport.equals("quic")) {
            try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            }
        }
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private String compressionText() {
        return compressionNote != null ? compressionNote : compression == null ? "default" : compression ? "on" : "off";
    }

    private BenchmarkCommand.Outcome report(PrintWriter out, boolean json, String engine, long[] remote, long[] local,
                                            int messages, int warmup, double seconds, int agents, int inFlight,
                                            LostMessages lost, LostMessages warmupLost) {
        long answered = messages - lost.count();
        double throughput = answered / seconds;
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("suite", "remote");
        o.put("pattern", "request-reply");
        o.put("transport", transport);
        o.put("serializer", serializer);
        o.put("compression", compressionText());
        o.put("engine", engine);
        o.put("codec", codec);
        o.put("nodes", 2);
        BenchmarkCommand.Run.machine(o);
        BenchmarkCommand.Run.stats(o.putObject("round_trip_us"), remote);
        BenchmarkCommand.Run.stats(o.putObject("local_round_trip_us"), local);
        BenchmarkCommand.Run.throughput(o, messages, warmup, agents, inFlight, seconds);
        BenchmarkCommand.Run.lost(o, answered, seconds, lost, warmupLost);
        BenchmarkCommand.Outcome outcome = new BenchmarkCommand.Outcome(o, BenchmarkReport.series(
                "Round trip A -> echo on B -> A", remote, "Round trip A -> echo on A (local)", local));
        if (json) {
            return outcome;
        }
        TextTable table = new TextTable("MEASURE", "N", "P50", "P99", "MAX");
        BenchmarkCommand.Run.row(table, "round trip A -> echo on B -> A", remote);
        BenchmarkCommand.Run.row(table, "round trip A -> echo on A (local)", local);
        table.print(out);
        out.printf(Locale.ROOT, "throughput A -> B: %,d requests in %.2f s = %,.0f replies/s (%d agents on B, %d in flight,"
                + " after %,d warm-up messages)%n", answered, seconds, throughput, agents, inFlight, warmup);
        BenchmarkCommand.Run.printLost(out, "requests got no reply", messages, warmup, lost, warmupLost);
        return outcome;
    }
}
