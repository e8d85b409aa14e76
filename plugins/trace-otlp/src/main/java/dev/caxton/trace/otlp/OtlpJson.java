package dev.caxton.trace.otlp;

import dev.caxton.spi.trace.ExportedSpan;
import dev.caxton.spi.trace.SpanEvent;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes an OTLP {@code ExportTraceServiceRequest} in the protobuf JSON encoding, as the OTLP/HTTP
 * specification has it: field names in lowerCamelCase, 64-bit integers as decimal strings, enums as
 * numbers, and (the one departure from the plain protobuf mapping) trace and span ids as hex strings.
 */
final class OtlpJson {

    /** The instrumentation scope every span is reported under. */
    static final String SCOPE = "dev.caxton.runtime";
    // SPAN_KIND_INTERNAL: a message's stay on a node is work inside Caxton, not an RPC.
    private static final int KIND_INTERNAL = 1;
    private static final int STATUS_ERROR = 2;

    private OtlpJson() {
    }

    static String request(Map<String, String> resource, List<ExportedSpan> spans) {
        StringBuilder b = new StringBuilder(256 + spans.size() * 600);
        b.append("{\"resourceSpans\":[{\"resource\":{\"attributes\":");
        attributes(b, resource);
        b.append("},\"scopeSpans\":[{\"scope\":{\"name\":");
        string(b, SCOPE);
        String version = resource.get("service.version");
        if (version != null) {
            b.append(",\"version\":");
            string(b, version);
        }
        b.append("},\"spans\":[");
        for (int i = 0; i < spans.size(); i++) {
            if (i > 0) {
                b.append(',');
            }
            span(b, spans.get(i));
        }
        b.append("]}]}]}");
        return b.toString();
    }

    private static void span(StringBuilder b, ExportedSpan s) {
        b.append("{\"traceId\":\"").append(s.traceId()).append("\",\"spanId\":\"").append(s.spanId()).append('"');
        if (s.parentSpanId() != null) {
            b.append(",\"parentSpanId\":\"").append(s.parentSpanId()).append('"');
        }
        b.append(",\"name\":");
        string(b, s.name());
        b.append(",\"kind\":").append(KIND_INTERNAL);
        b.append(",\"startTimeUnixNano\":\"").append(Long.toUnsignedString(s.startNanos())).append('"');
        b.append(",\"endTimeUnixNano\":\"").append(Long.toUnsignedString(s.endNanos())).append('"');
        b.append(",\"attributes\":");
        attributes(b, s.attributes());
        b.append(",\"events\":[");
        for (int i = 0; i < s.events().size(); i++) {
            SpanEvent e = s.events().get(i);
            if (i > 0) {
                b.append(',');
            }
            b.append("{\"timeUnixNano\":\"").append(Long.toUnsignedString(e.epochNanos())).append("\",\"name\":");
            string(b, e.name());
            b.append(",\"attributes\":");
            attributes(b, e.attributes());
            b.append('}');
        }
        b.append(']');
        if (s.error()) {
            b.append(",\"status\":{\"code\":").append(STATUS_ERROR);
            if (s.statusMessage() != null) {
                b.append(",\"message\":");
                string(b, s.statusMessage());
            }
            b.append('}');
        }
        b.append('}');
    }

    private static void attributes(StringBuilder b, Map<String, String> attrs) {
        b.append('[');
        boolean first = true;
        // Sorted: the same span always serialises the same way, which keeps tests and diffs readable.
        for (Map.Entry<String, String> a : new TreeMap<>(attrs).entrySet()) {
            if (!first) {
                b.append(',');
            }
            first = false;
            b.append("{\"key\":");
            string(b, a.getKey());
            b.append(",\"value\":{\"stringValue\":");
            string(b, a.getValue());
            b.append("}}");
        }
        b.append(']');
    }

    /** A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped. */
    static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
