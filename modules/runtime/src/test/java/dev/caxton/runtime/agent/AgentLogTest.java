package dev.caxton.runtime.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AgentLogTest {

    private final List<String> lines = new ArrayList<>();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private AgentLog log(long rate, long burst) {
        return new AgentLog((level, line) -> lines.add(level + " " + line), rate, burst, now::get);
    }

    @Test
    void newlinesAndControlBytesCannotForgeLines() {
        String forged = "ok\n2026-01-01 00:00:00 SEVERE dev.caxton.server.CaxtonServer: FAKE admin token leaked\r\u001b[31m\u0000\u0007";
        String line = AgentLog.escape(forged);
        assertThat(line).doesNotContain("\n", "\r", "\u001b", "\u0000", "\u0007");
        assertThat(line).isEqualTo("ok\\n2026-01-01 00:00:00 SEVERE dev.caxton.server.CaxtonServer: FAKE admin token leaked"
                + "\\r\\x1b[31m\\x00\\x07");
    }

    @Test
    void backslashesAreDoubledSoEscapesCannotBeFaked() {
        assertThat(AgentLog.escape("a\\nb")).isEqualTo("a\\\\nb");
    }

    @Test
    void unicodeLineSeparatorsAndC1ControlsAreEscaped() {
        assertThat(AgentLog.escape("a\u2028b\u0085c")).isEqualTo("a\\u2028b\\u0085c");
        assertThat(AgentLog.escape("grüße ✓")).isEqualTo("grüße ✓");
    }

    @Test
    void longLinesAreCutAndMarked() {
        String line = AgentLog.escape("x".repeat(100_000));
        assertThat(line).startsWith("x".repeat(AgentLog.MAX_LINE_CHARS)).endsWith("…[truncated, 100000 chars]");
        assertThat(line.length()).isLessThan(AgentLog.MAX_LINE_CHARS + 40);
    }

    @Test
    void aFloodIsBoundedAndSummarisedWhenLoggingResumes() {
        AgentLog log = log(10, 20);
        int written = 0;
        for (int i = 0; i < 100_000; i++) {
            if (log.log(System.Logger.Level.INFO, "spam " + i)) {
                written++;
            }
        }
        assertThat(written).isEqualTo(20);
        assertThat(lines).hasSize(20);
        assertThat(log.suppressed()).isEqualTo(100_000 - 20);

        now.addAndGet(1_000_000_000L);
        assertThat(log.log(System.Logger.Level.INFO, "after")).isTrue();
        assertThat(lines.get(20)).isEqualTo("WARNING suppressed 99980 lines (over runtime.agent_log_rate)");
        assertThat(lines.get(21)).isEqualTo("INFO after");
        assertThat(log.suppressed()).isZero();
    }

    @Test
    void theRateRefillsOverTime() {
        AgentLog log = log(10, 1);
        assertThat(log.log(System.Logger.Level.INFO, "a")).isTrue();
        assertThat(log.log(System.Logger.Level.INFO, "b")).isFalse();
        now.addAndGet(50_000_000L);
        assertThat(log.log(System.Logger.Level.INFO, "c")).isFalse();
        now.addAndGet(60_000_000L);
        assertThat(log.log(System.Logger.Level.INFO, "d")).isTrue();
    }
}
