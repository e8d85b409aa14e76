package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code caxton top}: the node and its agents on one screen, refreshed every second.
 *
 * <p>Plain ANSI (clear, home, erase line) and the terminal's raw mode set with {@code stty}, so it
 * works over SSH and inside tmux without a curses library; when standard input is not a terminal,
 * or with {@code --once}, it prints one frame and exits, which scripts can read.
 */
@Command(name = "top", description = {"A live view of the node: nodes, agents, queue depths, message rates, faults, fuel.",
    "Keys: s cycles the sort (name, queued, rate, faults, fuel), q quits. --once prints one frame."})
final class TopCommand extends ClientCommand {

    /** The sort orders, in the order the s key cycles through them. */
    enum Sort {
        NAME, QUEUED, RATE, FAULTS, FUEL;

        Sort next() {
            return values()[(ordinal() + 1) % values().length];
        }
    }

    @Option(names = "--once", description = "Print one frame and exit (the default when stdin is not a terminal).")
    boolean once;

    @Option(names = "--interval", paramLabel = "DURATION", converter = Quantity.Time.class,
            description = "Time between refreshes (default: 1s).")
    Duration interval;

    @Option(names = "--sort", paramLabel = "KEY", description = "Initial sort: ${COMPLETION-CANDIDATES} (default: name).")
    Sort sort = Sort.NAME;

    /**
     * One sample of the node.
     *
     * @param diagnostics {@code /diagnostics}, for the processing histogram; missing from nodes that
     *                    do not serve it (then no p99 is shown)
     */
    record Sample(long nanos, JsonNode health, JsonNode agents, JsonNode members, JsonNode diagnostics) {

        /** A sample without diagnostics. */
        Sample(long nanos, JsonNode health, JsonNode agents, JsonNode members) {
            this(nanos, health, agents, members, MissingNode.getInstance());
        }
    }

    @Override
    void prepare() {
        interval = interval == null ? Duration.ofSeconds(1) : interval;
        if (interval.toMillis() < 100) {
            throw CliException.usage("--interval: at least 100ms, got " + Json.formatDuration(interval));
        }
    }

    @Override
    int run(ApiClient api, PrintWriter out) {
        java.io.Console console = System.console();
        boolean terminal = console != null && console.isTerminal();
        if (once || !terminal) {
            Sample s = sample(api);
            for (String line : render(null, s, sort, 120)) {
                out.println(line);
            }
            out.flush();
            return 0;
        }
        String saved = stty("-g").trim();
        try {
            stty("-icanon -echo min 0 time 0");
            out.print("\033[?25l");
            Sample prev = null;
            InputStream in = System.in;
            while (true) {
                Sample cur = sample(api);
                int width = columns();
                StringBuilder frame = new StringBuilder("\033[H");
                for (String line : render(prev, cur, sort, width)) {
                    frame.append(line.length() > width ? line.substring(0, width) : line).append("\033[K\r\n");
                }
                frame.append("\033[J");
                out.print(frame);
                out.flush();
                prev = cur;
                long until = System.nanoTime() + interval.toNanos();
                while (System.nanoTime() < until) {
                    int key = in.available() > 0 ? in.read() : -1;
                    if (key == 'q' || key == 'Q' || key == 3) {
                        return 0;
                    }
                    if (key == 's' || key == 'S') {
                        sort = sort.next();
                        break;
                    }
                    TimeUnit.MILLISECONDS.sleep(30);
                }
            }
        } catch (IOException e) {
            throw new CliException("cannot read the terminal: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        } finally {
            out.print("\033[?25h\r\n");
            out.flush();
            if (!saved.isEmpty()) {
                stty(saved);
            }
        }
    }

    private static Sample sample(ApiClient api) {
        JsonNode health = api.get("/health");
        JsonNode agents = api.get("/agents");
        JsonNode members;
        try {
            members = api.get("/cluster/members");
        } catch (CliException e) {
            members = MissingNode.getInstance();
        }
        JsonNode diagnostics;
        try {
            diagnostics = api.get("/diagnostics");
        } catch (CliException e) {
            // An older node, or a token whose role may not read it: the view goes on without p99.
            diagnostics = MissingNode.getInstance();
        }
        return new Sample(System.nanoTime(), health, agents, members, diagnostics);
    }

    /** Runs {@code stty} on the controlling terminal; empty output when it cannot. */
    private static String stty(String args) {
        try {
            Process p = new ProcessBuilder("sh", "-c", "stty " + args + " < /dev/tty").redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            return p.waitFor() == 0 ? text : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static int columns() {
        String size = stty("size").trim();
        String[] parts = size.split("\\s+");
        try {
            return parts.length == 2 ? Math.max(40, Integer.parseInt(parts[1])) : 120;
        } catch (NumberFormatException e) {
            return 120;
        }
    }

    /**
     * The node-wide p99 of message processing: over the time since the previous sample when messages
     * were processed in it (what is happening now), else since the node started.
     */
    static String p99(Sample prev, Sample cur, double seconds) {
        JsonNode now = cur.diagnostics().path("latency").path("message_processing");
        double[] bounds = doubles(now.path("bounds_seconds"));
        double[] counts = doubles(now.path("cumulative"));
        if (bounds.length == 0 || counts.length != bounds.length + 1) {
            return "n/a";
        }
        if (prev != null) {
            double[] before = doubles(prev.diagnostics().path("latency").path("message_processing").path("cumulative"));
            if (before.length == counts.length && counts[counts.length - 1] > before[before.length - 1]) {
                double[] delta = new double[counts.length];
                for (int i = 0; i < counts.length; i++) {
                    delta[i] = Math.max(0, counts[i] - before[i]);
                }
                return formatSeconds(quantile(0.99, bounds, delta))
                        + String.format(Locale.ROOT, " (last %.0fs)", Math.max(1, seconds));
            }
        }
        if (counts[counts.length - 1] == 0) {
            return "- (no messages yet)";
        }
        return formatSeconds(quantile(0.99, bounds, counts)) + " (since start)";
    }

    private static double[] doubles(JsonNode array) {
        if (!array.isArray()) {
            return new double[0];
        }
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    /**
     * A quantile from cumulative bucket counts, interpolated linearly within its bucket as
     * Prometheus' {@code histogram_quantile} does; in the {@code +Inf} bucket, the largest finite bound.
     *
     * @param q          the quantile, 0 to 1
     * @param bounds     the finite upper bounds, in seconds
     * @param cumulative cumulative counts, one per bound and one for {@code +Inf}; the last is positive
     * @return the quantile in seconds
     */
    static double quantile(double q, double[] bounds, double[] cumulative) {
        double total = cumulative[cumulative.length - 1];
        double rank = q * total;
        for (int i = 0; i < bounds.length; i++) {
            if (cumulative[i] >= rank) {
                double lower = i == 0 ? 0 : bounds[i - 1];
                double below = i == 0 ? 0 : cumulative[i - 1];
                double in = cumulative[i] - below;
                return in <= 0 ? bounds[i] : lower + (bounds[i] - lower) * (rank - below) / in;
            }
        }
        return bounds[bounds.length - 1];
    }

    /** A duration in the unit that suits it: 850us, 12.5ms, 1.25s. */
    static String formatSeconds(double s) {
        if (s < 0.001) {
            return String.format(Locale.ROOT, "%.0fus", s * 1e6);
        }
        if (s < 1) {
            return String.format(Locale.ROOT, "%.1fms", s * 1e3);
        }
        return String.format(Locale.ROOT, "%.2fs", s);
    }

    /**
     * One frame, as lines without terminal codes.
     *
     * @param prev  the previous sample (for rates), or null
     * @param cur   this sample
     * @param sort  the sort
     * @param width the screen's width
     * @return the lines
     */
    static List<String> render(Sample prev, Sample cur, Sort sort, int width) {
        List<String> lines = new ArrayList<>();
        JsonNode h = cur.health();
        JsonNode budget = h.path("memory_budget");
        JsonNode cluster = h.path("cluster");
        lines.add(String.format(Locale.ROOT, "caxton top - node %s (%s) up %s - %d agents - memory %s / %s",
                h.path("node").asText("?"), h.path("status").asText("?"),
                Json.formatDuration(Duration.ofSeconds(h.path("uptime_ms").asLong() / 1000)),
                h.path("agents").asInt(), Findings.mib(budget.path("in_use_bytes").asLong()),
                Findings.mib(budget.path("budget_bytes").asLong())));
        StringBuilder nodes = new StringBuilder("nodes: ");
        JsonNode ms = cur.members().path("members");
        if (ms.isArray() && !ms.isEmpty()) {
            List<String> parts = new ArrayList<>();
            for (JsonNode m : ms) {
                parts.add(m.path("name").asText() + "=" + m.path("state").asText());
            }
            nodes.append(String.join(" ", parts));
        } else {
            nodes.append(h.path("node").asText("?")).append("=alive");
        }
        nodes.append(String.format(Locale.ROOT, "  (alive %d, quorum %d%s)", cluster.path("alive").asInt(),
                cluster.path("quorum").asInt(), cluster.path("partitioned").asBoolean() ? ", PARTITIONED" : ""));
        lines.add(nodes.toString());

        Map<String, Long> before = new HashMap<>();
        double seconds = 0;
        if (prev != null) {
            seconds = (cur.nanos() - prev.nanos()) / 1e9;
            for (JsonNode a : prev.agents().path("agents")) {
                before.put(a.path("name").asText(), a.path("counters").path("messages_handled").asLong());
            }
        }
        record Row(String name, String state, long queued, double rate, long handled, long faults, long fuelLast,
                   long fuelMax, long fuelLimit) {
        }
        List<Row> rows = new ArrayList<>();
        double totalRate = 0;
        long totalQueued = 0;
        long totalFaults = 0;
        for (JsonNode a : cur.agents().path("agents")) {
            JsonNode c = a.path("counters");
            String name = a.path("name").asText();
            long handled = c.path("messages_handled").asLong();
            double rate = seconds > 0 && before.containsKey(name) ? Math.max(0, handled - before.get(name)) / seconds : 0;
            Row r = new Row(name, a.path("state").asText(), c.path("queued").asLong(), rate, handled,
                    c.path("faults").asLong(), c.path("fuel_last").isNumber() ? c.path("fuel_last").asLong() : -1,
                    c.path("fuel_max").isNumber() ? c.path("fuel_max").asLong() : -1, a.path("limits").path("fuel").asLong());
            rows.add(r);
            totalRate += rate;
            totalQueued += r.queued();
            totalFaults += r.faults();
        }
        lines.add(String.format(Locale.ROOT, "messages: %.1f/s handled, %d queued, %d faults; p99 processing: %s",
                totalRate, totalQueued, totalFaults, p99(prev, cur, seconds)));
        lines.add("");
        Comparator<Row> order = switch (sort) {
            case NAME -> Comparator.comparing(Row::name);
            case QUEUED -> Comparator.comparingLong(Row::queued).reversed().thenComparing(Row::name);
            case RATE -> Comparator.comparingDouble(Row::rate).reversed().thenComparing(Row::name);
            case FAULTS -> Comparator.comparingLong(Row::faults).reversed().thenComparing(Row::name);
            case FUEL -> Comparator.comparingLong(Row::fuelMax).reversed().thenComparing(Row::name);
        };
        rows.sort(order);
        lines.add(String.format(Locale.ROOT, "%-24s %-9s %8s %9s %10s %7s %12s %12s   sort: %s (s: next, q: quit)",
                "AGENT", "STATE", "QUEUED", "MSG/S", "HANDLED", "FAULTS", "FUEL_LAST", "FUEL_MAX",
                sort.name().toLowerCase(Locale.ROOT)));
        for (Row r : rows) {
            lines.add(String.format(Locale.ROOT, "%-24s %-9s %8d %9.1f %10d %7d %12s %12s",
                    r.name().length() > 24 ? r.name().substring(0, 23) + "~" : r.name(), r.state(), r.queued(), r.rate(),
                    r.handled(), r.faults(), r.fuelLast() < 0 ? "-" : Long.toString(r.fuelLast()),
                    r.fuelMax() < 0 ? "-" : r.fuelMax() + (r.fuelLimit() > 0 ? "/" + r.fuelLimit() : "")));
        }
        if (rows.isEmpty()) {
            lines.add("(no agents)");
        }
        return lines;
    }
}
