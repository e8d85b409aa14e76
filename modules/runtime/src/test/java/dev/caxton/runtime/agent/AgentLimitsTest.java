package dev.caxton.runtime.agent;

import dev.caxton.runtime.api.AgentLimits;
import dev.caxton.runtime.api.DeployException;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import java.time.Duration;
import org.junit.jupiter.api.Test;

class AgentLimitsTest {

    @Test
    void limitsInRangePass() {
        assertThatCode(() -> new AgentLimits(64 * 1024, Duration.ZERO, 0).validate()).doesNotThrowAnyException();
        assertThatCode(() -> new AgentLimits(4L << 30, Duration.ofDays(1), Long.MAX_VALUE).validate()).doesNotThrowAnyException();
    }

    @Test
    void aHugeMemoryLimitIsRefusedByNameWithTheRange() {
        assertThatThrownBy(() -> new AgentLimits(Long.MAX_VALUE, Duration.ofSeconds(5), 0).validate())
                .isInstanceOf(DeployException.class)
                .hasMessageContaining("limits.memory_bytes")
                .hasMessageContaining("9223372036854775807")
                .hasMessageContaining("65536 to 4294967296");
    }

    @Test
    void aMemoryLimitBelowOnePageIsRefused() {
        assertThatThrownBy(() -> new AgentLimits(1000, Duration.ofSeconds(5), 0).validate())
                .hasMessageContaining("limits.memory_bytes");
    }

    @Test
    void anExecutionTimeoutPastADayIsRefused() {
        assertThatThrownBy(() -> new AgentLimits(1 << 20, Duration.ofDays(2), 0).validate())
                .hasMessageContaining("limits.execution_timeout_ms")
                .hasMessageContaining("86400000");
    }
}
