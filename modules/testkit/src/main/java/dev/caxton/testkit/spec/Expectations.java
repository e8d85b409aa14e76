package dev.caxton.testkit.spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a configuration is known to do on the spec suite, checked in next to its tests: per script
 * the counts, the commands known to fail (with the reason at the time, for readers) and the
 * commands skipped. Everything else is expected to pass.
 *
 * <p>The file is line-oriented:
 * <pre>
 * # comments
 * script binary passed=100 failed=1 skipped=2
 *   fail 123 assert_malformed | expected the module to be rejected as malformed, but it compiled
 *   skip 200 201#2
 *   unstable 300 302 | why these pass in some runs and fail in others
 * </pre>
 * Commands are named by their {@code .wast} line ({@code #n} for the n-th on one line).
 *
 * <p>{@code unstable} lines are written by hand, for commands whose outcome an engine does not
 * determine (a result that depends on JIT state, say): they may pass or fail without comment.
 * Recording a new expectation from a run keeps them.
 */
public final class Expectations {

    /**
     * What one script is expected to do.
     *
     * @param passed  how many commands passed
     * @param failed  how many failed
     * @param skipped how many were skipped
     * @param fails    the failing commands: key to {@code type | reason}
     * @param skips    the skipped commands' keys
     * @param unstable the commands whose outcome varies between runs: key to the reason
     */
    record ScriptExpectation(int passed, int failed, int skipped, Map<String, String> fails, Set<String> skips,
                             Map<String, String> unstable) {
        int total() {
            return passed + failed + skipped;
        }
    }

    private final Map<String, ScriptExpectation> scripts;

    private Expectations(Map<String, ScriptExpectation> scripts) {
        this.scripts = Collections.unmodifiableMap(new TreeMap<>(scripts));
    }

    /**
     * Records a run as the new expectation.
     *
     * @param result the run
     * @return its expectations
     */
    public static Expectations of(SuiteResult result) {
        return of(result, null);
    }

    /**
     * Records a run as the new expectation, keeping the hand-written {@code unstable} entries of
     * the previous one (for commands the run still has).
     *
     * @param result   the run
     * @param previous the expectation it replaces, or null
     * @return its expectations
     */
    public static Expectations of(SuiteResult result, Expectations previous) {
        Map<String, ScriptExpectation> map = new TreeMap<>();
        for (ScriptResult s : result.scripts()) {
            ScriptExpectation old = previous == null ? null : previous.scripts.get(s.name());
            Map<String, String> unstable = new LinkedHashMap<>();
            Map<String, String> fails = new LinkedHashMap<>();
            Set<String> skips = new LinkedHashSet<>();
            for (CommandResult c : s.commands()) {
                if (old != null && old.unstable().containsKey(c.key())) {
                    unstable.put(c.key(), old.unstable().get(c.key()));
                } else if (c.outcome() == Outcome.FAILED) {
                    fails.put(c.key(), c.type() + " | " + c.reason());
                } else if (c.outcome() == Outcome.SKIPPED) {
                    skips.add(c.key());
                }
            }
            map.put(s.name(), new ScriptExpectation(s.passed(), s.failed(), s.skipped(), fails, skips, unstable));
        }
        return new Expectations(map);
    }

    /**
     * Reads an expectation file.
     *
     * @param file the file
     * @return its expectations
     * @throws IOException when it cannot be read
     * @throws IllegalArgumentException when a line is not in the format; the message gives the
     *         file and line
     */
    public static Expectations read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        Map<String, ScriptExpectation> map = new TreeMap<>();
        String script = null;
        int[] counts = null;
        Map<String, String> fails = null;
        Set<String> skips = null;
        Map<String, String> unstable = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            String where = file + ":" + (i + 1) + ": ";
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] words = line.split("\\s+");
            switch (words[0]) {
                case "script" -> {
                    if (script != null) {
                        map.put(script, new ScriptExpectation(counts[0], counts[1], counts[2], fails, skips, unstable));
                    }
                    if (words.length != 5) {
                        throw new IllegalArgumentException(where + "expected 'script NAME passed=N failed=N skipped=N', got: " + line);
                    }
                    script = words[1];
                    if (map.containsKey(script)) {
                        throw new IllegalArgumentException(where + "script " + script + " appears twice");
                    }
                    counts = new int[] {count(words[2], "passed", where), count(words[3], "failed", where),
                        count(words[4], "skipped", where)};
                    fails = new LinkedHashMap<>();
                    skips = new LinkedHashSet<>();
                    unstable = new LinkedHashMap<>();
                }
                case "fail" -> {
                    if (script == null) {
                        throw new IllegalArgumentException(where + "'fail' before any 'script' line");
                    }
                    String[] parts = line.split("\\s+", 3);
                    if (parts.length < 3) {
                        throw new IllegalArgumentException(where + "expected 'fail KEY TYPE | reason', got: " + line);
                    }
                    fails.put(parts[1], parts[2]);
                }
                case "skip" -> {
                    if (script == null) {
                        throw new IllegalArgumentException(where + "'skip' before any 'script' line");
                    }
                    skips.addAll(List.of(words).subList(1, words.length));
                }
                case "unstable" -> {
                    if (script == null) {
                        throw new IllegalArgumentException(where + "'unstable' before any 'script' line");
                    }
                    int bar = line.indexOf('|');
                    String reason = bar < 0 ? "" : line.substring(bar + 1).strip();
                    String[] keys = (bar < 0 ? line : line.substring(0, bar)).strip().split("\\s+");
                    if (keys.length < 2 || reason.isEmpty()) {
                        throw new IllegalArgumentException(where + "expected 'unstable KEY... | reason', got: " + line);
                    }
                    for (String key : List.of(keys).subList(1, keys.length)) {
                        unstable.put(key, reason);
                    }
                }
                default -> throw new IllegalArgumentException(where
                        + "expected a 'script', 'fail', 'skip' or 'unstable' line, got: " + line);
            }
        }
        if (script != null) {
            map.put(script, new ScriptExpectation(counts[0], counts[1], counts[2], fails, skips, unstable));
        }
        return new Expectations(map);
    }

    private static int count(String word, String name, String where) {
        if (!word.startsWith(name + "=")) {
            throw new IllegalArgumentException(where + "expected " + name + "=N, got " + word);
        }
        try {
            return Integer.parseInt(word.substring(name.length() + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + "expected " + name + "=N, got " + word, e);
        }
    }

    /** @return the scripts with an expectation, sorted */
    public Set<String> scripts() {
        return scripts.keySet();
    }

    /**
     * Writes the expectations.
     *
     * @param file   the file (its directory is created)
     * @param header comment lines to put first (without {@code #})
     * @throws IOException when it cannot be written
     */
    public void write(Path file, List<String> header) throws IOException {
        StringBuilder b = new StringBuilder();
        for (String h : header) {
            b.append("# ").append(h).append('\n');
        }
        for (Map.Entry<String, ScriptExpectation> e : scripts.entrySet()) {
            ScriptExpectation s = e.getValue();
            b.append("script ").append(e.getKey()).append(" passed=").append(s.passed()).append(" failed=")
                    .append(s.failed()).append(" skipped=").append(s.skipped()).append('\n');
            s.fails().forEach((key, what) -> b.append("  fail ").append(key).append(' ').append(what).append('\n'));
            List<String> skips = new ArrayList<>(s.skips());
            for (int i = 0; i < skips.size(); i += 16) {
                b.append("  skip ").append(String.join(" ", skips.subList(i, Math.min(skips.size(), i + 16)))).append('\n');
            }
            Map<String, List<String>> byReason = new LinkedHashMap<>();
            s.unstable().forEach((key, reason) -> byReason.computeIfAbsent(reason, r -> new ArrayList<>()).add(key));
            byReason.forEach((reason, keys) -> {
                for (int i = 0; i < keys.size(); i += 16) {
                    b.append("  unstable ").append(String.join(" ", keys.subList(i, Math.min(keys.size(), i + 16))))
                            .append(" | ").append(reason).append('\n');
                }
            });
        }
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Files.writeString(file, b.toString(), StandardCharsets.UTF_8);
    }

    /**
     * Compares a run with these expectations.
     *
     * @param result the run
     * @return the regressions (which should fail a build), the improvements and other changes
     */
    public Comparison compare(SuiteResult result) {
        List<String> regressions = new ArrayList<>();
        List<String> improvements = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Set<String> ran = new HashSet<>();
        for (ScriptResult s : result.scripts()) {
            ran.add(s.name());
            ScriptExpectation e = scripts.get(s.name());
            if (e == null) {
                regressions.add(s.name() + ": no expectation recorded for this script (record one with the update switch)");
                continue;
            }
            Set<String> keys = new HashSet<>();
            for (CommandResult c : s.commands()) {
                keys.add(c.key());
                String at = s.name() + ".wast:" + c.key() + " " + c.type();
                if (e.unstable().containsKey(c.key())) {
                    continue;
                }
                boolean knownFail = e.fails().containsKey(c.key());
                boolean knownSkip = e.skips().contains(c.key());
                switch (c.outcome()) {
                    case FAILED -> {
                        if (!knownFail) {
                            regressions.add(at + " now fails (expected it to " + (knownSkip ? "be skipped" : "pass")
                                    + "): " + c.reason());
                        }
                    }
                    case SKIPPED -> {
                        if (knownFail) {
                            notes.add(at + " is now skipped (it was a known failure): " + c.reason());
                        } else if (!knownSkip) {
                            regressions.add(at + " is now skipped (expected it to pass): " + c.reason());
                        }
                    }
                    case PASSED -> {
                        if (knownFail) {
                            improvements.add(at + " now passes (was a known failure)");
                        } else if (knownSkip) {
                            improvements.add(at + " now runs and passes (was skipped)");
                        }
                    }
                }
            }
            for (String key : e.fails().keySet()) {
                if (!keys.contains(key)) {
                    notes.add(s.name() + ".wast:" + key + " is listed as failing, but the script has no such command");
                }
            }
            if (e.total() != s.commands().size()) {
                notes.add(s.name() + ": " + s.commands().size() + " commands, but the expectation counts " + e.total()
                        + " (has the suite changed?)");
            }
        }
        for (String name : scripts.keySet()) {
            if (!ran.contains(name)) {
                regressions.add(name + ": expected to run, but the run has no such script");
            }
        }
        return new Comparison(regressions, improvements, notes);
    }

    /**
     * How a run differs from its expectations.
     *
     * @param regressions  commands expected to pass that now fail or are skipped, scripts missing
     *                     from the run or without an expectation
     * @param improvements known failures or skips that now pass
     * @param notes        other changes worth a look (a known failure now skipped, counts that
     *                     no longer add up)
     */
    public record Comparison(List<String> regressions, List<String> improvements, List<String> notes) {

        /** Copies the lists. */
        public Comparison {
            regressions = List.copyOf(Objects.requireNonNull(regressions, "regressions"));
            improvements = List.copyOf(Objects.requireNonNull(improvements, "improvements"));
            notes = List.copyOf(Objects.requireNonNull(notes, "notes"));
        }

        /** @return whether anything got worse */
        public boolean hasRegressions() {
            return !regressions.isEmpty();
        }

        /**
         * A readable account, for build output.
         *
         * @return the regressions, improvements and notes, one per line
         */
        public String describe() {
            StringBuilder b = new StringBuilder();
            section(b, "regressions", regressions);
            section(b, "improvements", improvements);
            section(b, "notes", notes);
            return b.isEmpty() ? "no differences from the expectation\n" : b.toString();
        }

        private static void section(StringBuilder b, String title, List<String> items) {
            if (items.isEmpty()) {
                return;
            }
            b.append(title).append(" (").append(items.size()).append("):\n");
            items.forEach(i -> b.append("  ").append(i).append('\n'));
        }
    }
}
