package dev.caxton.runtime.metrics;

import dev.caxton.testkit.ExpositionParser;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExpositionTest {

    private static final String NASTY = "a\\b\"c\nd";

    private static String sample(Exposition.Format f) {
        Histogram h = Histogram.latency();
        h.recordNanos(15_000);
        h.recordNanos(3_000_000);
        Exposition x = new Exposition(f);
        x.counter("demo_requests_total", "Requests \"served\" \\ so far\nsecond line.", 7);
        x.gauge("demo_ratio", "A ratio.", 0.25);
        x.family("demo_by_label_total", "counter", "By label.")
                .sample("demo_by_label_total", 3L, "agent", NASTY)
                .sample("demo_by_label_total", 4L, "agent", "plain");
        x.histogram("demo_latency_seconds", "Latency.", h.snapshot());
        x.gauge("demo_special", "NaN is a value.", Double.NaN);
        return x.finish();
    }

    @Test
    void theTextFormatParsesStrictlyAndKeepsValuesAndEscapes() {
        String text = sample(Exposition.Format.TEXT);
        Map<String, ExpositionParser.Family> f = ExpositionParser.parseText(text);

        assertThat(f.get("demo_requests_total").type()).isEqualTo("counter");
        assertThat(f.get("demo_requests_total").help()).isEqualTo("Requests \"served\" \\ so far\nsecond line.");
        assertThat(ExpositionParser.value(f, "demo_requests_total")).isEqualTo(7.0);
        assertThat(ExpositionParser.value(f, "demo_by_label_total", "agent", NASTY)).isEqualTo(3.0);
        assertThat(ExpositionParser.value(f, "demo_latency_seconds_bucket", "le", "0.00001")).isEqualTo(0.0);
        assertThat(ExpositionParser.value(f, "demo_latency_seconds_bucket", "le", "0.000025")).isEqualTo(1.0);
        assertThat(ExpositionParser.value(f, "demo_latency_seconds_bucket", "le", "+Inf")).isEqualTo(2.0);
        assertThat(ExpositionParser.value(f, "demo_latency_seconds_count")).isEqualTo(2.0);
        assertThat(ExpositionParser.value(f, "demo_latency_seconds_sum")).isEqualTo(0.003015);
        assertThat(text).doesNotContain("# EOF");
    }

    @Test
    void openMetricsNamesCounterFamiliesWithoutTotalAndEndsWithEof() {
        String text = sample(Exposition.Format.OPENMETRICS);
        Map<String, ExpositionParser.Family> f = ExpositionParser.parseOpenMetrics(text);

        assertThat(f).containsKey("demo_requests").doesNotContainKey("demo_requests_total");
        assertThat(f.get("demo_requests").help()).isEqualTo("Requests \"served\" \\ so far\nsecond line.");
        assertThat(ExpositionParser.value(f, "demo_requests_total")).isEqualTo(7.0);
        assertThat(ExpositionParser.value(f, "demo_by_label_total", "agent", NASTY)).isEqualTo(3.0);
        assertThat(text).endsWith("# EOF\n");
    }

    @Test
    void theAcceptHeaderChoosesTheFormat() {
        assertThat(Exposition.Format.negotiate(null)).isEqualTo(Exposition.Format.TEXT);
        assertThat(Exposition.Format.negotiate("text/plain")).isEqualTo(Exposition.Format.TEXT);
        assertThat(Exposition.Format.negotiate("*/*")).isEqualTo(Exposition.Format.TEXT);
        // What Prometheus 2.x/3.x sends by default.
        assertThat(Exposition.Format.negotiate("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                + "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")).isEqualTo(Exposition.Format.OPENMETRICS);
        assertThat(Exposition.Format.negotiate("application/openmetrics-text; q=0")).isEqualTo(Exposition.Format.TEXT);
        assertThat(Exposition.Format.OPENMETRICS.contentType()).startsWith("application/openmetrics-text; version=1.0.0");
        assertThat(Exposition.Format.TEXT.contentType()).startsWith("text/plain; version=0.0.4");
    }

    @Test
    void aCounterNameWithoutTotalIsRefusedWhenWritten() {
        assertThatThrownBy(() -> new Exposition(Exposition.Format.TEXT).counter("demo_requests", "x", 1))
                .hasMessageContaining("_total");
    }

    /** The parser the tests trust must itself refuse what scrapers refuse. */
    @Test
    void theStrictParserRefusesMalformedExpositions() {
        String ok = "# HELP h_seconds x\n# TYPE h_seconds histogram\nh_seconds_bucket{le=\"1.0\"} 1\n"
                + "h_seconds_bucket{le=\"+Inf\"} 1\nh_seconds_count 1\nh_seconds_sum 0.5\n";
        assertThat(ExpositionParser.parseText(ok)).containsKey("h_seconds");
        assertThatThrownBy(() -> ExpositionParser.parseText(ok.replace("h_seconds_bucket{le=\"+Inf\"} 1\n", "")))
                .hasMessageContaining("+Inf");
        assertThatThrownBy(() -> ExpositionParser.parseText(ok.replace("_count 1", "_count 2")))
                .hasMessageContaining("differs");
        assertThatThrownBy(() -> ExpositionParser.parseText("a_total{x=\"\\q\"} 1\n")).hasMessageContaining("bad escape");
        assertThatThrownBy(() -> ExpositionParser.parseText("a 1\na 2\n")).hasMessageContaining("twice");
        assertThatThrownBy(() -> ExpositionParser.parseText("a 1")).hasMessageContaining("newline");
        assertThatThrownBy(() -> ExpositionParser.parseText("a one\n")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> ExpositionParser.parseText("# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n"))
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> ExpositionParser.parseOpenMetrics("# TYPE a gauge\na 1\n")).hasMessageContaining("EOF");
        assertThatThrownBy(() -> ExpositionParser.parseOpenMetrics("# TYPE a_total counter\na_total 1\n# EOF\n"))
                .hasMessageContaining("without _total");
        assertThatThrownBy(() -> ExpositionParser.parseOpenMetrics("# TYPE a gauge\n\na 1\n# EOF\n"))
                .hasMessageContaining("blank");
        assertThatThrownBy(() -> ExpositionParser.parseOpenMetrics("# TYPE a gauge\na 1\nb 1\n# EOF\n"))
                .hasMessageContaining("no TYPE");
    }
}
