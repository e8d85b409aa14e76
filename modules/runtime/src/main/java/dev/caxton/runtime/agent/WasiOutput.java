package dev.caxton.runtime.agent;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A WASI agent's stdout or stderr: bytes become lines of the agent's log, one per newline, under the
 * same rate limit as the {@code log} import. A line longer than the log keeps is cut there, so a
 * guest that never writes a newline cannot make the host buffer without bound.
 */
final class WasiOutput extends OutputStream {

    private final AgentLog log;
    private final System.Logger.Level level;
    private final int maxBytes;
    private byte[] buf = new byte[256];
    private int len;

    /**
     * @param log      the agent's log
     * @param level    the level of every line (stderr warns, stdout informs)
     * @param maxBytes the longest line in bytes before it is written out anyway
     */
    WasiOutput(AgentLog log, System.Logger.Level level, int maxBytes) {
        this.log = log;
        this.level = level;
        this.maxBytes = maxBytes;
    }

    @Override
    public synchronized void write(int b) {
        if (b == '\n') {
            emit();
            return;
        }
        if (len == buf.length) {
            buf = Arrays.copyOf(buf, Math.min(buf.length * 2, maxBytes));
        }
        buf[len++] = (byte) b;
        if (len >= maxBytes) {
            emit();
        }
    }

    @Override
    public synchronized void write(byte[] b, int off, int n) {
        for (int i = off; i < off + n; i++) {
            write(b[i]);
        }
    }

    /** Writes out a partial line, so that output without a final newline still shows once a call ends. */
    @Override
    public synchronized void flush() {
        if (len > 0) {
            emit();
        }
    }

    private void emit() {
        String line = new String(buf, 0, len, StandardCharsets.UTF_8);
        len = 0;
        log.log(level, line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
    }
}
