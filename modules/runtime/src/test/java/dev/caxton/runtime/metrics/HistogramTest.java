package dev.caxton.runtime.metrics;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HistogramTest {

    @Test
    void durationsLandInTheFirstBucketTheyDoNotExceedAndBucketsAreCumulative() {
        Histogram h = new Histogram(new double[] {0.001, 0.01, 1});
        h.recordNanos(1_000_000);      // exactly 1 ms: the le="0.001" bucket (le is inclusive)
        h.recordNanos(1_000_001);      // just past it
        h.recordNanos(500_000_000);
        h.recordNanos(20_000_000_000L); // past every bound: +Inf only
        h.recordNanos(-5);              // a clock step: counted as zero

        Histogram.Snapshot s = h.snapshot();

        assertThat(s.cumulative()).containsExactly(2, 3, 4, 5);
        assertThat(s.count()).isEqualTo(5);
        assertThat(s.sumSeconds()).isCloseTo(0.001 + 0.001000001 + 0.5 + 20, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void theDefaultBoundsSpanTenMicrosecondsToTenSeconds() {
        assertThat(Histogram.LATENCY_BOUNDS_SECONDS[0]).isEqualTo(0.00001);
        assertThat(Histogram.LATENCY_BOUNDS_SECONDS[Histogram.LATENCY_BOUNDS_SECONDS.length - 1]).isEqualTo(10);
        assertThatThrownBy(() -> new Histogram(new double[] {1, 1})).hasMessageContaining("must increase");
    }

    @Test
    void threadsRecordingAtOnceLoseNothing() throws Exception {
        Histogram h = Histogram.latency();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int offset = t;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 50_000; i++) {
                    h.recordNanos((i + offset) * 1_000L);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(h.snapshot().count()).isEqualTo(200_000);
    }
}
