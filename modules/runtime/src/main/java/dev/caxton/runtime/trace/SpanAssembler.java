package dev.caxton.runtime.trace;

import dev.caxton.spi.trace.ExportedSpan;
import dev.caxton.spi.trace.SpanEvent;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the hops one node records into spans: one span per message per node, from its first hop
 * here to its last, each hop an event. Not thread-safe: the export thread alone feeds it.
 *
 * <p>The span of a message on the node where it started (accepted from a client, or sent by an
 * agent) takes the span id of the message's traceparent, so what a client sees as its parent is a
 * real span. On a node it arrived at from another node, its span gets a new id, with the sending
 * node's span as parent: the same message is two spans, one per node, never two with one id.
 *
 * <p>A span ends with the hop after which nothing more happens to the message here (handled,
 * replied, dead-lettered, sent on to another node or platform), or after {@code idleMicros} without
 * a hop. A hop for a message whose span has ended already (a send to another node that failed and
 * was dead-lettered afterwards) becomes a short span of its own, child of the ended one.
 */
final class SpanAssembler {

    private static final int RECENT = 4096;

    private final int maxOpen;
    private long invalid;
    private final long idleMicros;
    private final Map<String, Open> open = new LinkedHashMap<>();
    // Span id a recently ended message had here, so a late hop can name it as parent.
    private final Map<String, String> ended = new LinkedHashMap<>(RECENT, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > RECENT;
        }
    };

    /**
     * @param maxOpen    most spans kept open at once; the oldest is ended when more start
     * @param idleMicros how long an open span waits for its next hop before it is ended
     */
    SpanAssembler(int maxOpen, long idleMicros) {
        this.maxOpen = maxOpen;
        this.idleMicros = idleMicros;
    }

    /**
     * Adds one hop; spans it ends are appended to {@code out}.
     *
     * @param h   the hop
     * @param out where finished spans go
     */
    void add(TraceHop h, List<ExportedSpan> out) {
        String key = h.traceId() + h.spanId();
        Open o = open.get(key);
        if (o == null) {
            String endedAs = ended.get(key);
            if (endedAs != null) {
                Open late = new Open(h, newSpanId(), endedAs);
                emit(late.finish(h.hop().wireName()), out);
                return;
            }
            boolean arrived = h.hop() == Hop.ROUTED && h.detail() != null && h.detail().startsWith("arrived");
            o = arrived ? new Open(h, newSpanId(), h.spanId()) : new Open(h, h.spanId(), null);
            open.put(key, o);
            if (open.size() > maxOpen) {
                Iterator<Map.Entry<String, Open>> it = open.entrySet().iterator();
                Map.Entry<String, Open> oldest = it.next();
                it.remove();
                end(oldest.getKey(), oldest.getValue(), out);
            }
        } else {
            o.add(h);
        }
        if (ends(h)) {
            open.remove(key);
            end(key, o, out);
        }
    }

    /**
     * Ends the spans that have waited longer than the idle time for their next hop.
     *
     * @param nowMicros the current time, microseconds since the epoch
     * @param out       where finished spans go
     */
    void expire(long nowMicros, List<ExportedSpan> out) {
        for (Iterator<Map.Entry<String, Open>> it = open.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Open> e = it.next();
            if (nowMicros - e.getValue().lastMicros >= idleMicros) {
                it.remove();
                end(e.getKey(), e.getValue(), out);
            }
        }
    }

    /**
     * Ends every open span (the node stops).
     *
     * @param out where finished spans go
     */
    void endAll(List<ExportedSpan> out) {
        expire(Long.MAX_VALUE, out);
    }

    /** @return how many spans are open */
    int openSpans() {
        return open.size();
    }

    private void end(String key, Open o, List<ExportedSpan> out) {
        ended.put(key, o.spanId);
        emit(o.finish(null), out);
    }

    private void emit(ExportedSpan s, List<ExportedSpan> out) {
        if (s == null) {
            invalid++;
        } else {
            out.add(s);
        }
    }

    /** @return how many spans could not be made (an id the trace-context rules refuse) */
    long invalid() {
        return invalid;
    }

    private static boolean ends(TraceHop h) {
        return switch (h.hop()) {
            case HANDLED, REPLIED, DEAD_LETTERED -> true;
            case ROUTED -> h.detail() != null && h.detail().startsWith("to ");
            default -> false;
        };
    }

    private static String newSpanId() {
        return Traceparent.newSpan();
    }

    /** A span being built. */
    private static final class Open {
        private final String spanId;
        private final String parent;
        private final List<TraceHop> hops = new ArrayList<>(6);
        private long lastMicros;

        Open(TraceHop first, String spanId, String parent) {
            this.spanId = spanId;
            this.parent = parent;
            add(first);
        }

        void add(TraceHop h) {
            hops.add(h);
            lastMicros = Math.max(lastMicros, h.atMicros());
        }

        ExportedSpan finish(String nameOverride) {
            try {
                return build(nameOverride);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }

        private ExportedSpan build(String nameOverride) {
            TraceHop first = hops.getFirst();
            Map<String, String> attrs = new LinkedHashMap<>();
            attrs.put("messaging.system", "caxton");
            attrs.put("messaging.message.id", first.messageId());
            attrs.put("caxton.node", first.node());
            String agent = null;
            String performative = null;
            String conversation = null;
            String error = null;
            List<SpanEvent> events = new ArrayList<>(hops.size());
            long start = Long.MAX_VALUE;
            for (TraceHop h : hops) {
                agent = agent == null ? h.agent() : agent;
                performative = performative == null ? h.performative() : performative;
                conversation = conversation == null ? h.conversationId() : conversation;
                if (h.hop() == Hop.DEAD_LETTERED) {
                    error = h.detail() == null ? "dead-lettered" : "dead-lettered: " + h.detail();
                }
                Map<String, String> ea = new LinkedHashMap<>();
                if (h.agent() != null) {
                    ea.put("caxton.agent", h.agent());
                }
                if (h.detail() != null) {
                    ea.put("caxton.detail", h.detail());
                }
                events.add(new SpanEvent(h.hop().wireName(), h.atMicros() * 1000, ea));
                start = Math.min(start, h.atMicros());
            }
            if (agent != null) {
                attrs.put("caxton.agent", agent);
            }
            if (performative != null) {
                attrs.put("caxton.performative", performative);
            }
            if (conversation != null) {
                attrs.put("messaging.message.conversation_id", conversation);
            }
            String name = (nameOverride != null ? nameOverride : "message") + (agent == null ? "" : " " + agent);
            return new ExportedSpan(first.traceId(), spanId, parent, name, start * 1000, lastMicros * 1000, attrs,
                    events, error != null, error);
        }
    }
}
