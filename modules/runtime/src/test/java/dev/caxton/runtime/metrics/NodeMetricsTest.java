package dev.caxton.runtime.metrics;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class NodeMetricsTest {

    @Test
    void theRateIsTheWindowsDifferenceOverItsTime() {
        AtomicLong clock = new AtomicLong();
        NodeMetrics m = new NodeMetrics(clock::get);
        assertThat(m.messagesPerSecond()).as("no samples yet").isZero();
        m.tick();
        for (int i = 0; i < 300; i++) {
            m.processed(1000);
        }
        clock.addAndGet(2_000_000_000L);
        m.tick();
        assertThat(m.messagesPerSecond()).isEqualTo(150.0);

        // Fill the window; samples older than it drop out, so an idle node falls back to zero.
        for (int i = 0; i < NodeMetrics.RATE_WINDOW_SECONDS + 1; i++) {
            clock.addAndGet(1_000_000_000L);
            m.tick();
        }
        assertThat(m.messagesPerSecond()).isZero();
        assertThat(m.processedTotal()).isEqualTo(300);
        assertThat(m.processing().snapshot().count()).isEqualTo(300);
    }

    @Test
    void convergenceTimesFallInBucketsFromMillisecondsToAMinute() {
        NodeMetrics m = new NodeMetrics();
        m.gossipConvergence().recordNanos(3_000_000L);
        m.gossipConvergence().recordNanos(40_000_000_000L);
        m.gossipConvergence().recordNanos(120_000_000_000L);
        Histogram.Snapshot s = m.gossipConvergence().snapshot();
        assertThat(s.bounds()).startsWith(0.005).endsWith(60.0);
        assertThat(s.cumulative()[0]).as("3 ms in the first bucket").isEqualTo(1);
        assertThat(s.cumulative()[s.bounds().length - 1]).as("40 s within a minute").isEqualTo(2);
        assertThat(s.count()).as("two minutes only in +Inf").isEqualTo(3);
        assertThat(m.processing().snapshot().count()).as("a histogram of its own").isZero();
    }

    @Test
    void deadLettersAreCountedPerCategory() {
        NodeMetrics m = new NodeMetrics();
        m.deadLettered(DeadLetterReason.FAULT);
        m.deadLettered(DeadLetterReason.FAULT);
        m.deadLettered(DeadLetterReason.HOP_LIMIT);
        assertThat(m.deadLetters(DeadLetterReason.FAULT)).isEqualTo(2);
        assertThat(m.deadLetters(DeadLetterReason.HOP_LIMIT)).isEqualTo(1);
        assertThat(m.deadLetters(DeadLetterReason.OTHER)).isZero();
    }
}
