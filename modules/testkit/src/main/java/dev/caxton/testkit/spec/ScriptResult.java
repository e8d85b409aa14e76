package dev.caxton.testkit.spec;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The results of one spec script.
 *
 * @param name     the script name, e.g. {@code i32}
 * @param commands one result per command, in script order
 * @param elapsed  how long the script took
 */
public record ScriptResult(String name, List<CommandResult> commands, Duration elapsed) {

    /** Copies the list. */
    public ScriptResult {
        Objects.requireNonNull(name, "name");
        commands = List.copyOf(commands);
        Objects.requireNonNull(elapsed, "elapsed");
    }

    /**
     * Counts the commands with an outcome.
     *
     * @param outcome the outcome
     * @return how many commands ended so
     */
    public int count(Outcome outcome) {
        return (int) commands.stream().filter(c -> c.outcome() == outcome).count();
    }

    /** @return how many commands passed */
    public int passed() {
        return count(Outcome.PASSED);
    }

    /** @return how many commands failed */
    public int failed() {
        return count(Outcome.FAILED);
    }

    /** @return how many commands were skipped */
    public int skipped() {
        return count(Outcome.SKIPPED);
    }
}
