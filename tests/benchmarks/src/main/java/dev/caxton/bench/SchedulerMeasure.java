package dev.caxton.bench;

import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.api.DeploySpec;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;

/**
 * The scheduler modes side by side in one sitting, on a node in this process with the real Chicory
 * engine (compiled) and the echo agent: deploy time and idle heap per agent for many agents, live
 * threads, queued round trip p50/p99 to one agent, and messages per second into one and four agents
 * with 2,000 requests in flight. A main class rather than JMH: deploying thousands of agents is a
 * one-off per mode, not an operation to repeat.
 *
 * <p>Arguments: {@code mode:agents} pairs, e.g. {@code pool:10000 thread:2000}, each optionally
 * followed by {@code :key=value,...} of other {@code runtime.scheduler.*} keys, e.g.
 * {@code pool:200:affinity=spread} or {@code pool:200:throughput=1}, to compare settings in one sitting.
 */
public final class SchedulerMeasure {

    private static final int IN_FLIGHT = 2000;
    private static final long ECHO_LINEAR_MEMORY = 64 * 1024;

    private SchedulerMeasure() {
    }

    /**
     * Runs the measurement.
     *
     * @param args {@code mode:agents} pairs
     * @throws Exception when the node fails
     */
    public static void main(String[] args) throws Exception {
        byte[] echo;
        try (InputStream in = SchedulerMeasure.class.getResourceAsStream("/echo.wasm")) {
            echo = in.readAllBytes();
        }
        System.out.println("load average at start: " + ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()
                + ", cores " + Runtime.getRuntime().availableProcessors());
        for (String a : args.length == 0 ? new String[] {"pool:10000", "thread:2000"} : args) {
            String[] p = a.split(":");
            measure(p[0], Integer.parseInt(p[1]), p.length > 2 ? p[2] : "", echo);
        }
    }

    private static void measure(String modeName, int agents, String extra, byte[] echo) throws Exception {
        String mode = extra.isEmpty() ? modeName : modeName + " " + extra;
        Path dataDir = Files.createTempDirectory("caxton-sched");
        Properties props = new Properties();
        props.setProperty("caxton.storage.type", "memory");
        props.setProperty("caxton.runtime.chicory.mode", "compiler");
        props.setProperty("caxton.runtime.max_agents", "1000000");
        props.setProperty("caxton.runtime.memory_budget", "1000GB");
        props.setProperty("caxton.agents.default_limits.memory", "1MB");
        props.setProperty("caxton.transport.port", "0");
        props.setProperty("caxton.runtime.scheduler.mode", modeName);
        for (String kv : extra.isEmpty() ? new String[0] : extra.split(",")) {
            String[] pair = kv.split("=", 2);
            props.setProperty("caxton.runtime.scheduler." + pair[0], pair[1]);
        }
        props.setProperty("caxton.messaging.priorities.normal.queue_size", "10000");
        PluginCatalog catalog = PluginCatalog.discover(null);
        CaxtonConfig config = CaxtonConfig.parse("scheduler-measure", "", catalog, props);
        int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
        long heapBefore = usedHeapAfterGc();
        try (CaxtonNode node = CaxtonNode.start(config, catalog, dataDir)) {
            node.deploy(new DeploySpec("echo", echo, List.of(), null, null, null, null));
            for (int i = 0; i < 4; i++) {
                node.deploy(new DeploySpec("four-" + i, echo, List.of("four"), null, null, null, null));
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < agents; i++) {
                node.deploy(new DeploySpec("idle-" + i, echo, List.of(), null, null, null, null));
            }
            long deployNanos = System.nanoTime() - t0;
            long heapAfter = usedHeapAfterGc();
            int threads = ManagementFactory.getThreadMXBean().getThreadCount();
            double perAgent = (heapAfter - heapBefore) / (double) agents;
            System.out.printf("[%s] %d agents deployed in %.2f s (%.1f us each); live threads %d (before the node %d); "
                            + "heap per idle agent %.1f KB of which linear memory %d KB, so %.1f KB beyond it%n",
                    mode, agents, deployNanos / 1e9, deployNanos / 1e3 / agents, threads, threadsBefore,
                    perAgent / 1024, ECHO_LINEAR_MEMORY / 1024, (perAgent - ECHO_LINEAR_MEMORY) / 1024);
            roundTrips(node, mode);
            throughput(node, mode, "echo", null, "1 agent");
            throughput(node, mode, null, "four", "4 agents");
            System.out.printf("[%s] load average now %.2f%n", mode,
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    private static void roundTrips(CaxtonNode node, String mode) throws Exception {
        int warm = 20_000;
        int n = 50_000;
        long[] samples = new long[n];
        for (int i = 0; i < warm + n; i++) {
            long s = System.nanoTime();
            // Queued (the caller does not claim inline delivery): the path the scheduler serves.
            node.request(Envelope.builder(Performative.REQUEST).receiver("echo").content(1L).build(),
                    Duration.ofSeconds(10), false).get();
            if (i >= warm) {
                samples[i - warm] = System.nanoTime() - s;
            }
        }
        Arrays.sort(samples);
        System.out.printf("[%s] queued round trip to one agent: p50 %.1f us, p99 %.1f us%n", mode,
                samples[n / 2] / 1e3, samples[n * 99 / 100] / 1e3);
    }

    private static void throughput(CaxtonNode node, String mode, String receiver, String capability, String label)
            throws Exception {
        // Two seconds of warm-up, then five measured.
        burst(node, receiver, capability, Duration.ofSeconds(2));
        long start = System.nanoTime();
        long count = burst(node, receiver, capability, Duration.ofSeconds(5));
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf("[%s] throughput into %s, %d in flight: %.0f messages/s%n", mode, label, IN_FLIGHT,
                count / secs);
    }

    private static long burst(CaxtonNode node, String receiver, String capability, Duration length) throws Exception {
        long end = System.nanoTime() + length.toNanos();
        long count = 0;
        while (System.nanoTime() < end) {
            CompletableFuture<?>[] replies = new CompletableFuture<?>[IN_FLIGHT];
            for (int i = 0; i < IN_FLIGHT; i++) {
                Envelope.Builder b = Envelope.builder(Performative.REQUEST).content((long) i);
                replies[i] = node.request((receiver != null ? b.receiver(receiver) : b.capability(capability)).build(),
                        Duration.ofSeconds(30));
            }
            CompletableFuture.allOf(replies).get();
            count += IN_FLIGHT;
        }
        return count;
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }
}
