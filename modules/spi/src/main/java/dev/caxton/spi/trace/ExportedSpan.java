package dev.caxton.spi.trace;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One finished span: a message's stay on one node, from its first recorded hop to its last, with
 * every hop as a {@link SpanEvent}.
 *
 * @param traceId       the W3C trace id, 32 lowercase hex digits, not all zero
 * @param spanId        this span's id, 16 lowercase hex digits, not all zero
 * @param parentSpanId  the parent span's id (16 hex), or null for a root span
 * @param name          a short human name, e.g. {@code message sink}
 * @param startNanos    start, in nanoseconds since the Unix epoch
 * @param endNanos      end, in nanoseconds since the Unix epoch, not before the start
 * @param attributes    span attributes by name (agent, node, performative, conversation id...)
 * @param events        the hops, oldest first
 * @param error         whether the span ended in an error (dead letter, fault)
 * @param statusMessage why it is an error, or null
 */
public record ExportedSpan(String traceId, String spanId, String parentSpanId, String name, long startNanos,
                           long endNanos, Map<String, String> attributes, List<SpanEvent> events, boolean error,
                           String statusMessage) {

    private static final Pattern TRACE_ID = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern SPAN_ID = Pattern.compile("[0-9a-f]{16}");

    /**
     * Checks the ids and times and copies the collections, so an exporter may trust them.
     *
     * @throws IllegalArgumentException when an id is malformed or the span ends before it starts
     * @throws NullPointerException     when a required part is null
     */
    public ExportedSpan {
        Objects.requireNonNull(name, "name");
        if (traceId == null || !TRACE_ID.matcher(traceId).matches() || traceId.chars().allMatch(c -> c == '0')) {
            throw new IllegalArgumentException("trace id must be 32 lowercase hex digits, not all zero: " + traceId);
        }
        if (!validSpanId(spanId)) {
            throw new IllegalArgumentException("span id must be 16 lowercase hex digits, not all zero: " + spanId);
        }
        if (parentSpanId != null && !validSpanId(parentSpanId)) {
            throw new IllegalArgumentException("parent span id must be 16 lowercase hex digits, not all zero: " + parentSpanId);
        }
        if (endNanos < startNanos) {
            throw new IllegalArgumentException("span ends (" + endNanos + ") before it starts (" + startNanos + ")");
        }
        attributes = Map.copyOf(attributes);
        events = List.copyOf(events);
    }

    private static boolean validSpanId(String id) {
        return id != null && SPAN_ID.matcher(id).matches() && !id.equals("0000000000000000");
    }
}
