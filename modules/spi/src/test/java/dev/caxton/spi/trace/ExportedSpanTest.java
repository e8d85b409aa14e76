package dev.caxton.spi.trace;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What an exporter may rely on: ids in W3C form, an end not before the start, collections that do not change. */
class ExportedSpanTest {

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

    private static ExportedSpan span(String trace, String span, String parent, long start, long end) {
        return new ExportedSpan(trace, span, parent, "message sink", start, end, Map.of(), List.of(), false, null);
    }

    @Test
    void aValidSpanKeepsItsPartsAndCopiesItsCollections() {
        Map<String, String> attrs = new HashMap<>(Map.of("caxton.agent", "sink"));
        List<SpanEvent> events = new ArrayList<>(List.of(new SpanEvent("queued", 5, Map.of())));
        ExportedSpan s = new ExportedSpan(TRACE, "00f067aa0ba902b7", null, "message sink", 5, 9, attrs, events, true, "why");
        attrs.clear();
        events.clear();
        assertThat(s.attributes()).containsEntry("caxton.agent", "sink");
        assertThat(s.events()).extracting(SpanEvent::name).containsExactly("queued");
        assertThat(s.parentSpanId()).isNull();
        assertThat(s.error()).isTrue();
    }

    @Test
    void malformedIdsAndBackwardTimesAreRefused() {
        assertThatThrownBy(() -> span("4BF92F3577B34DA6A3CE929D0E0E4736", "00f067aa0ba902b7", null, 1, 2))
                .hasMessageContaining("trace id");
        assertThatThrownBy(() -> span("00000000000000000000000000000000", "00f067aa0ba902b7", null, 1, 2))
                .hasMessageContaining("trace id");
        assertThatThrownBy(() -> span(TRACE, "0000000000000000", null, 1, 2)).hasMessageContaining("span id");
        assertThatThrownBy(() -> span(TRACE, "00f067aa0ba902b7", "xyz", 1, 2)).hasMessageContaining("parent span id");
        assertThatThrownBy(() -> span(TRACE, "00f067aa0ba902b7", null, 2, 1)).hasMessageContaining("before it starts");
    }
}
