package dev.caxton.testkit.spec;

import java.util.Objects;

/**
 * The result of one command of a spec script.
 *
 * @param key     identifies the command in its script: its source line, with {@code #n} appended
 *                for the n-th command on a line
 * @param type    the command type, e.g. {@code assert_return}
 * @param outcome passed, failed or skipped
 * @param reason  why it failed or was skipped (one line); empty when it passed
 */
public record CommandResult(String key, String type, Outcome outcome, String reason) {

    /** Checks the parts and keeps the reason on one line. */
    public CommandResult {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(outcome, "outcome");
        reason = oneLine(reason == null ? "" : reason);
    }

    /**
     * Flattens a message onto one bounded line, since reasons end up in line-oriented files.
     *
     * @param s the message
     * @return the message without line breaks, at most 400 characters
     */
    static String oneLine(String s) {
        String flat = s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
        return flat.length() <= 400 ? flat : flat.substring(0, 397) + "...";
    }
}
