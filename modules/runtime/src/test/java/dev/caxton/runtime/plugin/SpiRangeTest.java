package dev.caxton.runtime.plugin;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SpiRangeTest {

    @Test
    void boundsAreInclusiveOrExclusiveAsWritten() {
        SpiRange r = SpiRange.parse("[1.0,2.0)");
        assertThat(r.contains("1.0")).isTrue();
        assertThat(r.contains("1.9")).isTrue();
        assertThat(r.contains("2.0")).isFalse();
        assertThat(r.contains("0.9")).isFalse();
        assertThat(SpiRange.parse("(1.0,2.0]").contains("1.0")).isFalse();
        assertThat(SpiRange.parse("(1.0,2.0]").contains("2.0")).isTrue();
    }

    @Test
    void openEndsAndSingleVersions() {
        assertThat(SpiRange.parse("[1.2,)").contains("7.0")).isTrue();
        assertThat(SpiRange.parse("[1.2,)").contains("1.1")).isFalse();
        assertThat(SpiRange.parse("(,2)").contains("1.9")).isTrue();
        assertThat(SpiRange.parse("[1.0]").contains("1.0")).isTrue();
        assertThat(SpiRange.parse("[1.0]").contains("1.1")).isFalse();
        assertThat(SpiRange.parse("[1,2)").contains("1.10")).isTrue();
    }

    @Test
    void badRangesSayHowToWriteThem() {
        assertThatThrownBy(() -> SpiRange.parse("1.0")).hasMessageContaining("[1.0,2.0)");
        assertThatThrownBy(() -> SpiRange.parse("[a.b,2.0)")).hasMessageContaining("'a.b' is not a major.minor");
        assertThatThrownBy(() -> SpiRange.parse("[3.0,2.0)")).hasMessageContaining("lower bound is above");
        assertThatThrownBy(() -> SpiRange.parse("[,)")).hasMessageContaining("no bound");
        assertThatThrownBy(() -> SpiRange.parse("[1.0.1,2.0)")).hasMessageContaining("major.minor");
    }
}
