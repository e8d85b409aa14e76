package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code caxton benchmark} writes besides its console report: the comparison of a run with a
 * baseline (a JSON report kept from an earlier run) and a self-contained HTML page with the
 * latency-over-time and histogram plots. The page draws its plots as inline SVG, so it opens
 * anywhere without scripts or network.
 */
final class BenchmarkReport {

    /** Where in a JSON report a compared figure lives, and which way is better. */
    record Measure(String label, String pointer, boolean higherIsBetter) {
    }

    /** The figures a comparison looks at, when both reports have them. */
    static final List<Measure> MEASURES = List.of(
            new Measure("throughput (messages/s)", "/throughput/messages_per_second", true),
            new Measure("round trip p50 (µs)", "/round_trip_us/p50", false),
            new Measure("round trip p99 (µs)", "/round_trip_us/p99", false),
            new Measure("local round trip p99 (µs)", "/local_round_trip_us/p99", false),
            new Measure("agent startup p50 (µs)", "/agent_startup_us/p50", false),
            new Measure("agent startup p99 (µs)", "/agent_startup_us/p99", false));

    /** The settings that make two reports comparable: a difference is reported, not refused. */
    private static final List<String> SETTINGS = List.of("suite", "pattern", "engine", "codec", "fuel", "cores", "os", "java");

    /** One compared figure. */
    record Row(Measure measure, double baseline, double current) {
        /** Relative change in the bad direction: 0.12 is 12% worse, negative is better. */
        double worse() {
            double change = (current - baseline) / baseline;
            return measure.higherIsBetter() ? -change : change;
        }
    }

    /**
     * A comparison of a run with its baseline.
     *
     * @param rows       the figures both reports have
     * @param differences settings that differ between the two runs (suite, engine, machine...)
     * @param threshold  the tolerated relative worsening
     */
    record Comparison(List<Row> rows, List<String> differences, double threshold) {
        /**
         * The figures worse than the threshold allows.
         *
         * @return the regressions, empty when there are none
         */
        List<Row> regressions() {
            return rows.stream().filter(r -> r.worse() > threshold).toList();
        }
    }

    private BenchmarkReport() {
    }

    /**
     * Reads a JSON report written by {@code caxton benchmark run --output json} or {@code --report}.
     *
     * @param file the file
     * @param what how to name it in errors ({@code BASELINE})
     * @return the report
     * @throws CliException naming the file when it cannot be read or is not a benchmark report
     */
    static JsonNode read(Path file, String what) {
        JsonNode n;
        try {
            n = Json.mapper().readTree(Files.readString(file));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CliException(what + ": " + file + " does not exist");
        } catch (IOException e) {
            throw new CliException(what + ": " + file + " is not a JSON benchmark report: " + Main.oneLine(e.getMessage()));
        }
        if (n == null || !n.isObject() || !n.has("suite") || MEASURES.stream().noneMatch(m -> number(n, m.pointer()) != null)) {
            throw new CliException(what + ": " + file + " is not a benchmark report (write one with"
                    + " 'caxton benchmark run --output json' or '--report DIR')");
        }
        return n;
    }

    /**
     * Compares a run with a baseline.
     *
     * @param baseline  the earlier report
     * @param current   this run's report
     * @param threshold the tolerated relative worsening (0.10 for 10%)
     * @return the comparison
     */
    static Comparison compare(JsonNode baseline, JsonNode current, double threshold) {
        List<Row> rows = new ArrayList<>();
        for (Measure m : MEASURES) {
            Double b = number(baseline, m.pointer());
            Double c = number(current, m.pointer());
            if (b != null && c != null && b > 0) {
                rows.add(new Row(m, b, c));
            }
        }
        List<String> differences = new ArrayList<>();
        for (String s : SETTINGS) {
            String b = baseline.path(s).asText("");
            String c = current.path(s).asText("");
            if (!b.equals(c)) {
                differences.add(s + " " + (b.isEmpty() ? "(none)" : b) + " -> " + (c.isEmpty() ? "(none)" : c));
            }
        }
        return new Comparison(rows, differences, threshold);
    }

    private static Double number(JsonNode n, String pointer) {
        JsonNode v = n.at(pointer);
        return v.isNumber() ? v.asDouble() : null;
    }

    /**
     * Prints a comparison as a table, with a verdict per figure.
     *
     * @param out where to
     * @param c   the comparison
     */
    static void print(PrintWriter out, Comparison c) {
        if (!c.differences().isEmpty()) {
            out.println("note: the runs differ in " + String.join(", ", c.differences()));
        }
        TextTable t = new TextTable("MEASURE", "BASELINE", "CURRENT", "CHANGE", "VERDICT");
        for (Row r : c.rows()) {
            t.row(r.measure().label(), figure(r.baseline()), figure(r.current()), percent((r.current() - r.baseline()) / r.baseline()),
                    r.worse() > c.threshold() ? "REGRESSION" : r.worse() < -c.threshold() ? "better" : "same");
        }
        t.print(out);
        List<Row> bad = c.regressions();
        out.println(bad.isEmpty()
                ? "no regression beyond " + percent(c.threshold())
                : bad.size() + " regression(s) beyond " + percent(c.threshold()));
    }

    /**
     * The comparison in a JSON report.
     *
     * @param c the comparison
     * @return the JSON form
     */
    static ObjectNode json(Comparison c) {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("threshold", c.threshold());
        c.differences().forEach(o.putArray("differences")::add);
        var rows = o.putArray("measures");
        for (Row r : c.rows()) {
            rows.addObject().put("measure", r.measure().label()).put("baseline", r.baseline()).put("current", r.current())
                    .put("regression", r.worse() > c.threshold());
        }
        o.put("regressions", c.regressions().size());
        return o;
    }

    private static String figure(double v) {
        return v >= 1000 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String percent(double v) {
        return String.format(Locale.ROOT, "%+.1f%%", v * 100);
    }

    /**
     * Writes {@code report.json} and {@code index.html} into a directory.
     *
     * @param dir        the directory (created when missing)
     * @param report     this run's JSON report
     * @param series     named latency samples in the order they were taken, nanoseconds
     * @param comparison the comparison with a baseline, or null
     * @throws CliException naming the directory when it cannot be written
     */
    static void write(Path dir, ObjectNode report, Map<String, long[]> series, Comparison comparison) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("report.json"), Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
            Files.writeString(dir.resolve("index.html"), html(report, series, comparison), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CliException("--report: cannot write into " + dir + ": " + Main.oneLine(e.getMessage()));
        }
    }

    static String html(JsonNode report, Map<String, long[]> series, Comparison comparison) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Caxton benchmark</title>\n")
                .append("<style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #bbb;padding:.3em .7em;text-align:right}th{background:#eee}")
                .append("td:first-child,th:first-child{text-align:left}.bad{color:#b00;font-weight:bold}.good{color:#070}")
                .append("svg{background:#fafafa;border:1px solid #ddd;margin:.5em 0}</style></head><body>\n");
        b.append("<h1>Caxton benchmark: ").append(esc(report.path("suite").asText())).append("</h1>\n<p>");
        for (String s : SETTINGS) {
            if (report.has(s)) {
                b.append(esc(s)).append(" <b>").append(esc(report.path(s).asText())).append("</b> &nbsp; ");
            }
        }
        b.append("</p>\n<h2>Latencies</h2>\n<table><tr><th>measure</th><th>n</th><th>p50 µs</th><th>p99 µs</th><th>max µs</th></tr>\n");
        report.properties().forEach(e -> {
            if (e.getKey().endsWith("_us") && e.getValue().isObject()) {
                JsonNode v = e.getValue();
                b.append("<tr><td>").append(esc(e.getKey().replace("_us", "").replace('_', ' '))).append("</td><td>")
                        .append(v.path("n").asLong()).append("</td><td>").append(figure(v.path("p50").asDouble()))
                        .append("</td><td>").append(figure(v.path("p99").asDouble())).append("</td><td>")
                        .append(figure(v.path("max").asDouble())).append("</td></tr>\n");
            }
        });
        b.append("</table>\n");
        JsonNode t = report.path("throughput");
        if (t.isObject()) {
            b.append(String.format(Locale.ROOT, "<p>Throughput: <b>%,d messages/s</b> (%,d messages in %.2f s, %d agents, %d in flight, "
                            + "after %,d warm-up messages)</p>\n", t.path("messages_per_second").asLong(), t.path("messages").asLong(),
                    t.path("seconds").asDouble(), t.path("agents").asInt(), t.path("in_flight").asInt(), t.path("warmup_messages").asLong()));
        }
        if (comparison != null) {
            b.append("<h2>Against the baseline</h2>\n");
            if (!comparison.differences().isEmpty()) {
                b.append("<p>The runs differ in ").append(esc(String.join(", ", comparison.differences()))).append(".</p>\n");
            }
            b.append("<table><tr><th>measure</th><th>baseline</th><th>current</th><th>change</th></tr>\n");
            for (Row r : comparison.rows()) {
                String cls = r.worse() > comparison.threshold() ? "bad" : r.worse() < -comparison.threshold() ? "good" : "";
                b.append("<tr><td>").append(esc(r.measure().label())).append("</td><td>").append(figure(r.baseline()))
                        .append("</td><td>").append(figure(r.current())).append("</td><td class=\"").append(cls).append("\">")
                        .append(percent((r.current() - r.baseline()) / r.baseline())).append("</td></tr>\n");
            }
            b.append("</table>\n<p>").append(comparison.regressions().isEmpty() ? "No regression" : comparison.regressions().size()
                    + " regression(s)").append(" beyond ").append(percent(comparison.threshold())).append(".</p>\n");
        }
        for (Map.Entry<String, long[]> s : series.entrySet()) {
            if (s.getValue().length == 0) {
                continue;
            }
            b.append("<h2>").append(esc(s.getKey())).append("</h2>\n<p>Over time (each point a slice of consecutive samples:"
                    + " median and maximum; logarithmic scale)</p>\n").append(overTime(s.getValue()))
                    .append("<p>Histogram (logarithmic bins)</p>\n").append(histogram(s.getValue()));
        }
        b.append("</body></html>\n");
        return b.toString();
    }

    private static final int W = 760;
    private static final int H = 240;
    private static final int LEFT = 60;
    private static final int BOTTOM = 30;

    /** The median and the maximum of slices of consecutive samples, on a log scale. */
    static String overTime(long[] nanos) {
        int slices = Math.min(200, nanos.length);
        double[] median = new double[slices];
        double[] max = new double[slices];
        for (int i = 0; i < slices; i++) {
            int from = (int) ((long) i * nanos.length / slices);
            int to = (int) ((long) (i + 1) * nanos.length / slices);
            long[] part = Arrays.copyOfRange(nanos, from, Math.max(to, from + 1));
            Arrays.sort(part);
            median[i] = part[part.length / 2] / 1000.0;
            max[i] = part[part.length - 1] / 1000.0;
        }
        double lo = Math.max(0.1, Arrays.stream(median).min().orElse(1));
        double hi = Math.max(lo * 10, Arrays.stream(max).max().orElse(10));
        StringBuilder b = svgStart();
        logAxis(b, lo, hi);
        b.append(polyline(median, lo, hi, "#1f5fbf")).append(polyline(max, lo, hi, "#d08020"));
        b.append("<text x=\"").append(LEFT + 10).append("\" y=\"15\" fill=\"#1f5fbf\" font-size=\"12\">median</text>")
                .append("<text x=\"").append(LEFT + 70).append("\" y=\"15\" fill=\"#d08020\" font-size=\"12\">max</text>");
        b.append(axisLabel("sample (in order taken)")).append("</svg>\n");
        return b.toString();
    }

    /** Counts of samples in logarithmically spaced bins between the smallest and the largest. */
    static String histogram(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        double lo = Math.max(0.1, s[0] / 1000.0);
        double hi = Math.max(lo * 1.01, s[s.length - 1] / 1000.0);
        int bins = 40;
        long[] count = new long[bins];
        double span = Math.log(hi / lo);
        for (long n : s) {
            int bin = (int) Math.floor(Math.log(Math.max(lo, n / 1000.0) / lo) / span * bins);
            count[Math.min(bins - 1, Math.max(0, bin))]++;
        }
        long most = Arrays.stream(count).max().orElse(1);
        StringBuilder b = svgStart();
        double bw = (W - LEFT - 10) / (double) bins;
        for (int i = 0; i < bins; i++) {
            double h = (H - BOTTOM - 20) * count[i] / (double) most;
            b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#1f5fbf\">"
                            + "<title>%.1f–%.1f µs: %d</title></rect>", LEFT + i * bw, H - BOTTOM - h, Math.max(1, bw - 1), h,
                    lo * Math.exp(span * i / bins), lo * Math.exp(span * (i + 1) / bins), count[i]));
        }
        for (int i = 0; i <= 4; i++) {
            double v = lo * Math.exp(span * i / 4);
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s µs</text>",
                    LEFT + (W - LEFT - 10) * i / 4.0, H - 12, figure(v)));
        }
        b.append(String.format(Locale.ROOT, "<text x=\"5\" y=\"20\" font-size=\"11\">%,d</text>", most));
        b.append("</svg>\n");
        return b.toString();
    }

    private static StringBuilder svgStart() {
        return new StringBuilder("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + W + "\" height=\"" + H + "\">");
    }

    private static double y(double v, double lo, double hi) {
        double f = Math.log(Math.max(lo, v) / lo) / Math.log(hi / lo);
        return H - BOTTOM - f * (H - BOTTOM - 20);
    }

    private static void logAxis(StringBuilder b, double lo, double hi) {
        for (double d = Math.pow(10, Math.floor(Math.log10(lo))); d <= hi * 1.0001; d *= 10) {
            if (d < lo) {
                continue;
            }
            double y = y(d, lo, hi);
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"5\" y=\"%.1f\" font-size=\"11\">%s µs</text>", LEFT, W - 10, y, y, y + 4, figure(d)));
        }
    }

    private static String polyline(double[] v, double lo, double hi, String colour) {
        StringBuilder p = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            double x = LEFT + (W - LEFT - 10) * (v.length == 1 ? 0.5 : i / (double) (v.length - 1));
            p.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y(v[i], lo, hi)));
        }
        return "<polyline fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"1.5\" points=\"" + p.toString().strip() + "\"/>";
    }

    private static String axisLabel(String text) {
        return "<text x=\"" + (LEFT + (W - LEFT) / 2) + "\" y=\"" + (H - 8) + "\" font-size=\"11\" text-anchor=\"middle\">"
                + esc(text) + "</text>";
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Named series in a fixed order, for {@link #write}. */
    static Map<String, long[]> series(Object... nameThenNanos) {
        Map<String, long[]> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < nameThenNanos.length; i += 2) {
            if (nameThenNanos[i + 1] instanceof long[] v) {
                m.put((String) nameThenNanos[i], v);
            }
        }
        return m;
    }
}
