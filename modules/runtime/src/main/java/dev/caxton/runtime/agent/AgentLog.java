package dev.caxton.runtime.agent;

import java.util.function.LongSupplier;

/**
 * Everything the node logs on behalf of one agent: the lines the agent writes through the
 * {@code log} host function and the warnings about its refused host calls. Both are text the agent
 * controls, so each line is made safe and their rate is bounded:
 *
 * <ul>
 *   <li><b>escaping</b>: control characters become visible escapes (backslash-n, backslash-r,
 *       backslash-t, a doubled backslash, and backslash-x with two hex digits or a Unicode escape
 *       with four for the rest, ESC and NUL included), so one call is one line and cannot forge
 *       another line or drive the terminal;</li>
 *   <li><b>length</b>: a line longer than {@link #MAX_LINE_CHARS} characters is cut and marked
 *       {@code …[truncated, N chars]};</li>
 *   <li><b>rate</b>: a token bucket per agent ({@code runtime.agent_log_rate} lines a second,
 *       bursts up to {@code runtime.agent_log_burst}); lines past it are dropped and counted, and
 *       the next line that passes is preceded by "suppressed N lines".</li>
 * </ul>
 */
public final class AgentLog {

    /** The most characters one line keeps before it is cut. */
    public static final int MAX_LINE_CHARS = 4096;

    /** Where lines go; the node's logger in production, a list in tests. */
    @FunctionalInterface
    public interface Sink {
        /**
         * Writes one line, already escaped.
         *
         * @param level the level
         * @param line  the line, without the agent's name
         */
        void write(System.Logger.Level level, String line);
    }

    private static final long NANOS = 1_000_000_000L;

    private final Sink sink;
    private final LongSupplier clock;
    private final double ratePerNano;
    private final double burst;
    private double tokens;
    private long lastRefill;
    private long suppressed;

    /**
     * Creates a log for one agent.
     *
     * @param sink          where lines go
     * @param linesPerSecond the sustained rate
     * @param burst         the most lines at once after a quiet spell
     * @param clock         nanosecond clock ({@link System#nanoTime} outside tests)
     */
    public AgentLog(Sink sink, long linesPerSecond, long burst, LongSupplier clock) {
        if (linesPerSecond < 1 || burst < 1) {
            throw new IllegalArgumentException("rate and burst must be at least 1");
        }
        this.sink = sink;
        this.clock = clock;
        this.ratePerNano = (double) linesPerSecond / NANOS;
        this.burst = burst;
        this.tokens = burst;
        this.lastRefill = clock.getAsLong();
    }

    /**
     * Logs one line, escaped and cut, if the agent's rate allows.
     *
     * @param level the level
     * @param text  the raw text, as the agent (or a refusal about it) gives it
     * @return whether the line was written
     */
    public synchronized boolean log(System.Logger.Level level, String text) {
        long now = clock.getAsLong();
        tokens = Math.min(burst, tokens + (now - lastRefill) * ratePerNano);
        lastRefill = now;
        if (tokens < 1) {
            suppressed++;
            return false;
        }
        tokens -= 1;
        if (suppressed > 0) {
            sink.write(System.Logger.Level.WARNING, "suppressed " + suppressed + " lines (over runtime.agent_log_rate)");
            suppressed = 0;
        }
        sink.write(level, escape(text));
        return true;
    }

    /** @return the lines dropped since the last one written */
    public synchronized long suppressed() {
        return suppressed;
    }

    /**
     * Makes text safe for a one-line log record: control characters (C0, DEL, C1, and the Unicode
     * line and paragraph separators) become visible escapes, backslashes are doubled so an escape
     * cannot be faked, and text past {@link #MAX_LINE_CHARS} is cut with a marker.
     *
     * @param text the raw text
     * @return the escaped line
     */
    public static String escape(String text) {
        int keep = Math.min(text.length(), MAX_LINE_CHARS);
        if (keep < text.length() && Character.isHighSurrogate(text.charAt(keep - 1))) {
            keep--;
        }
        StringBuilder b = new StringBuilder(keep + 16);
        for (int i = 0; i < keep; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        b.append(String.format("\\x%02x", (int) c));
                    } else if ((c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029') {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        if (keep < text.length()) {
            b.append("…[truncated, ").append(text.length()).append(" chars]");
        }
        return b.toString();
    }
}
