package dev.caxton.runtime.cluster;

import dev.caxton.runtime.trace.Hop;
import dev.caxton.runtime.trace.TraceHop;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Reads a trace across nodes: every node keeps the hops it recorded itself, so the path of a
 * message that crossed nodes is the union of their hops. The node a client asks sends a query frame
 * over the cluster transport to every live peer (the transport is authenticated between nodes, so
 * peers need not share API tokens), waits for their hops (at most a timeout), and merges them with
 * its own in time order. A peer that does not answer in time is named, not waited for.
 *
 * <h2>Frames (after the cluster type byte)</h2>
 * <ul>
 *   <li>query: a number the asker picked (long), the id asked for (short length + UTF-8, 1 to 1024
 *       bytes);</li>
 *   <li>answer: the number, whether hops were left out (byte 0/1), the hop count (int), then per hop
 *       its kind ({@link Hop} ordinal, byte), its time (long, microseconds since the epoch) and its
 *       trace id, span id, message id, conversation id, agent, detail and performative (short length
 *       + UTF-8 each; empty for none).</li>
 * </ul>
 * An answer holds at most {@link #MAX_HOPS} hops and never exceeds the transport's frame limit; the
 * rest is cut and the answer says so. The node of each hop is the peer that sent it, whatever the
 * bytes claim.
 */
public final class ClusterTraces {

    /** Most hops one node answers with, and most hops a merged trace holds. */
    public static final int MAX_HOPS = 5000;
    /** Largest answer frame a node sends, whatever the transport would take. */
    static final int MAX_ANSWER_BYTES = 2 * 1024 * 1024;
    /** Most queries awaiting answers at once; past it a read asks no peer and says so. */
    static final int MAX_WAITING = 1000;

    /**
     * A merged trace.
     *
     * @param hops       the hops of every node that answered, oldest first, at most {@link #MAX_HOPS}
     * @param nodes      the nodes whose hops are included (this node first)
     * @param incomplete peers that were asked and did not answer in time (or could not be asked)
     * @param truncated  whether hops were left out to stay within the bounds
     */
    public record Answers(List<TraceHop> hops, List<String> nodes, List<String> incomplete, boolean truncated) {
        /** Copies the lists. */
        public Answers {
            hops = List.copyOf(hops);
            nodes = List.copyOf(nodes);
            incomplete = List.copyOf(incomplete);
        }
    }

    /** One node's hops: what it answered. */
    record Part(List<TraceHop> hops, boolean truncated) {
    }

    private final String self;
    private final PeerLinks links;
    private final byte queryType;
    private final byte answerType;
    private final PeerQueries<Part> queries;
    private volatile Function<String, List<TraceHop>> local = id -> List.of();

    ClusterTraces(String self, PeerLinks links, byte queryType, byte answerType) {
        this.self = self;
        this.links = links;
        this.queries = new PeerQueries<>(links, MAX_WAITING, "trace answer");
        this.queryType = queryType;
        this.answerType = answerType;
    }

    /**
     * Sets where this node reads its own hops (for its answers and its own part).
     *
     * @param hops the hops of a message, conversation or trace id, oldest first
     */
    public void source(Function<String, List<TraceHop>> hops) {
        this.local = hops;
    }

    /**
     * Reads this node's hops and asks every peer for theirs, in parallel, waiting at most
     * {@code timeout} in all.
     *
     * @param peers   the live peers
     * @param id      a message id, conversation id or trace id
     * @param timeout the longest wait for the peers
     * @return the merged hops, the nodes they came from and the peers that did not answer
     */
    public Answers ask(List<String> peers, String id, Duration timeout) {
        List<String> incomplete = new ArrayList<>();
        byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
        Map<String, CompletableFuture<Part>> asked;
        if (idBytes.length == 0 || idBytes.length > 1024) {
            incomplete.addAll(peers);
            asked = Map.of();
        } else {
            asked = queries.ask(peers, (peer, n) -> ByteBuffer.allocate(1 + 8 + 2 + idBytes.length)
                    .put(queryType).putLong(n).putShort((short) idBytes.length).put(idBytes).array(), incomplete);
        }
        List<TraceHop> all = new ArrayList<>(cap(local.apply(id)));
        boolean truncated = all.size() >= MAX_HOPS;
        List<String> nodes = new ArrayList<>();
        nodes.add(self);
        for (Map.Entry<String, Part> e : queries.await(asked, timeout, incomplete).entrySet()) {
            all.addAll(e.getValue().hops());
            truncated |= e.getValue().truncated();
            nodes.add(e.getKey());
        }
        // Different clocks: time order across nodes is as good as their synchronisation.
        all.sort(Comparator.comparingLong(TraceHop::atMicros));
        if (all.size() > MAX_HOPS) {
            all = all.subList(0, MAX_HOPS);
            truncated = true;
        }
        return new Answers(all, nodes, incomplete, truncated);
    }

    private static List<TraceHop> cap(List<TraceHop> hops) {
        return hops.size() > MAX_HOPS ? hops.subList(hops.size() - MAX_HOPS, hops.size()) : hops;
    }

    /** @return queries still waiting for a peer's answer (none once every read has ended) */
    int waitingCount() {
        return queries.waitingCount();
    }

    // ---------------------------------------------------------------- frames in

    void onQuery(String from, ByteBuffer frame) {
        if (frame.remaining() < 8 + 2) {
            links.rejected(from, "trace query too short");
            return;
        }
        long n = frame.getLong();
        int len = frame.getShort() & 0xffff;
        if (len == 0 || len > 1024 || frame.remaining() != len) {
            links.rejected(from, "trace query malformed");
            return;
        }
        byte[] id = new byte[len];
        frame.get(id);
        List<TraceHop> hops;
        try {
            hops = local.apply(new String(id, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            hops = List.of();
        }
        links.sendCluster(from, answerFrame(n, hops, Math.min(MAX_ANSWER_BYTES, links.maxClusterFrameBytes())));
    }

    /**
     * The answer to a query: the newest hops that fit, oldest first.
     *
     * @param n        the asker's number
     * @param hops     this node's hops, oldest first
     * @param maxBytes the largest frame to send
     * @return the frame
     */
    byte[] answerFrame(long n, List<TraceHop> hops, int maxBytes) {
        int head = 1 + 8 + 1 + 4;
        int size = head;
        List<byte[]> encoded = new ArrayList<>();
        boolean truncated = hops.size() > MAX_HOPS;
        // Newest first while filling, so a cut keeps the end of the path (usually what is asked about).
        for (int i = hops.size() - 1; i >= Math.max(0, hops.size() - MAX_HOPS); i--) {
            byte[] one = hop(hops.get(i));
            if (size + one.length > maxBytes) {
                truncated = true;
                break;
            }
            encoded.add(one);
            size += one.length;
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        out.put(answerType).putLong(n).put((byte) (truncated ? 1 : 0)).putInt(encoded.size());
        for (int i = encoded.size() - 1; i >= 0; i--) {
            out.put(encoded.get(i));
        }
        return out.array();
    }

    private static byte[] hop(TraceHop h) {
        byte[][] strings = {utf8(h.traceId()), utf8(h.spanId()), utf8(h.messageId()), utf8(h.conversationId()),
                utf8(h.agent()), utf8(h.detail()), utf8(h.performative())};
        int size = 1 + 8;
        for (byte[] s : strings) {
            size += 2 + s.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put((byte) h.hop().ordinal()).putLong(h.atMicros());
        for (byte[] s : strings) {
            b.putShort((short) s.length).put(s);
        }
        return b.array();
    }

    private static byte[] utf8(String s) {
        return ClusterConversations.utf8(s == null ? "" : s);
    }

    void onAnswer(String from, ByteBuffer frame) {
        queries.onAnswer(from, frame, 8 + 1 + 4, f -> parseAnswer(from, f));
    }

    static Part parseAnswer(String from, ByteBuffer frame) {
        boolean truncated = frame.get() == 1;
        int count = frame.getInt();
        if (count < 0 || count > MAX_HOPS) {
            throw new IllegalArgumentException("hop count " + count + " out of range");
        }
        Hop[] kinds = Hop.values();
        List<TraceHop> hops = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int kind = frame.get() & 0xff;
            if (kind >= kinds.length) {
                throw new IllegalArgumentException("unknown hop kind " + kind);
            }
            long at = frame.getLong();
            String traceId = string(frame);
            String spanId = string(frame);
            String messageId = string(frame);
            String conversationId = string(frame);
            String agent = string(frame);
            String detail = string(frame);
            String performative = string(frame);
            if (traceId == null || spanId == null || messageId == null) {
                throw new IllegalArgumentException("a hop without trace, span or message id");
            }
            hops.add(new TraceHop(traceId, spanId, messageId, conversationId, kinds[kind], from, agent, detail, at,
                    performative));
        }
        if (frame.hasRemaining()) {
            throw new IllegalArgumentException(frame.remaining() + " bytes after the last hop");
        }
        return new Part(hops, truncated);
    }

    private static String string(ByteBuffer b) {
        String s = ClusterConversations.string(b);
        return s.isEmpty() ? null : s;
    }
}
