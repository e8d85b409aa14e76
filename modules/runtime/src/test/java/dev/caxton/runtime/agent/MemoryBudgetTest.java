package dev.caxton.runtime.agent;

import dev.caxton.runtime.api.DeployException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import org.junit.jupiter.api.Test;

class MemoryBudgetTest {

    private static final long MB = 1L << 20;

    @Test
    void limitsAddUpUntilTheBudgetIsFull() {
        MemoryBudget b = new MemoryBudget(100 * MB);
        b.reserve("a", 40 * MB);
        b.reserve("b", 60 * MB);
        assertThat(b.inUse()).isEqualTo(100 * MB);
        assertThatThrownBy(() -> b.reserve("c", 64 * 1024))
                .isInstanceOfSatisfying(DeployException.class, e -> assertThat(e.kind()).isEqualTo(DeployException.Kind.CAPACITY))
                .hasMessageContaining("65536 bytes")
                .hasMessageContaining("already hold " + 100 * MB + " bytes")
                .hasMessageContaining("runtime.memory_budget " + 100 * MB + " bytes");
        assertThat(b.inUse()).isEqualTo(100 * MB);
    }

    @Test
    void releasingGivesTheLimitBack() {
        MemoryBudget b = new MemoryBudget(100 * MB);
        b.reserve("a", 80 * MB);
        b.release("a");
        b.release("a");
        assertThat(b.inUse()).isZero();
        b.reserve("b", 100 * MB);
        assertThat(b.inUse()).isEqualTo(100 * MB);
    }

    @Test
    void rebookingAnAgentCountsOnlyTheDifference() {
        MemoryBudget b = new MemoryBudget(100 * MB);
        b.reserve("a", 70 * MB);
        b.reserve("a", 90 * MB);
        assertThat(b.inUse()).isEqualTo(90 * MB);
        assertThatThrownBy(() -> b.reserve("a", 101 * MB)).isInstanceOf(DeployException.class);
        assertThat(b.inUse()).isEqualTo(90 * MB);
    }

    @Test
    void hugeRequestsDoNotOverflow() {
        MemoryBudget b = new MemoryBudget(100 * MB);
        b.reserve("a", 50 * MB);
        assertThatThrownBy(() -> b.reserve("b", Long.MAX_VALUE)).isInstanceOf(DeployException.class);
        assertThat(b.inUse()).isEqualTo(50 * MB);
    }

    @Test
    void theDefaultIsHalfTheHeap() {
        assertThat(MemoryBudget.resolve(0, 6L << 30)).isEqualTo(3L << 30);
        assertThat(MemoryBudget.resolve(123 * MB, 6L << 30)).isEqualTo(123 * MB);
    }
}
