package dev.caxton.testkit;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A strict reader of the Prometheus text exposition format 0.0.4 and of OpenMetrics 1.0.0, for
 * tests: it refuses what Prometheus' own parsers refuse (and a little more), so a test that reads
 * an exposition with it knows a real scraper will. No Java reference parser of these formats is
 * published (client_java writes them, never reads them), so this follows the grammars:
 *
 * <ul>
 *   <li>metric and label names, label value escapes ({@code \\}, {@code \"}, {@code \n} and no
 *       other), HELP escapes, float syntax ({@code NaN}, {@code +Inf}, exponents);</li>
 *   <li>one TYPE and one HELP per family, before its samples; a family's samples together; no
 *       series twice;</li>
 *   <li>counters: samples named {@code <family>} (text, where the family carries {@code _total}) or
 *       {@code <family>_total}/{@code _created} (OpenMetrics, where it must not), never negative;</li>
 *   <li>histograms: {@code _bucket} with an {@code le} label, bounds increasing per series, counts
 *       never decreasing, a {@code +Inf} bucket equal to {@code _count}, a {@code _sum};</li>
 *   <li>OpenMetrics: no blank or free comment lines, and {@code # EOF} last.</li>
 * </ul>
 */
public final class ExpositionParser {

    /** One sample. @param name its name @param labels its labels @param value its value */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    /** One family. @param name its name @param type its type @param help its help @param samples its samples */
    public record Family(String name, String type, String help, List<Sample> samples) {
    }

    /** A malformed exposition: the message names the line and what is wrong. */
    public static final class ParseException extends RuntimeException {
        ParseException(int line, String text, String why) {
            super("line " + line + ": " + why + ": " + text);
        }
    }

    private final boolean openMetrics;
    private final Map<String, Family> families = new LinkedHashMap<>();
    private final Set<String> closed = new HashSet<>();
    private final Set<String> series = new HashSet<>();
    private Family current;
    private int lineNo;
    private String line;

    private ExpositionParser(boolean openMetrics) {
        this.openMetrics = openMetrics;
    }

    /**
     * Parses text format 0.0.4.
     *
     * @param text the exposition
     * @return the families by name
     * @throws ParseException when anything is malformed
     */
    public static Map<String, Family> parseText(String text) {
        return new ExpositionParser(false).parse(text);
    }

    /**
     * Parses OpenMetrics 1.0.0.
     *
     * @param text the exposition
     * @return the families by name
     * @throws ParseException when anything is malformed
     */
    public static Map<String, Family> parseOpenMetrics(String text) {
        return new ExpositionParser(true).parse(text);
    }

    /**
     * The value of one series.
     *
     * @param families    what a parse returned
     * @param sampleName  the sample's name
     * @param labelValues label names and values, alternating; the series must have exactly these
     * @return the value, or null when no such series exists
     */
    public static Double value(Map<String, Family> families, String sampleName, String... labelValues) {
        Map<String, String> want = new LinkedHashMap<>();
        for (int i = 0; i < labelValues.length; i += 2) {
            want.put(labelValues[i], labelValues[i + 1]);
        }
        for (Family f : families.values()) {
            for (Sample s : f.samples()) {
                if (s.name().equals(sampleName) && s.labels().equals(want)) {
                    return s.value();
                }
            }
        }
        return null;
    }

    private Map<String, Family> parse(String text) {
        if (!text.isEmpty() && !text.endsWith("\n")) {
            fail("the exposition does not end with a newline");
        }
        String[] lines = text.split("\n", -1);
        boolean eof = false;
        for (int i = 0; i < lines.length - 1; i++) {
            lineNo = i + 1;
            line = lines[i];
            if (eof) {
                fail("content after # EOF");
            }
            if (line.isEmpty()) {
                if (openMetrics) {
                    fail("blank line (OpenMetrics allows none)");
                }
                continue;
            }
            if (line.equals("# EOF") && openMetrics) {
                eof = true;
                continue;
            }
            if (line.startsWith("#")) {
                comment();
            } else {
                sample();
            }
        }
        if (openMetrics && !eof) {
            lineNo = lines.length;
            line = "";
            fail("no # EOF at the end");
        }
        finishFamily();
        return families;
    }

    private void comment() {
        if (!line.startsWith("# HELP ") && !line.startsWith("# TYPE ") && !line.startsWith("# UNIT ")) {
            if (openMetrics) {
                fail("a comment other than HELP, TYPE or UNIT");
            }
            return;
        }
        String kind = line.substring(2, 6);
        String rest = line.substring(7);
        int sp = rest.indexOf(' ');
        String name = sp < 0 ? rest : rest.substring(0, sp);
        if (!name.matches("[a-zA-Z_:][a-zA-Z0-9_:]*")) {
            fail("bad metric name '" + name + "'");
        }
        if (sp < 0 && !kind.equals("HELP")) {
            fail(kind + " without a value");
        }
        String arg = sp < 0 ? "" : rest.substring(sp + 1);
        Family f = familyFor(name);
        switch (kind) {
            case "HELP" -> {
                if (f.help() != null) {
                    fail("second HELP for " + name);
                }
                if (!f.samples().isEmpty()) {
                    fail("HELP after samples of " + name);
                }
                replace(new Family(name, f.type(), unescape(arg, true), f.samples()));
            }
            case "TYPE" -> {
                if (f.type() != null) {
                    fail("second TYPE for " + name);
                }
                if (!f.samples().isEmpty()) {
                    fail("TYPE after samples of " + name);
                }
                Set<String> types = openMetrics
                        ? Set.of("counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset", "unknown")
                        : Set.of("counter", "gauge", "histogram", "summary", "untyped");
                if (!types.contains(arg)) {
                    fail("unknown type '" + arg + "'");
                }
                if (openMetrics && arg.equals("counter") && name.endsWith("_total")) {
                    fail("an OpenMetrics counter family is named without _total");
                }
                replace(new Family(name, arg, f.help(), f.samples()));
            }
            default -> {
                if (!openMetrics) {
                    return;
                }
                if (!name.endsWith("_" + arg)) {
                    fail("UNIT " + arg + " but the name does not end with it");
                }
            }
        }
    }

    private Family familyFor(String name) {
        if (current != null && current.name().equals(name)) {
            return current;
        }
        if (families.containsKey(name) || closed.contains(name)) {
            fail("family " + name + " appears twice");
        }
        finishFamily();
        current = new Family(name, null, null, new ArrayList<>());
        families.put(name, current);
        return current;
    }

    private void replace(Family f) {
        current = f;
        families.put(f.name(), f);
    }

    private void sample() {
        int i = 0;
        while (i < line.length() && isNameChar(line.charAt(i), i == 0)) {
            i++;
        }
        if (i == 0) {
            fail("a sample must start with a metric name");
        }
        String name = line.substring(0, i);
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i = labels(i + 1, labels);
        }
        if (i >= line.length() || line.charAt(i) != ' ') {
            fail("a single space must separate the series from its value");
        }
        String[] rest = line.substring(i + 1).split(" ", -1);
        if (rest.length > 2 || rest[0].isEmpty()) {
            fail("expected a value and at most a timestamp");
        }
        double value = number(rest[0]);
        if (rest.length == 2) {
            number(rest[1]);
        }
        String key = name + labels;
        if (!series.add(key)) {
            fail("series " + key + " appears twice");
        }
        Family f = owner(name);
        f.samples().add(new Sample(name, labels, value));
    }

    /** The family a sample belongs to: the current one when its name fits, else an untyped one. */
    private Family owner(String name) {
        if (current != null && belongs(current, name)) {
            return current;
        }
        if (openMetrics) {
            fail("sample " + name + " has no TYPE of its own family before it (or its family's samples are not together)");
        }
        Family f = familyFor(name);
        if (f.type() == null) {
            replace(new Family(name, "untyped", f.help(), f.samples()));
        }
        return current;
    }

    private boolean belongs(Family f, String name) {
        String type = f.type() == null ? "untyped" : f.type();
        String base = f.name();
        return switch (type) {
            case "counter" -> openMetrics ? name.equals(base + "_total") || name.equals(base + "_created")
                    : name.equals(base);
            case "histogram", "gaugehistogram" -> name.equals(base + "_bucket") || name.equals(base + "_sum")
                    || name.equals(base + "_count") || name.equals(base + "_created")
                    || name.equals(base + "_gcount") || name.equals(base + "_gsum");
            case "summary" -> name.equals(base) || name.equals(base + "_sum") || name.equals(base + "_count")
                    || name.equals(base + "_created");
            case "info" -> name.equals(base + "_info");
            default -> name.equals(base);
        };
    }

    private void finishFamily() {
        Family f = current;
        if (f == null) {
            return;
        }
        closed.add(f.name());
        current = null;
        if (f.type() == null && openMetrics && f.samples().isEmpty()) {
            return;
        }
        String type = f.type() == null ? "untyped" : f.type();
        if (type.equals("counter")) {
            for (Sample s : f.samples()) {
                if (s.value() < 0 || Double.isNaN(s.value())) {
                    fail("counter " + s.name() + " is " + s.value());
                }
            }
            if (!openMetrics && !f.name().endsWith("_total")) {
                fail("counter " + f.name() + " does not end with _total (Prometheus naming)");
            }
        }
        if (type.equals("histogram")) {
            checkHistogram(f);
        }
    }

    private void checkHistogram(Family f) {
        Map<Map<String, String>, List<Sample>> buckets = new LinkedHashMap<>();
        Map<Map<String, String>, Double> counts = new LinkedHashMap<>();
        Set<Map<String, String>> sums = new HashSet<>();
        for (Sample s : f.samples()) {
            Map<String, String> rest = new LinkedHashMap<>(s.labels());
            if (s.name().endsWith("_bucket")) {
                if (rest.remove("le") == null) {
                    fail("bucket of " + f.name() + " without le");
                }
                buckets.computeIfAbsent(rest, k -> new ArrayList<>()).add(s);
            } else if (s.name().endsWith("_count")) {
                counts.put(rest, s.value());
            } else if (s.name().endsWith("_sum")) {
                sums.add(rest);
            }
        }
        if (buckets.isEmpty()) {
            fail("histogram " + f.name() + " has no buckets");
        }
        for (var e : buckets.entrySet()) {
            double lastLe = Double.NEGATIVE_INFINITY;
            double lastCount = 0;
            for (Sample b : e.getValue()) {
                double le = number(b.labels().get("le"));
                if (!(le > lastLe)) {
                    fail("bucket bounds of " + f.name() + " do not increase at le=" + b.labels().get("le"));
                }
                if (b.value() < lastCount) {
                    fail("bucket counts of " + f.name() + " decrease at le=" + b.labels().get("le"));
                }
                lastLe = le;
                lastCount = b.value();
            }
            if (lastLe != Double.POSITIVE_INFINITY) {
                fail("histogram " + f.name() + " has no +Inf bucket");
            }
            Double count = counts.get(e.getKey());
            if (count == null || count != lastCount) {
                fail("histogram " + f.name() + " _count " + count + " differs from its +Inf bucket " + lastCount);
            }
            if (!sums.contains(e.getKey())) {
                fail("histogram " + f.name() + " has no _sum");
            }
        }
    }

    private int labels(int i, Map<String, String> into) {
        boolean first = true;
        while (true) {
            if (i >= line.length()) {
                fail("unterminated label set");
            }
            if (line.charAt(i) == '}') {
                return i + 1;
            }
            if (!first) {
                if (line.charAt(i) != ',') {
                    fail("labels must be separated by ','");
                }
                i++;
                if (i < line.length() && line.charAt(i) == '}' && !openMetrics) {
                    return i + 1;
                }
            }
            int start = i;
            while (i < line.length() && isLabelChar(line.charAt(i), i == start)) {
                i++;
            }
            if (i == start) {
                fail("bad label name at column " + (i + 1));
            }
            String name = line.substring(start, i);
            if (i + 1 >= line.length() || line.charAt(i) != '=' || line.charAt(i + 1) != '"') {
                fail("label " + name + " must be followed by =\"");
            }
            i += 2;
            StringBuilder v = new StringBuilder();
            while (true) {
                if (i >= line.length()) {
                    fail("unterminated value of label " + name);
                }
                char ch = line.charAt(i);
                if (ch == '"') {
                    i++;
                    break;
                }
                if (ch == '\\') {
                    if (i + 1 >= line.length()) {
                        fail("dangling backslash in label " + name);
                    }
                    char n = line.charAt(i + 1);
                    switch (n) {
                        case '\\' -> v.append('\\');
                        case '"' -> v.append('"');
                        case 'n' -> v.append('\n');
                        default -> fail("bad escape \\" + n + " in label " + name);
                    }
                    i += 2;
                } else {
                    v.append(ch);
                    i++;
                }
            }
            if (into.put(name, v.toString()) != null) {
                fail("label " + name + " given twice");
            }
            first = false;
        }
    }

    private String unescape(String s, boolean help) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch != '\\') {
                b.append(ch);
                continue;
            }
            if (i + 1 >= s.length()) {
                fail("dangling backslash in HELP");
            }
            char n = s.charAt(++i);
            switch (n) {
                case '\\' -> b.append('\\');
                case 'n' -> b.append('\n');
                case '"' -> {
                    if (!openMetrics && help) {
                        fail("\\\" is not an escape in text-format HELP");
                    }
                    b.append('"');
                }
                default -> fail("bad escape \\" + n + " in HELP");
            }
        }
        return b.toString();
    }

    private double number(String s) {
        switch (s) {
            case "NaN":
                return Double.NaN;
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            default:
                if (!s.matches("[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?")) {
                    fail("not a number: '" + s + "'");
                }
                return Double.parseDouble(s);
        }
    }

    private static boolean isNameChar(char c, boolean first) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || !first && c >= '0' && c <= '9';
    }

    private static boolean isLabelChar(char c, boolean first) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || !first && c >= '0' && c <= '9';
    }

    private void fail(String why) {
        throw new ParseException(lineNo, line, why);
    }
}
