package dev.caxton.testkit.spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The results of a spec suite run: one {@link ScriptResult} per script, and a text report.
 *
 * @param engine  the engine's own description ({@code EngineFeatures.description()})
 * @param suite   the suite directory
 * @param scripts the script results, by script name
 * @param elapsed how long the whole run took (wall clock)
 */
public record SuiteResult(String engine, Path suite, List<ScriptResult> scripts, Duration elapsed) {

    /** Copies the list. */
    public SuiteResult {
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(suite, "suite");
        scripts = List.copyOf(scripts);
        Objects.requireNonNull(elapsed, "elapsed");
    }

    /**
     * Counts the commands of every script with an outcome.
     *
     * @param outcome the outcome
     * @return the total
     */
    public int total(Outcome outcome) {
        return scripts.stream().mapToInt(s -> s.count(outcome)).sum();
    }

    /**
     * Finds a script's result.
     *
     * @param name the script name
     * @return the result, or null when the script was not run
     */
    public ScriptResult script(String name) {
        return scripts.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
    }

    /**
     * A one-line summary.
     *
     * @return e.g. {@code 90 scripts, 27000 commands: 25000 passed, 10 failed, 1990 skipped (41.2 s)}
     */
    public String summary() {
        int p = total(Outcome.PASSED);
        int f = total(Outcome.FAILED);
        int s = total(Outcome.SKIPPED);
        return String.format(Locale.ROOT, "%d scripts, %d commands: %d passed, %d failed, %d skipped (%.1f s)",
                scripts.size(), p + f + s, p, f, s, elapsed.toMillis() / 1000.0);
    }

    /**
     * The full text report: totals, a table of scripts, every failure with its reason, and the
     * skips grouped by reason.
     *
     * @return the report
     */
    public String report() {
        StringBuilder b = new StringBuilder();
        b.append("WebAssembly core spec suite on ").append(engine).append('\n');
        b.append("suite: ").append(suite).append('\n');
        b.append("total: ").append(summary()).append("\n\n");

        int width = Math.max(6, scripts.stream().mapToInt(s -> s.name().length()).max().orElse(6));
        b.append(String.format(Locale.ROOT, "%-" + width + "s %7s %7s %7s %8s%n", "script", "passed", "failed",
                "skipped", "time"));
        for (ScriptResult s : scripts) {
            b.append(String.format(Locale.ROOT, "%-" + width + "s %7d %7d %7d %7.2fs%n", s.name(), s.passed(),
                    s.failed(), s.skipped(), s.elapsed().toMillis() / 1000.0));
        }

        b.append("\nfailures (").append(total(Outcome.FAILED)).append("):\n");
        for (ScriptResult s : scripts) {
            for (CommandResult c : s.commands()) {
                if (c.outcome() == Outcome.FAILED) {
                    b.append("  ").append(s.name()).append(".wast:").append(c.key()).append(' ').append(c.type())
                            .append(": ").append(c.reason()).append('\n');
                }
            }
        }

        b.append("\nskipped (").append(total(Outcome.SKIPPED)).append("), by reason:\n");
        Map<String, Map<String, Integer>> byReason = new TreeMap<>();
        for (ScriptResult s : scripts) {
            for (CommandResult c : s.commands()) {
                if (c.outcome() == Outcome.SKIPPED) {
                    byReason.computeIfAbsent(c.type() + ": " + c.reason(), k -> new LinkedHashMap<>())
                            .merge(s.name(), 1, Integer::sum);
                }
            }
        }
        List<Map.Entry<String, Map<String, Integer>>> groups = new ArrayList<>(byReason.entrySet());
        groups.sort((x, y) -> Integer.compare(sum(y.getValue()), sum(x.getValue())));
        for (Map.Entry<String, Map<String, Integer>> g : groups) {
            b.append(String.format(Locale.ROOT, "  %5d  %s%n", sum(g.getValue()), g.getKey()));
            StringBuilder where = new StringBuilder();
            g.getValue().forEach((script, n) -> where.append(where.isEmpty() ? "" : ", ").append(script)
                    .append(" (").append(n).append(')'));
            b.append("         in ").append(where).append('\n');
        }
        return b.toString();
    }

    /**
     * Writes {@link #report()} to a file, creating its directory.
     *
     * @param file the file
     * @throws IOException when it cannot be written
     */
    public void writeReport(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Files.writeString(file, report(), StandardCharsets.UTF_8);
    }

    private static int sum(Map<String, Integer> counts) {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }
}
