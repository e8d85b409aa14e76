package dev.caxton.testkit.trace;

import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.trace.ExportedSpan;
import dev.caxton.spi.trace.SpanEvent;
import dev.caxton.spi.trace.SpanExporter;
import dev.caxton.spi.trace.SpanExporterProvider;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * What every {@link SpanExporterProvider} must do. A provider's test extends this class and says
 * which provider to test and, when it needs one, the section that points it at something to export
 * to ({@link #section}); {@link #exported} says whether the spans arrived there.
 */
public abstract class SpanExporterConformance {

    /** Subclasses are created by JUnit. */
    protected SpanExporterConformance() {
    }

    /** @return the provider under test */
    protected abstract SpanExporterProvider provider();

    /**
     * The provider's section for the export cases, e.g. an endpoint a test collector listens on.
     *
     * @return the section; empty by default
     */
    protected Map<String, Object> section() {
        return Map.of();
    }

    /**
     * The spans the test's destination received, by span id, when it can tell; the export cases
     * then check that what was sent arrived whole.
     *
     * @return the span ids received, or null when the destination cannot be inspected
     */
    protected Set<String> exported() {
        return null;
    }

    /** The resource a node hands its exporter. */
    protected static final Map<String, String> RESOURCE = Map.of("service.name", "caxton",
            "service.instance.id", "node-1", "service.version", "test");

    private SpanExporter create(Path dir) {
        String prefix = "observability.tracing." + provider().name();
        ProviderConfig c = ProviderConfig.of(prefix, section());
        provider().check(c);
        return provider().create(new ProviderContext(c, dir, "node-1"), RESOURCE);
    }

    /**
     * A span as the runtime makes them: a message handled on one node.
     *
     * @param spanId the span id (16 hex)
     * @param error  whether it ended in a dead letter
     * @return the span
     */
    protected static ExportedSpan span(String spanId, boolean error) {
        long t = 1_780_000_000_000_000_000L;
        return new ExportedSpan("4bf92f3577b34da6a3ce929d0e0e4736", spanId, error ? null : "00f067aa0ba902b7",
                "message sink", t, t + 3_000_000,
                Map.of("caxton.agent", "sink", "caxton.node", "node-1", "caxton.performative", "request",
                        "messaging.message.id", "node-1-m1", "messaging.message.conversation_id", "conv \"1\"\n\u00e9"),
                List.of(new SpanEvent("queued", t, Map.of("caxton.agent", "sink")),
                        new SpanEvent(error ? "dead-lettered" : "handled", t + 3_000_000,
                                error ? Map.of("caxton.detail", "no such agent") : Map.of())),
                error, error ? "dead-lettered: no such agent" : null);
    }

    @Test
    @DisplayName("the name follows the naming rule: lowercase letters, digits and hyphens")
    void name() {
        assertThat(provider().name()).matches("[a-z][a-z0-9-]*").isNotEqualTo("none");
    }

    @Test
    @DisplayName("options have unique keys and an empty section is accepted (the defaults work)")
    void defaults() {
        Set<String> keys = new HashSet<>();
        for (ConfigOption o : provider().options()) {
            assertThat(keys.add(o.key())).as("duplicate option %s", o.key()).isTrue();
        }
        assertThatCode(() -> provider().check(ProviderConfig.of("observability.tracing." + provider().name(), Map.of())))
                .doesNotThrowAnyException();
    }

    @Test
    @DisplayName("creating and closing an exporter sends nothing and closing twice is harmless")
    void createAndClose(@TempDir Path dir) {
        SpanExporter e = create(dir);
        e.close();
        e.close();
    }

    @Test
    @DisplayName("a batch is exported, or refused with an IOException, never another exception")
    void exportsABatch(@TempDir Path dir) throws IOException {
        try (SpanExporter e = create(dir)) {
            List<ExportedSpan> batch = List.of(span("00f067aa0ba902b8", false), span("00f067aa0ba902b9", true));
            try {
                e.export(batch);
            } catch (IOException refused) {
                assertThat(exported()).as("the destination can be inspected, so the batch must arrive").isNull();
                return;
            }
            if (exported() != null) {
                assertThat(exported()).contains("00f067aa0ba902b8", "00f067aa0ba902b9");
            }
        }
    }
}
