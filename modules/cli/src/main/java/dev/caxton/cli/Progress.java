package dev.caxton.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar on standard error for long benchmark runs: the phase, a bar and a
 * percentage, redrawn in place with a carriage return at most ten times a second, so drawing it
 * costs the measurement nothing it could notice.
 */
final class Progress {

    /** A bar that draws nothing. */
    static final Progress OFF = new Progress(null, false);

    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintWriter err;
    private final boolean on;
    private String phase = "";
    private long total = 1;
    private long lastDraw;
    private boolean drawn;

    /**
     * Creates a bar.
     *
     * @param err where to draw it
     * @param on  whether to draw at all
     */
    Progress(PrintWriter err, boolean on) {
        this.err = err;
        this.on = on && err != null;
    }

    /**
     * Starts a phase: what is being done and how many steps it has.
     *
     * @param name  the phase
     * @param steps its steps
     */
    void phase(String name, long steps) {
        if (!on) {
            return;
        }
        phase = name;
        total = Math.max(1, steps);
        lastDraw = 0;
        draw(0);
    }

    /**
     * Reports how far the phase is.
     *
     * @param done steps done
     */
    void at(long done) {
        if (!on) {
            return;
        }
        long now = System.nanoTime();
        if (done >= total || now - lastDraw >= REDRAW_NANOS) {
            lastDraw = now;
            draw(done);
        }
    }

    /** Ends the bar, leaving the line clean for the report. */
    void done() {
        if (on && drawn) {
            err.print("\r" + " ".repeat(WIDTH + 40) + "\r");
            err.flush();
            drawn = false;
        }
    }

    private void draw(long done) {
        int filled = (int) (WIDTH * Math.min(done, total) / total);
        err.print(String.format(Locale.ROOT, "\r%-18s [%s%s] %3d%%", phase, "#".repeat(filled), " ".repeat(WIDTH - filled),
                100 * Math.min(done, total) / total));
        err.flush();
        drawn = true;
    }
}
