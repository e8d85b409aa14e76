package dev.caxton.runtime.trace;

import dev.caxton.spi.message.Envelope;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Records the hops of sampled messages in a bounded ring (the oldest hops are overwritten) and
 * answers which hops belong to a message or conversation.
 *
 * <p>A message is traced when its envelope carries a traceparent with the sampled flag: the node
 * gives one to a client's message it samples ({@link #start}), keeps one a client sent, and every
 * message an agent sends while handling a traced message gets a child of it, so the whole chain
 * shares one trace id, across nodes too (the field travels in the envelope). With tracing off, or
 * for an unsampled message, {@link #record} returns after one field check: nothing is allocated.
 */
public final class Tracer {

    /** A tracer that records nothing, for routers made without a node (tests, tools). */
    public static final Tracer OFF = new Tracer(false, 0, 1, "");

    private final boolean enabled;
    private final double sampleRate;
    private final String node;
    private final TraceHop[] ring;
    private final long baseMicros;
    private final long baseNanos;
    private long next;
    private volatile java.util.function.Consumer<TraceHop> sink;

    /**
     * Creates a tracer.
     *
     * @param enabled    whether to sample and record at all
     * @param sampleRate the share of client messages traced, 0 to 1
     * @param capacity   the most hops kept
     * @param node       this node's name, written into every hop
     */
    public Tracer(boolean enabled, double sampleRate, int capacity, String node) {
        if (!(sampleRate >= 0 && sampleRate <= 1)) {
            throw new IllegalArgumentException("observability.tracing.sample_rate must be between 0 and 1, got " + sampleRate);
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("observability.tracing.buffer_size must be at least 1, got " + capacity);
        }
        this.enabled = enabled;
        this.sampleRate = sampleRate;
        this.node = node;
        this.ring = new TraceHop[capacity];
        this.baseMicros = TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis());
        this.baseNanos = System.nanoTime();
    }

    /**
     * Parses {@code observability.tracing.sample_rate}, which the schema keeps as text.
     *
     * @param text the configured value
     * @return the rate
     * @throws IllegalArgumentException naming the key when it is not a number from 0 to 1
     */
    public static double parseRate(String text) {
        double r;
        try {
            r = Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("observability.tracing.sample_rate must be a number from 0 to 1"
                    + " (e.g. 0.01), got '" + text + "'");
        }
        if (!(r >= 0 && r <= 1)) {
            throw new IllegalArgumentException("observability.tracing.sample_rate must be from 0 to 1, got " + text);
        }
        return r;
    }

    /** @return whether this tracer records */
    public boolean enabled() {
        return enabled;
    }

    /**
     * Decides whether a client's message is traced: one that already has a traceparent keeps it (the
     * caller's sampling decision stands); otherwise, with tracing on, the sample rate decides.
     *
     * @param e the message as the client sent it
     * @return the message, with a new traceparent when sampled
     */
    public Envelope start(Envelope e) {
        if (!enabled || e.traceparent() != null || sampleRate == 0) {
            return e;
        }
        if (sampleRate < 1 && ThreadLocalRandom.current().nextDouble() >= sampleRate) {
            return e;
        }
        return e.withTraceparent(Traceparent.newTrace());
    }

    /**
     * Records one hop of a message if it is traced.
     *
     * @param e      the message
     * @param hop    what happened
     * @param agent  the agent involved, or null
     * @param detail a short note, or null
     */
    public void record(Envelope e, Hop hop, String agent, String detail) {
        String tp = e.traceparent();
        if (tp == null || !enabled || !Traceparent.sampled(tp)) {
            return;
        }
        long at = baseMicros + (System.nanoTime() - baseNanos) / 1000;
        TraceHop h = new TraceHop(Traceparent.traceId(tp), Traceparent.spanId(tp), e.messageId(),
                e.conversationId(), hop, node, agent, detail, at, e.performative() == null ? null : e.performative().wireName());
        synchronized (ring) {
            ring[(int) (next++ % ring.length)] = h;
        }
        java.util.function.Consumer<TraceHop> s = sink;
        if (s != null) {
            s.accept(h);
        }
    }

    /**
     * Hands every hop recorded from now on to {@code sink} as well (the span exporter). The sink runs
     * on the thread recording the hop, so it must return at once: it may only queue the hop.
     *
     * @param sink where hops go, or null for nowhere
     */
    public void exportTo(java.util.function.Consumer<TraceHop> sink) {
        this.sink = sink;
    }

    /**
     * The hops of every trace that a message, conversation or trace with this id took part in,
     * oldest first. Asking by a message id returns its whole trace: what led to it and what it caused.
     *
     * @param id a message id, conversation id or trace id
     * @return the hops, empty when none are kept
     */
    public List<TraceHop> find(String id) {
        List<TraceHop> all = snapshot();
        Set<String> traces = new HashSet<>();
        for (TraceHop h : all) {
            if (id.equals(h.messageId()) || id.equals(h.conversationId()) || id.equals(h.traceId())) {
                traces.add(h.traceId());
            }
        }
        List<TraceHop> out = new ArrayList<>();
        for (TraceHop h : all) {
            if (traces.contains(h.traceId())) {
                out.add(h);
            }
        }
        out.sort(Comparator.comparingLong(TraceHop::atMicros));
        return out;
    }

    /** @return how many hops were recorded since the start (including those overwritten) */
    public long recorded() {
        synchronized (ring) {
            return next;
        }
    }

    private List<TraceHop> snapshot() {
        synchronized (ring) {
            int n = (int) Math.min(next, ring.length);
            List<TraceHop> out = new ArrayList<>(n);
            long from = next - n;
            for (long i = from; i < next; i++) {
                out.add(ring[(int) (i % ring.length)]);
            }
            return out;
        }
    }
}
