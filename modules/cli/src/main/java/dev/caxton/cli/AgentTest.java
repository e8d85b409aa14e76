package dev.caxton.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.DeadLetter;
import dev.caxton.runtime.api.AgentInfo;
import dev.caxton.runtime.api.AgentLimits;
import dev.caxton.runtime.api.DeployException;
import dev.caxton.runtime.api.RoutingException;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * {@code caxton agent test FILE --content JSON}: the author's loop without a server. The module runs
 * on a node inside this process (memory storage, a scratch data directory, no API listener, the
 * transport on a loopback port of the system's choosing), gets the message one or more times, and
 * every reply, log line, fault, the fuel and the time of each message are printed. A module the
 * node refuses is handed to {@code agent check}, so every problem is listed, not only the first.
 */
@Command(name = "test", sortOptions = false,
        description = "Runs an agent on a node in this process, sends it a message and prints the replies, its log,"
                + " fuel used and time per message.")
final class AgentTest implements java.util.concurrent.Callable<Integer> {

    /** The name the agent gets in the test node. */
    static final String AGENT = "agent-under-test";

    /** Fuel given when the configuration meters none, so that the figure can be reported. */
    static final long COUNTING_FUEL = 1_000_000_000_000L;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The module: FILE.wasm or FILE.wat.")
    private Path file;

    @Option(names = "--content", paramLabel = "JSON",
            description = "The message's content, a JSON value; @FILE reads it from a file, - from standard input"
                    + " (default: no content).")
    private String content;

    @Option(names = "--performative", paramLabel = "P", defaultValue = "request",
            description = "The performative (default request).")
    private String performative;

    @Option(names = "--from", paramLabel = "NAME",
            description = "The sender the agent sees (default: a client name, as for `message send`).")
    private String from;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "1", description = "Sends the message N times (default 1).")
    private int repeat;

    @Option(names = "--engine", paramLabel = "chicory|wasmtime", description = "The engine (default: runtime.engine).")
    private String engine;

    @Option(names = "--config", paramLabel = "FILE",
            description = "A configuration whose limits and engine apply (default: CAXTON_CONFIG, else the installation's;"
                    + " its storage and transport are replaced by private ones).")
    private Path config;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = Quantity.Time.class, defaultValue = "30s",
            description = "How long to wait for each reply (default 30s).")
    private Duration timeout;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        CliContext ctx = CaxtonCommand.context(spec);
        Performative perf = Performative.fromWire(performative).orElseThrow(() -> CliException.usage(
                "--performative: '" + performative + "' is not a FIPA performative; use one of "
                        + String.join(", ", MessageCommand.PERFORMATIVES)));
        if (repeat < 1) {
            throw CliException.usage("--repeat: must be 1 or more, got " + repeat);
        }
        if (from != null && (!dev.caxton.runtime.config.ConfigSchema.NAME.matcher(from).matches()
                || from.startsWith("client-") || from.equals(AGENT))) {
            throw CliException.usage("--from: '" + from + "' is not a name a client may send as (letters, digits, '.', '_'"
                    + " or '-', not starting with 'client-')");
        }
        Object payload = content == null ? null : payload(MessageCommand.Send.contentText(content));
        byte[] module = bytes(ctx);

        PluginCatalog catalog = LocalSetup.catalog(ctx);
        CaxtonConfig cfg = configuration(ctx, catalog);
        long fuel = cfg.integer("agents.default_limits.fuel");
        AgentLimits limits = new AgentLimits(cfg.size("agents.default_limits.memory"),
                cfg.duration("agents.default_limits.execution_timeout"), fuel == 0 ? COUNTING_FUEL : fuel);

        dev.caxton.server.CaxtonServer.configureLogging("warn");
        LogCapture logs = LogCapture.install();
        Path data = Files.createTempDirectory("caxton-agent-test");
        int faults = 0;
        try (CaxtonNode node = CaxtonNode.start(cfg, catalog, data)) {
            String engineName = engine == null ? cfg.string("runtime.engine") : engine;
            try {
                node.deploy(new dev.caxton.runtime.api.DeploySpec(AGENT, module, List.of(), limits, null, engine, null));
            } catch (DeployException e) {
                out.println(file + ": refused: " + e.getMessage());
                // What init logged before it failed is often the reason.
                printLogs(out, logs.drain(), "init");
                out.flush();
                runCheck();
                return 1;
            }
            out.println("running " + file + " on " + engineName + " (" + (fuel == 0 ? "fuel counted, unlimited" : "fuel limit " + fuel)
                    + ")");
            printLogs(out, logs.drain(), "init");
            List<Long> nanos = new ArrayList<>();
            for (int i = 1; i <= repeat; i++) {
                long before = info(node).faults();
                Envelope.Builder b = Envelope.builder(perf).receiver(AGENT).content(payload);
                long t0 = System.nanoTime();
                List<Envelope> replies = from == null ? List.of(ask(node, b)) : askAs(node, b, from, info(node));
                long took = System.nanoTime() - t0;
                nanos.add(took);
                AgentInfo after = info(node);
                boolean faulted = after.faults() > before;
                boolean show = repeat <= 20 || i <= 3 || i == repeat;
                if (show) {
                    out.printf(Locale.ROOT, "message %d: %s%n", i, describe(replies));
                    printLogs(out, logs.drain(), null);
                    out.printf(Locale.ROOT, "  fuel %d, %s%n", after.fuelLast(), millis(took));
                } else {
                    logs.drain();
                }
                if (faulted) {
                    faults++;
                    out.println("  FAULT: " + after.lastFault());
                }
            }
            if (repeat > 1) {
                long[] s = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
                out.printf(Locale.ROOT, "%d messages: p50 %s, max %s, fuel max %d, faults %d%n", repeat,
                        millis(s[(s.length - 1) / 2]), millis(s[s.length - 1]), info(node).fuelMax(), faults);
            }
        } finally {
            logs.remove();
            BenchmarkCommand.Run.deleteTree(data);
        }
        out.flush();
        return faults == 0 ? 0 : 1;
    }

    /** Lists every problem through {@code agent check}, with the same file, engine and configuration. */
    private void runCheck() {
        CommandLine check = spec.commandLine().getParent().getSubcommands().get("check");
        List<String> args = new ArrayList<>(List.of(file.toString()));
        if (engine != null) {
            args.addAll(List.of("--engine", engine));
        }
        if (config != null) {
            args.addAll(List.of("--config", config.toString()));
        }
        check.execute(args.toArray(String[]::new));
    }

    private CaxtonConfig configuration(CliContext ctx, PluginCatalog catalog) {
        Properties props = new Properties();
        // A private node: nothing stored, nothing listening beyond a loopback port chosen by the system.
        props.setProperty("caxton.storage.type", "memory");
        props.setProperty("caxton.messaging.enable_persistence", "false");
        props.setProperty("caxton.transport.host", "127.0.0.1");
        props.setProperty("caxton.transport.port", "0");
        props.setProperty("caxton.runtime.agent_log_rate", "1000000");
        props.setProperty("caxton.runtime.agent_log_burst", "1000000");
        if (engine != null) {
            props.setProperty("caxton.runtime.engine", engine);
        }
        String yaml = "";
        String source = "defaults";
        Optional<Path> file = LocalSetup.configFile(config, ctx);
        if (file.isPresent()) {
            try {
                yaml = Files.readString(file.get());
                source = file.get().toString();
            } catch (IOException e) {
                throw new CliException(file.get() + ": cannot read: " + e.getMessage());
            }
        }
        return CaxtonConfig.parse(source, yaml, catalog, props);
    }

    private byte[] bytes(CliContext ctx) {
        try {
            return AgentCheck.binary(ctx, file);
        } catch (IllegalArgumentException e) {
            throw new CliException(file + ": " + e.getMessage());
        }
    }

    private static Object payload(String text) {
        try {
            JsonNode node = Json.mapper().readTree(text);
            if (node == null || node.isMissingNode()) {
                throw CliException.usage("--content: empty; give a JSON value such as '{}' or '\"hello\"'");
            }
            return Json.mapper().convertValue(node, Object.class);
        } catch (JsonProcessingException e) {
            throw CliException.usage("--content: not valid JSON (" + e.getOriginalMessage()
                    + "); a string must be quoted, e.g. '\"hello\"'");
        }
    }

    private AgentInfo info(CaxtonNode node) {
        return node.agent(AGENT).orElseThrow(() -> new CliException("the agent disappeared from the test node"));
    }

    private Envelope ask(CaxtonNode node, Envelope.Builder b) throws Exception {
        try {
            return node.request(b.build(), timeout).get(timeout.toMillis() + 60_000, TimeUnit.MILLISECONDS);
        } catch (RoutingException e) {
            throw new CliException("the test node refused the message: " + e.getMessage());
        }
    }

    /**
     * Sends as {@code name}. Nobody by that name runs in the test node, so the agent's reply is
     * dead-lettered as undeliverable; it is picked up from there by its {@code in_reply_to}.
     */
    private List<Envelope> askAs(CaxtonNode node, Envelope.Builder b, String name, AgentInfo before) throws Exception {
        String tag = "test-" + node.newMessageId();
        try {
            node.send(b.sender(name).replyWith(tag).build());
        } catch (RoutingException e) {
            throw new CliException("the test node refused the message: " + e.getMessage());
        }
        // The agent counts a message as handled before its reply is routed, so a reply is looked for
        // a while longer; an agent that stays silent costs that grace (at most 5 s) per message.
        long deadline = System.nanoTime() + timeout.toNanos();
        long settled = Long.MAX_VALUE;
        while (System.nanoTime() < Math.min(deadline, settled)) {
            Optional<Envelope> reply = node.deadLetters(1000).stream().map(DeadLetter::envelope)
                    .filter(e -> tag.equals(e.inReplyTo())).findFirst();
            if (reply.isPresent()) {
                return List.of(reply.get());
            }
            AgentInfo now = info(node);
            if (settled == Long.MAX_VALUE && now.messagesHandled() + now.faults() > before.messagesHandled() + before.faults()) {
                settled = System.nanoTime() + Math.min(timeout.toNanos(), TimeUnit.SECONDS.toNanos(5));
            }
            Thread.sleep(5);
        }
        if (settled != Long.MAX_VALUE) {
            return List.of();
        }
        throw new CliException("no answer within " + Json.formatDuration(timeout));
    }

    private static String describe(List<Envelope> replies) {
        if (replies.isEmpty()) {
            return "no reply";
        }
        Envelope r = replies.getFirst();
        String text;
        try {
            text = r.content() == null ? "-" : Json.mapper().writeValueAsString(r.content());
        } catch (JsonProcessingException e) {
            text = String.valueOf(r.content());
        }
        return r.performative().wireName() + " " + text;
    }

    private static void printLogs(PrintWriter out, List<String> lines, String phase) {
        for (String l : lines) {
            out.println("  " + (phase == null ? "" : phase + " ") + "log " + l);
        }
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
    }

    /** Collects the test agent's log lines from the node's logger while the test runs. */
    private static final class LogCapture extends Handler {

        private static final Logger AGENTS = Logger.getLogger("caxton.agent");
        private final List<String> lines = new CopyOnWriteArrayList<>();
        private final Level oldLevel;
        private final boolean oldParents;

        private LogCapture() {
            oldLevel = AGENTS.getLevel();
            oldParents = AGENTS.getUseParentHandlers();
        }

        static LogCapture install() {
            LogCapture c = new LogCapture();
            c.setLevel(Level.ALL);
            AGENTS.setLevel(Level.ALL);
            // The lines are printed with their message; the console handler would print them twice.
            AGENTS.setUseParentHandlers(false);
            AGENTS.addHandler(c);
            return c;
        }

        void remove() {
            AGENTS.removeHandler(this);
            AGENTS.setLevel(oldLevel);
            AGENTS.setUseParentHandlers(oldParents);
        }

        List<String> drain() {
            List<String> copy = new ArrayList<>(lines);
            lines.removeAll(copy);
            return copy;
        }

        @Override
        public void publish(LogRecord r) {
            Object[] p = r.getParameters();
            if (p != null && p.length >= 2 && AGENT.equals(p[0])) {
                lines.add(level(r.getLevel()) + ": " + p[1]);
            }
        }

        private static String level(Level l) {
            int v = l.intValue();
            return v >= Level.SEVERE.intValue() ? "error" : v >= Level.WARNING.intValue() ? "warn"
                    : v >= Level.INFO.intValue() ? "info" : v >= Level.FINE.intValue() ? "debug" : "trace";
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
