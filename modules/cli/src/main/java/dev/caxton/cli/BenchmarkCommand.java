package dev.caxton.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.api.DeploySpec;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** {@code caxton benchmark}: measures this installation on this machine. */
@Command(name = "benchmark",
        description = "Measures agent startup, message round trips and throughput on this machine.")
final class BenchmarkCommand {

    /** The built-in workloads. */
    enum Suite {
        /** Quick: a few seconds. */
        standard(200, 20_000, 200_000, 4, 2_000),
        /** Long and heavy: a million messages through eight agents. */
        stress(500, 50_000, 1_000_000, 8, 4_000),
        /** Sizes from the options. */
        custom(200, 20_000, 200_000, 4, 2_000),
        /** Two nodes in this process: requests from the first to echo agents on the second. */
        remote(0, 5_000, 50_000, 4, 1_000);

        final int startups;
        final int roundTrips;
        final int messages;
        final int agents;
        final int inFlight;

        Suite(int startups, int roundTrips, int messages, int agents, int inFlight) {
            this.startups = startups;
            this.roundTrips = roundTrips;
            this.messages = messages;
            this.agents = agents;
            this.inFlight = inFlight;
        }
    }

    /** How the throughput run sends. */
    enum Pattern {
        /** Requests to echo agents, each waiting for its reply, a window of them in flight. */
        request_reply,
        /** Messages to sink agents that answer nothing; done when every one is handled. */
        fire_and_forget;

        static Pattern parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT).replace('_', '-')) {
                case "request-reply" -> request_reply;
                case "fire-and-forget" -> fire_and_forget;
                default -> throw CliException.usage("--pattern: request-reply or fire-and-forget, got '" + s + "'");
            };
        }

        @Override
        public String toString() {
            return name().replace('_', '-');
        }
    }

    /**
     * What a run measured: its JSON report and its latency samples in the order taken.
     *
     * @param json   the report
     * @param series named samples, nanoseconds, for the HTML plots
     */
    record Outcome(ObjectNode json, java.util.Map<String, long[]> series) {
    }

    /**
     * {@code caxton benchmark run}: starts a node in this process (memory storage, a temporary data
     * directory) on the installation's plugins, runs the echo agent through the workload and prints
     * p50/p99 latencies and throughput with the machine they were measured on.
     */
    @Command(name = "run", sortOptions = false,
            description = "Runs a benchmark suite on a node in this process (memory storage, temporary data directory).")
    static final class Run implements Callable<Integer> {

        @Spec
        private CommandSpec spec;

        @Mixin
        private OutputOptions output;

        @Option(names = "--suite", paramLabel = "standard|custom|stress|remote", defaultValue = "standard",
                description = "The workload: standard (seconds), stress (a million messages), custom (the sizes below),"
                        + " remote (two nodes in this process, request-reply between them).")
        private Suite suite;

        @Option(names = "--transport", paramLabel = "NAME", description = "remote: the transport between the nodes (default tcp).")
        private String transport;

        @Option(names = "--serializer", paramLabel = "NAME",
                description = "remote: messaging.serializer, how envelopes travel between the nodes (default msgpack).")
        private String serializer;

        @Option(names = "--compression", paramLabel = "on|off",
                description = "remote: messaging.enable_compression on both nodes (default: the configuration's default).")
        private String compression;

        @Option(names = "--engine", paramLabel = "NAME", description = "The engine provider (default: chicory).")
        private String engine;

        @Option(names = "--mode", paramLabel = "MODE", description = "The Chicory mode: interpreter or compiler (default: the engine's).")
        private String mode;

        @Option(names = "--codec", paramLabel = "NAME", defaultValue = "json", description = "The agents' codec (default json).")
        private String codec;

        @Option(names = "--fuel", paramLabel = "N", defaultValue = "0",
                description = "Fuel limit (instructions per message) for the benchmark's agents, to measure metering; 0 (default) is unmetered.")
        private long fuel;

        @Option(names = "--startups", paramLabel = "N", description = "custom: agents deployed one by one for startup times.")
        private Integer startups;

        @Option(names = "--round-trips", paramLabel = "N", description = "custom: sequential request/reply pairs.")
        private Integer roundTrips;

        @Option(names = "--messages", paramLabel = "N", description = "custom: messages for the throughput run.")
        private Integer messages;

        @Option(names = "--agents", paramLabel = "N", description = "custom: echo agents sharing the throughput load.")
        private Integer agents;

        @Option(names = "--in-flight", paramLabel = "N", description = "custom: requests outstanding at once in the throughput run.")
        private Integer inFlight;

        @Option(names = "--pattern", paramLabel = "request-reply|fire-and-forget", defaultValue = "request-reply",
                description = "The throughput run: requests to echo agents that reply (default), or messages to sink agents"
                        + " that answer nothing (the cost of delivery and handling alone).")
        private String pattern;

        @Option(names = "--agent", paramLabel = "FILE",
                description = "custom or remote: the module (.wasm) the throughput run's agents run instead of the built-in"
                        + " echo agent (sink agent with fire-and-forget), to measure an agent of your own.")
        private Path agentFile;

        @Option(names = "--reply-timeout", paramLabel = "DURATION", converter = Quantity.Time.class, defaultValue = "5s",
                description = "request-reply: how long each request waits for its reply before it counts as lost"
                        + " (no_reply), and how long each agent has to answer the check before the run (default 5s).")
        private Duration replyTimeout;

        @Option(names = "--report", paramLabel = "DIR",
                description = "Also write DIR/report.json and DIR/index.html (latency over time, histograms, the comparison"
                        + " with --baseline).")
        private Path reportDir;

        @Option(names = "--baseline", paramLabel = "FILE",
                description = "Compare this run with a JSON report of an earlier one; exit 1 when throughput or a latency"
                        + " is worse by more than --threshold.")
        private Path baseline;

        @Option(names = "--threshold", paramLabel = "PERCENT", defaultValue = "10",
                description = "The worsening --baseline tolerates, in percent (default 10).")
        private double threshold;

        @Option(names = "--progress", negatable = true, paramLabel = "",
                description = "A progress bar on standard error (default: when it is a terminal and the output is text).")
        private Boolean progress;

        @Override
        public Integer call() throws Exception {
            if (suite == Suite.remote && startups != null) {
                throw CliException.usage("--startups goes with --suite custom: the remote suite deploys no agent under measure");
            }
            int nStartups = pick(startups, suite.startups, "--startups");
            int nRoundTrips = pick(roundTrips, suite.roundTrips, "--round-trips");
            int nMessages = pick(messages, suite.messages, "--messages");
            int nAgents = pick(agents, suite.agents, "--agents");
            int nInFlight = pick(inFlight, suite.inFlight, "--in-flight");
            if (fuel < 0) {
                throw CliException.usage("--fuel: must be 0 or more, got " + fuel);
            }
            if (replyTimeout.isZero()) {
                throw CliException.usage("--reply-timeout: must be more than zero, got " + replyTimeout.toMillis() + "ms");
            }
            if (agentFile != null && suite != Suite.custom && suite != Suite.remote) {
                throw CliException.usage("--agent goes with --suite custom or --suite remote: the other suites measure the"
                        + " built-in agents");
            }
            if (suite != Suite.remote) {
                for (String[] o : new String[][] {{"--transport", transport}, {"--serializer", serializer},
                    {"--compression", compression}}) {
                    if (o[1] != null) {
                        throw CliException.usage(o[0] + " goes with --suite remote");
                    }
                }
            }
            PluginCatalog catalog = LocalSetup.catalog(CaxtonCommand.context(spec));
            Properties props = new Properties();
            props.setProperty("caxton.storage.type", "memory");
            props.setProperty("caxton.runtime.max_agents", "1000000");
            props.setProperty("caxton.messaging.queue_size", Integer.toString(Math.max(10_000, nInFlight * 2)));
            props.setProperty("caxton.messaging.priorities.normal.queue_size", Integer.toString(Math.max(1000, nInFlight)));
            props.setProperty("caxton.agents.default_limits.fuel", Long.toString(fuel));
            // The benchmark's node talks to no other node: an ephemeral port keeps it from colliding
            // with a node already running on this machine on the default transport port.
            props.setProperty("caxton.transport.port", "0");
            if (engine != null) {
                props.setProperty("caxton.runtime.engine", engine);
            }
            if (mode != null) {
                props.setProperty("caxton.runtime.chicory.mode", mode);
            }
            byte[] echo;
            try (InputStream in = BenchmarkCommand.class.getResourceAsStream("echo.wasm")) {
                if (in == null) {
                    throw new CliException("the benchmark agent (echo.wasm) is missing from this build");
                }
                echo = in.readAllBytes();
            }
            Pattern flow = Pattern.parse(pattern);
            if (suite == Suite.remote && flow != Pattern.request_reply) {
                throw CliException.usage("--pattern fire-and-forget goes with the local suites; --suite remote measures"
                        + " request-reply between two nodes");
            }
            if (threshold <= 0 || threshold >= 1000) {
                throw CliException.usage("--threshold: a percentage above 0 and below 1000, got " + threshold);
            }
            // Read the baseline first: a wrong path should fail before minutes of measuring.
            com.fasterxml.jackson.databind.JsonNode base = baseline == null ? null : BenchmarkReport.read(baseline, "--baseline");
            Progress bar = new Progress(spec.commandLine().getErr(),
                    progress != null ? progress : System.console() != null && !output.json());
            byte[] own = agentFile == null ? null : agentModule(agentFile);
            if (suite == Suite.remote) {
                RemoteBenchmark remote = new RemoteBenchmark(transport == null ? "tcp" : transport,
                        serializer == null ? "msgpack" : serializer, compression(), codec);
                remote.replyTimeout(replyTimeout, poolModuleName(Pattern.request_reply));
                dev.caxton.server.CaxtonServer.configureLogging("warn");
                return finish(remote.run(catalog, props, echo, own == null ? echo : own, nRoundTrips, nMessages, nAgents,
                        nInFlight, spec.commandLine().getOut(), output.json(), bar), base);
            }
            // As in the remote suite, CAXTON_OPTS (-Dcaxton.<key>=<value>) win over the benchmark's own settings.
            System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("caxton.") && !k.equals("caxton.home"))
                    .forEach(k -> props.setProperty(k, System.getProperty(k)));
            CaxtonConfig config = CaxtonConfig.parse("benchmark", "", catalog, props);
            // Agents' greetings and the node's own news would drown the report.
            dev.caxton.server.CaxtonServer.configureLogging("warn");
            Path data = Files.createTempDirectory("caxton-benchmark");
            PrintWriter out = spec.commandLine().getOut();
            Outcome outcome;
            try (CaxtonNode node = CaxtonNode.start(config, catalog, data)) {
                if (!output.json()) {
                    out.printf("caxton benchmark %s (%s%s): engine %s, codec %s, %s, %d cores, %s %s, Java %s%n", suite, flow,
                            agentFile == null ? "" : ", agent " + agentFile.getFileName(),
                            config.string("runtime.engine"), codec, fuel == 0 ? "unmetered" : "fuel " + fuel,
                            Runtime.getRuntime().availableProcessors(),
                            System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"));
                    out.flush();
                }
                node.deploy(new DeploySpec("echo", echo, List.of(), null, codec, null, null));
                byte[] poolModule = own != null ? own : flow == Pattern.request_reply ? echo : resource("sink.wasm");
                for (int i = 0; i < nAgents; i++) {
                    node.deploy(new DeploySpec("pool-" + i, poolModule, List.of("pool"), null, codec, null, null));
                }
                if (flow == Pattern.request_reply) {
                    // Before minutes of measuring: an agent that never answers fails the run now.
                    RequestPump.checkAnswers(node, nAgents, replyTimeout, poolModuleName(flow));
                }
                for (int i = 0; i < 1000; i++) {
                    ask(node, "echo");
                }
                long[] startup = new long[nStartups];
                for (int i = 0; i < nStartups; i++) {
                    long t0 = System.nanoTime();
                    node.deploy(new DeploySpec("s" + i, echo, List.of(), null, codec, null, null));
                    ask(node, "s" + i);
                    startup[i] = System.nanoTime() - t0;
                    node.undeploy("s" + i);
                }
                long[] rtt = new long[nRoundTrips];
                bar.phase("round trips", nRoundTrips);
                for (int i = 0; i < nRoundTrips; i++) {
                    long t0 = System.nanoTime();
                    ask(node, "echo");
                    rtt[i] = System.nanoTime() - t0;
                    bar.at(i + 1);
                }
                // Warm-up on the same workload, not counted: the JIT compiles the pool's path during
                // the first few hundred thousand messages, and a figure that includes that is not the
                // node's throughput but its warm-up.
                int warmup = warmupFor(nMessages);
                bar.phase("warm-up", warmup);
                LostMessages warmupLost;
                if (flow == Pattern.request_reply) {
                    warmupLost = RequestPump.run(node, warmup, nInFlight, replyTimeout, bar);
                } else {
                    warmupLost = flood(node, warmup, nAgents, poolHandled(node, nAgents), bar);
                }
                bar.phase("throughput", nMessages);
                // Counted afresh: a warm-up message lost was never handled.
                long handledBefore = flow == Pattern.request_reply ? 0 : poolHandled(node, nAgents);
                long t0 = System.nanoTime();
                LostMessages lost;
                if (flow == Pattern.request_reply) {
                    lost = RequestPump.run(node, nMessages, nInFlight, replyTimeout, bar);
                } else {
                    lost = flood(node, nMessages, nAgents, handledBefore, bar);
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                bar.done();
                outcome = report(out, flow, startup, rtt, nMessages, warmup, seconds, nAgents, nInFlight,
                        config.string("runtime.engine"), lost, warmupLost);
            } finally {
                deleteTree(data);
            }
            return finish(outcome, base);
        }

        /** JSON output, the HTML report and the comparison with the baseline, for every suite. */
        private int finish(Outcome outcome, com.fasterxml.jackson.databind.JsonNode base) {
            PrintWriter out = spec.commandLine().getOut();
            if (agentFile != null) {
                outcome.json().put("agent", String.valueOf(agentFile.getFileName()));
            }
            if (!Pattern.fire_and_forget.toString().equals(outcome.json().path("pattern").asText())) {
                ((ObjectNode) outcome.json().get("throughput")).put("reply_timeout_ms", replyTimeout.toMillis());
            }
            BenchmarkReport.Comparison comparison = base == null ? null
                    : BenchmarkReport.compare(base, outcome.json(), threshold / 100.0);
            if (comparison != null) {
                outcome.json().set("comparison", BenchmarkReport.json(comparison));
            }
            if (reportDir != null) {
                BenchmarkReport.write(reportDir, outcome.json(), outcome.series(), comparison);
            }
            if (output.json()) {
                Json.print(out, outcome.json());
            } else {
                if (comparison != null) {
                    out.println();
                    out.println("against " + baseline + ":");
                    BenchmarkReport.print(out, comparison);
                }
                if (reportDir != null) {
                    out.println("report: " + reportDir.resolve("index.html"));
                }
            }
            boolean regressed = comparison != null && !comparison.regressions().isEmpty();
            // A release check must notice a lost message even when the figures look fine.
            boolean lost = outcome.json().at("/throughput/lost").asLong(0) > 0
                    || outcome.json().at("/throughput/warmup_lost").asLong(0) > 0;
            return regressed || lost ? CliException.FAILURE : 0;
        }

        /** @return what the throughput run's agents run, as the report and the errors name it */
        private String poolModuleName(Pattern flow) {
            return agentFile != null ? String.valueOf(agentFile.getFileName())
                    : flow == Pattern.request_reply ? "the built-in echo agent" : "the built-in sink agent";
        }

        /** Reads {@code --agent}: a compiled module, with the errors a deploy from a file gives. */
        private static byte[] agentModule(Path file) {
            ModuleFile m = ModuleFile.read(file);
            if (!m.field().equals("wasm_module")) {
                throw CliException.usage("--agent " + file + ": the benchmark deploys compiled modules; compile the text"
                        + " format to .wasm first");
            }
            return java.util.Base64.getDecoder().decode(m.value());
        }

        private static byte[] resource(String name) throws IOException {
            try (InputStream in = BenchmarkCommand.class.getResourceAsStream(name)) {
                if (in == null) {
                    throw new CliException("the benchmark agent (" + name + ") is missing from this build");
                }
                return in.readAllBytes();
            }
        }

        /** @return messages the pool's agents handled (returned from handle_message) since they were deployed */
        static long poolHandled(CaxtonNode node, int agents) {
            long n = 0;
            for (int i = 0; i < agents; i++) {
                n += node.agent("pool-" + i).map(dev.caxton.runtime.api.AgentInfo::messagesHandled).orElse(0L);
            }
            return n;
        }

        /**
         * Sends messages to the sink pool as fast as the node takes them (backing off while its
         * queues are full) and returns when the pool has handled or lost them all: a message
         * dead-lettered (an agent fault, a full queue, a TTL) or refused will never be handled, and
         * waiting for it would only end in the stall timeout. That timeout is for a real stall:
         * 120 s in which no message was handled or lost.
         *
         * @return the messages of this call that were lost, with their reasons
         */
        static LostMessages flood(CaxtonNode node, int messages, int agents, long handledBefore, Progress bar) throws Exception {
            LostMessages.Tally lost = new LostMessages.Tally(node);
            for (int i = 0; i < messages; i++) {
                Envelope e = Envelope.builder(Performative.INFORM).capability("pool").content((long) i).build();
                try {
                    offer(() -> {
                        node.send(e);
                        return null;
                    });
                } catch (dev.caxton.runtime.api.RoutingException refused) {
                    lost.refused(refused);
                }
                if ((i & 1023) == 0) {
                    bar.at(i);
                }
            }
            long done = -1;
            long deadline = 0;
            while (true) {
                long handled = poolHandled(node, agents) - handledBefore;
                long now = handled + lost.count();
                if (now >= messages) {
                    break;
                }
                if (now != done) {
                    done = now;
                    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                } else if (System.nanoTime() > deadline) {
                    throw new CliException("the benchmark stalled: " + handled + " of " + messages + " messages handled"
                            + (lost.count() == 0 ? "" : ", " + lost.count() + " lost") + ", none for 120 s");
                }
                bar.at(handled);
                java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            }
            bar.at(messages);
            return lost.settle();
        }

        /** Deletes a temporary data directory and everything in it. */
        static void deleteTree(Path data) {
            try (Stream<Path> files = Files.walk(data)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a temporary directory left behind is not worth failing the benchmark for
            }
        }

        private Boolean compression() {
            if (compression == null) {
                return null;
            }
            return switch (compression.toLowerCase(Locale.ROOT)) {
                case "on", "true" -> Boolean.TRUE;
                case "off", "false" -> Boolean.FALSE;
                default -> throw CliException.usage("--compression: on or off, got '" + compression + "'");
            };
        }

        private int pick(Integer given, int suiteDefault, String option) {
            if (given == null) {
                return suiteDefault;
            }
            if (suite != Suite.custom && suite != Suite.remote) {
                throw CliException.usage(option + " goes with --suite custom or --suite remote");
            }
            if (given < 1) {
                throw CliException.usage(option + ": must be 1 or more, got " + given);
            }
            return given;
        }

        /** Messages sent, unmeasured, before the throughput run: half of it, at most 200,000. */
        static int warmupFor(int messages) {
            return Math.min(messages / 2, 200_000);
        }

        /**
         * Sends one message, backing off while the node's queues are full; a send refused for
         * another reason is the caller's to count.
         *
         * @param send the send
         * @return what it returned
         * @throws dev.caxton.runtime.api.RoutingException when refused for another reason than a full queue
         * @throws CliException when the queue stayed full for 120 s: the run has stalled
         */
        static <T> T offer(java.util.function.Supplier<T> send) {
            long backoffUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (true) {
                try {
                    return send.get();
                } catch (dev.caxton.runtime.api.RoutingException refused) {
                    if (refused.status() != dev.caxton.runtime.api.SendStatus.QUEUE_FULL) {
                        throw refused;
                    }
                    if (System.nanoTime() > backoffUntil) {
                        throw new CliException("the benchmark stalled: the node refused messages for 120 s: "
                                + refused.getMessage());
                    }
                    Thread.onSpinWait();
                    java.util.concurrent.locks.LockSupport.parkNanos(50_000);
                }
            }
        }

        static void ask(CaxtonNode node, String agent) throws Exception {
            Envelope r = node.request(Envelope.builder(Performative.REQUEST).receiver(agent).content("ping").build(),
                    Duration.ofSeconds(30), true).get(60, TimeUnit.SECONDS);
            if (r.performative() == Performative.FAILURE) {
                throw new CliException("the benchmark agent failed: " + r.content());
            }
        }

        private Outcome report(PrintWriter out, Pattern flow, long[] startup, long[] rtt, int messages, int warmup, double seconds,
                               int agents, int inFlight, String engineName, LostMessages lost, LostMessages warmupLost) {
            ObjectNode o = Json.mapper().createObjectNode();
            o.put("suite", suite.name());
            o.put("pattern", flow.toString());
            o.put("engine", engineName);
            o.put("codec", codec);
            o.put("fuel", fuel);
            machine(o);
            stats(o.putObject("agent_startup_us"), startup);
            stats(o.putObject("round_trip_us"), rtt);
            throughput(o, messages, warmup, agents, inFlight, seconds);
            long handled = messages - lost.count();
            lost(o, handled, seconds, lost, warmupLost);
            Outcome outcome = new Outcome(o, BenchmarkReport.series("Agent startup (deploy to first reply)", startup,
                    "Message round trip (send to reply)", rtt));
            if (output.json()) {
                return outcome;
            }
            TextTable table = new TextTable("MEASURE", "N", "P50", "P99", "MAX");
            row(table, "agent startup (deploy to first reply)", startup);
            row(table, "message round trip (send to reply)", rtt);
            table.print(out);
            if (flow == Pattern.request_reply) {
                out.printf(Locale.ROOT, "throughput: %,d messages in %.2f s = %,.0f messages/s (%d agents, %d in flight,"
                        + " after %,d warm-up messages)%n", handled, seconds, handled / seconds, agents, inFlight, warmup);
            } else {
                out.printf(Locale.ROOT, "throughput, fire-and-forget: %,d messages handled in %.2f s = %,.0f messages/s"
                        + " (%d sink agents, after %,d warm-up messages)%n", handled, seconds, handled / seconds, agents, warmup);
            }
            printLost(out, flow == Pattern.request_reply ? "requests got no reply" : "messages will never be handled",
                    messages, warmup, lost, warmupLost);
            return outcome;
        }

        /**
         * The losses in a report's throughput object; the rate is of the messages handled, as those
         * lost cost little.
         */
        static void lost(ObjectNode o, long handled, double seconds, LostMessages lost, LostMessages warmupLost) {
            ObjectNode t = (ObjectNode) o.get("throughput");
            t.put("messages_per_second", Math.round(handled / seconds));
            lost.json(t);
            t.put("warmup_lost", warmupLost.count());
        }

        /** The losses, in the text report; nothing when none was lost. */
        static void printLost(PrintWriter out, String what, int messages, int warmup, LostMessages lost,
                              LostMessages warmupLost) {
            if (lost.count() > 0) {
                out.printf(Locale.ROOT, "lost: %,d of %,d %s: %s%n", lost.count(), messages, what, lost.text());
            }
            if (warmupLost.count() > 0) {
                out.printf(Locale.ROOT, "lost in the warm-up: %,d of %,d messages: %s%n", warmupLost.count(), warmup,
                        warmupLost.text());
            }
        }

        /** The machine a report was measured on, in its JSON form. */
        static void machine(ObjectNode o) {
            o.put("cores", Runtime.getRuntime().availableProcessors());
            o.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
            o.put("java", System.getProperty("java.version"));
        }

        /** The throughput object of a JSON report. */
        static void throughput(ObjectNode o, int messages, int warmup, int agents, int inFlight, double seconds) {
            ObjectNode t = o.putObject("throughput");
            t.put("messages", messages);
            t.put("warmup_messages", warmup);
            t.put("agents", agents);
            t.put("in_flight", inFlight);
            t.put("seconds", seconds);
            t.put("messages_per_second", Math.round(messages / seconds));
        }

        static void stats(ObjectNode o, long[] nanos) {
            long[] s = nanos.clone();
            Arrays.sort(s);
            o.put("n", s.length);
            o.put("p50", s[(int) (s.length * 0.50)] / 1000.0);
            o.put("p99", s[Math.min(s.length - 1, (int) (s.length * 0.99))] / 1000.0);
            o.put("max", s[s.length - 1] / 1000.0);
        }

        static void row(TextTable t, String name, long[] nanos) {
            long[] s = nanos.clone();
            Arrays.sort(s);
            t.row(name, Integer.toString(s.length), micros(s[(int) (s.length * 0.50)]),
                    micros(s[Math.min(s.length - 1, (int) (s.length * 0.99))]), micros(s[s.length - 1]));
        }

        private static String micros(long nanos) {
            return nanos >= 10_000_000 ? String.format(Locale.ROOT, "%.1f ms", nanos / 1e6)
                    : String.format(Locale.ROOT, "%.0f µs", nanos / 1e3);
        }
    }

    /**
     * {@code caxton benchmark compare BASELINE CURRENT}: the regression check of two saved reports,
     * for a release: exit 1 when throughput or a latency got worse by more than the threshold.
     */
    @Command(name = "compare", description = "Compares two JSON benchmark reports (from --output json or --report) and"
            + " flags throughput or latency worse by more than --threshold; exit 1 when one is.")
    static final class Compare implements Callable<Integer> {

        @Spec
        private CommandSpec spec;

        @Mixin
        private OutputOptions output;

        @picocli.CommandLine.Parameters(index = "0", paramLabel = "BASELINE", description = "The earlier report.")
        private Path baseline;

        @picocli.CommandLine.Parameters(index = "1", paramLabel = "CURRENT", description = "The report to judge.")
        private Path current;

        @Option(names = "--threshold", paramLabel = "PERCENT", defaultValue = "10",
                description = "The worsening tolerated, in percent (default 10).")
        private double threshold;

        @Override
        public Integer call() {
            if (threshold <= 0 || threshold >= 1000) {
                throw CliException.usage("--threshold: a percentage above 0 and below 1000, got " + threshold);
            }
            BenchmarkReport.Comparison c = BenchmarkReport.compare(BenchmarkReport.read(baseline, "BASELINE"),
                    BenchmarkReport.read(current, "CURRENT"), threshold / 100.0);
            if (c.rows().isEmpty()) {
                throw new CliException("the two reports share no figure to compare (different suites?)");
            }
            PrintWriter out = spec.commandLine().getOut();
            if (output.json()) {
                Json.print(out, BenchmarkReport.json(c));
            } else {
                BenchmarkReport.print(out, c);
            }
            return c.regressions().isEmpty() ? 0 : CliException.FAILURE;
        }
    }
}
