package dev.caxton.runtime.cluster;

import dev.caxton.spi.membership.MembershipChannel;
import dev.caxton.spi.message.Priority;
import dev.caxton.spi.transport.Connection;
import dev.caxton.spi.transport.FrameHandler;
import dev.caxton.spi.transport.Transport;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * The node's links to its peers over the transport: at most one connection this node opened per
 * peer (opened on demand, reused, reopened after a break), plus the connections peers opened to it,
 * all usable in both directions. Every frame starts with one byte naming its channel, so membership
 * packets and cluster frames share the connection without either decoding the other's bytes.
 *
 * <p>A cluster frame goes straight to the transport when the connection is open and writable and
 * nothing waits before it. While the connection is unwritable, frames wait in a small per-peer
 * queue with one lane per {@link Priority} ({@link #WIRE_QUEUE_FRAMES} frames and
 * {@link #WIRE_QUEUE_BYTES} bytes per peer at most), drained when the connection turns writable
 * again: critical first, then high, normal and low, except that a frame which waited longer than
 * its class's {@code messaging.priorities.<class>.max_latency} goes before newer frames of higher
 * classes (the mailbox's rule). So a critical message is not stuck behind a burst of low ones to
 * the same node, and a slow peer still pushes back: when the queue is full the frame is refused
 * (the caller retries or dead-letters it), so a slow or dead peer costs at most the transport's
 * high water mark plus this queue. With no connection at all, frames are refused as before.
 */
public final class PeerLinks implements FrameHandler, MembershipChannel {

    private static final System.Logger LOG = System.getLogger(PeerLinks.class.getName());
    /**
     * A buffer per sending thread for a frame with its channel byte in front: {@link Connection#send}
     * copies the bytes before it returns, so one buffer serves every frame the thread sends instead
     * of one allocation (and its zeroing) per frame.
     */
    private static final ThreadLocal<ByteBuffer[]> SCRATCH = ThreadLocal.withInitial(() -> new ByteBuffer[1]);
    /** Larger frames (a big directory) get a buffer of their own rather than pinning one per thread. */
    private static final int SCRATCH_KEPT = 64 * 1024;

    /** First byte of a membership packet. */
    static final byte MEMBERSHIP = 1;
    /** First byte of a cluster frame (directory, envelopes). */
    static final byte CLUSTER = 2;

    /** Most frames waiting for one peer's connection to turn writable, all classes together. */
    public static final int WIRE_QUEUE_FRAMES = 4096;
    /** Most bytes waiting for one peer's connection to turn writable, all classes together. */
    public static final long WIRE_QUEUE_BYTES = 4L * 1024 * 1024;

    /** Receives cluster frames. */
    @FunctionalInterface
    public interface ClusterReceiver {
        /**
         * One cluster frame, without its channel byte.
         *
         * @param fromNode the sender's proven node id
         * @param frame    the bytes, valid during the call only
         */
        void frame(String fromNode, ByteBuffer frame);
    }

    /** Hears of peers whose connection opened (to pull their directory). */
    @FunctionalInterface
    public interface OpenListener {
        /**
         * A connection to a peer is usable.
         *
         * @param node the peer
         */
        void opened(String node);
    }

    private final Map<String, Connection> byNode = new ConcurrentHashMap<>();
    private final Map<InetSocketAddress, Connection> byAddress = new ConcurrentHashMap<>();
    private final Map<InetSocketAddress, CompletableFuture<Connection>> connecting = new ConcurrentHashMap<>();
    private final LongAdder rejected = new LongAdder();
    private volatile Transport transport;
    private volatile Function<String, InetSocketAddress> addressOf = n -> null;
    private volatile Receiver membershipReceiver;
    private volatile ClusterReceiver clusterReceiver;
    private volatile OpenListener openListener = n -> { };
    private volatile boolean closed;
    private final Map<String, WireQueue> waiting = new ConcurrentHashMap<>();
    private volatile long[] maxLatencyNanos = defaultLatencies();

    private static long[] defaultLatencies() {
        // The defaults of messaging.priorities.<class>.max_latency; the node passes its config.
        return new long[]{Duration.ofSeconds(1).toNanos(), Duration.ofSeconds(5).toNanos(),
                Duration.ofSeconds(15).toNanos(), Duration.ofMinutes(1).toNanos()};
    }

    /**
     * Sets how long a queued frame of each class may wait before it goes ahead of newer frames of
     * higher classes ({@code messaging.priorities.<class>.max_latency}).
     *
     * @param byClass one duration per {@link Priority}, in declaration order
     */
    public void maxLatencies(List<Duration> byClass) {
        if (byClass.size() != Priority.values().length) {
            throw new IllegalArgumentException("one max_latency per priority class is needed, got " + byClass.size());
        }
        long[] l = new long[byClass.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = byClass.get(i).toNanos();
        }
        maxLatencyNanos = l;
    }

    /**
     * Attaches the started transport.
     *
     * @param t the transport
     */
    public void attach(Transport t) {
        this.transport = t;
    }

    /**
     * Sets where peers listen, by node id (from the membership).
     *
     * @param f node id to transport address, or null when unknown
     */
    public void addresses(Function<String, InetSocketAddress> f) {
        this.addressOf = f;
    }

    /**
     * Sets who receives cluster frames and who hears of new connections.
     *
     * @param r the receiver
     * @param l the listener
     */
    public void cluster(ClusterReceiver r, OpenListener l) {
        this.clusterReceiver = r;
        this.openListener = l;
    }

    /** @return frames from peers dropped as malformed ({@code caxton_cluster_frames_rejected_total}) */
    public long rejectedCount() {
        return rejected.sum();
    }

    /**
     * Counts and logs a malformed frame from a peer; the connection stays.
     *
     * @param node   the peer
     * @param reason what was wrong
     */
    public void rejected(String node, String reason) {
        rejected.increment();
        LOG.log(System.Logger.Level.WARNING, "dropped a malformed frame from node {0}: {1}", node, reason);
    }

    // ---------------------------------------------------------------- sending

    /**
     * A usable connection to a node, or null when there is none yet (one is then being opened).
     *
     * @param node the node id
     * @return the connection, or null
     */
    public Connection connection(String node) {
        Connection c = byNode.get(node);
        if (c != null && c.isOpen()) {
            return c;
        }
        InetSocketAddress a = addressOf.apply(node);
        if (a != null) {
            c = connectionTo(a);
        }
        return c != null && c.isOpen() ? c : null;
    }

    private Connection connectionTo(InetSocketAddress address) {
        Connection c = byAddress.get(address);
        if (c != null && c.isOpen()) {
            return c;
        }
        Transport t = transport;
        if (t == null || closed || address.equals(t.boundAddress())) {
            return null;
        }
        // One attempt at a time per address: a dead peer costs one pending connect, not one per frame.
        // (Not computeIfAbsent: a transport may fail the connect at once, and the completion below
        // must be free to remove the entry.)
        CompletableFuture<Connection> mine = new CompletableFuture<>();
        if (connecting.putIfAbsent(address, mine) != null) {
            return null;
        }
        try {
            t.connect(address, this).whenComplete((conn, err) -> {
                if (conn != null) {
                    byAddress.put(address, conn);
                } else {
                    LOG.log(System.Logger.Level.DEBUG, "cannot connect to {0}: {1}", address,
                            err == null ? "?" : err.getMessage());
                }
                connecting.remove(address, mine);
                mine.complete(conn);
            });
        } catch (RuntimeException e) {
            connecting.remove(address, mine);
            mine.complete(null);
        }
        return null;
    }

    /**
     * Sends a control frame (directory, pull, refusal) in the critical class.
     *
     * @param node  the node
     * @param frame the frame without channel byte
     * @return true when handed to the transport or queued for it
     */
    public boolean sendCluster(String node, byte[] frame) {
        return sendCluster(node, frame, Priority.CRITICAL);
    }

    /**
     * Sends a cluster frame to a node: straight to the transport when the connection is writable
     * and nothing of this peer waits, else into the peer's wire queue in its class's lane.
     *
     * @param node     the node
     * @param frame    the frame without channel byte
     * @param priority the frame's class on the wire
     * @return true when handed to the transport or queued for it; false when there is no
     *         connection or the peer's wire queue is full (the caller retries or dead-letters)
     */
    public boolean sendCluster(String node, byte[] frame, Priority priority) {
        return sendCluster(node, frame, 0, frame.length, priority);
    }

    /**
     * {@link #sendCluster(String, byte[], Priority)} for a frame written after a free first byte,
     * {@code framed[1..length)}: the first byte takes the channel, so a frame that goes straight to
     * the transport is sent from the caller's buffer without a copy; only one that must wait is
     * copied out (the caller may reuse its buffer once this returns).
     *
     * @param node     the node
     * @param framed   a free byte, then the frame
     * @param length   bytes used in {@code framed}, the free one included
     * @param priority the frame's class on the wire
     * @return as {@link #sendCluster(String, byte[], Priority)}
     */
    public boolean sendCluster(String node, byte[] framed, int length, Priority priority) {
        return sendCluster(node, framed, 1, length, priority);
    }

    /** @param offset 0 for a bare frame, 1 when {@code bytes[0]} is free for the channel byte */
    private boolean sendCluster(String node, byte[] bytes, int offset, int length, Priority priority) {
        int frameLength = length - offset;
        if (!fits(frameLength)) {
            // Too large for one frame (a directory of an enormous node): refused here rather than
            // thrown from the transport into whichever caller happened to send it.
            LOG.log(System.Logger.Level.WARNING, "cluster: a {0}-byte frame for node {1} exceeds the transport''s frame limit",
                    frameLength, node);
            return false;
        }
        Connection c = connection(node);
        if (c == null) {
            return false;
        }
        WireQueue q = waiting.computeIfAbsent(node, n -> new WireQueue());
        // Under the queue's lock so a frame never overtakes one of its class a drain is sending.
        synchronized (q) {
            if (q.size() == 0 && c.isWritable()) {
                boolean sent;
                if (offset == 1) {
                    bytes[0] = CLUSTER;
                    sent = c.send(ByteBuffer.wrap(bytes, 0, length));
                } else {
                    sent = send(c, CLUSTER, ByteBuffer.wrap(bytes, 0, length));
                }
                if (sent) {
                    return true;
                }
                if (!c.isOpen()) {
                    return false;
                }
            }
            if (!q.offer(offset == 0 && length == bytes.length ? bytes : Arrays.copyOfRange(bytes, offset, length),
                    priority)) {
                return false;
            }
        }
        // The connection may have turned writable between the check above and the offer, and its
        // event may already have found the queue empty: drain now rather than wait for the next one.
        drain(node);
        return true;
    }

    /**
     * Frames waiting for a node's connection to turn writable.
     *
     * @param node the node
     * @return the count, all classes together
     */
    public int queued(String node) {
        WireQueue q = waiting.get(node);
        return q == null ? 0 : q.size();
    }

    /**
     * Frames of one class waiting for a node's connection to turn writable.
     *
     * @param node     the node
     * @param priority the class
     * @return the count
     */
    public int queued(String node, Priority priority) {
        WireQueue q = waiting.get(node);
        return q == null ? 0 : q.size(priority);
    }

    /**
     * Forgets the frames waiting for a node (it is dead or left) and hands them back.
     *
     * @param node the node
     * @return the frames, without channel byte, oldest first per class
     */
    public List<byte[]> dropQueued(String node) {
        WireQueue q = waiting.remove(node);
        return q == null ? List.of() : q.clear();
    }

    /**
     * Takes out the frames that have waited longer than {@code maxWait} for their node's
     * connection (a peer that stays alive but does not read), so they can be dead-lettered.
     *
     * @param maxWait the longest wait
     * @return per node, its expired frames
     */
    public Map<String, List<byte[]>> expireQueued(Duration maxWait) {
        long cutoff = System.nanoTime() - maxWait.toNanos();
        Map<String, List<byte[]>> out = new java.util.HashMap<>();
        waiting.forEach((node, q) -> {
            List<byte[]> old = q.expire(cutoff);
            if (!old.isEmpty()) {
                out.put(node, old);
            }
        });
        return out;
    }

    private void drain(String node) {
        WireQueue q = waiting.get(node);
        if (q == null) {
            return;
        }
        synchronized (q) {
            Connection c = connection(node);
            while (c != null && c.isWritable()) {
                byte[] next = q.next(maxLatencyNanos, System.nanoTime());
                if (next == null) {
                    break;
                }
                if (!send(c, CLUSTER, ByteBuffer.wrap(next))) {
                    q.putBack(next);
                    break;
                }
            }
        }
    }

    /**
     * One peer's waiting frames: a FIFO lane per class, bounded together. Guarded by its own lock.
     */
    private static final class WireQueue {
        private record Waiting(byte[] frame, Priority priority, long since) {
        }

        @SuppressWarnings("unchecked")
        private final ArrayDeque<Waiting>[] lanes = new ArrayDeque[Priority.values().length];
        private int frames;
        private long bytes;
        private Waiting taken;

        WireQueue() {
            for (int i = 0; i < lanes.length; i++) {
                lanes[i] = new ArrayDeque<>();
            }
        }

        synchronized boolean offer(byte[] frame, Priority p) {
            if (frames + 1 > WIRE_QUEUE_FRAMES || bytes + frame.length > WIRE_QUEUE_BYTES) {
                return false;
            }
            lanes[p.ordinal()].addLast(new Waiting(frame, p, System.nanoTime()));
            frames++;
            bytes += frame.length;
            return true;
        }

        /** The next frame to send: the oldest overdue head if any, else the highest class's head. */
        synchronized byte[] next(long[] maxLatency, long now) {
            int pick = -1;
            long oldest = Long.MAX_VALUE;
            for (int i = 0; i < lanes.length; i++) {
                Waiting w = lanes[i].peekFirst();
                if (w != null && now - w.since() > maxLatency[i] && w.since() < oldest) {
                    oldest = w.since();
                    pick = i;
                }
            }
            if (pick < 0) {
                for (int i = 0; i < lanes.length && pick < 0; i++) {
                    if (!lanes[i].isEmpty()) {
                        pick = i;
                    }
                }
            }
            if (pick < 0) {
                return null;
            }
            taken = lanes[pick].pollFirst();
            frames--;
            bytes -= taken.frame().length;
            return taken.frame();
        }

        /** Puts back the frame {@link #next} returned last (the transport refused it). */
        synchronized void putBack(byte[] frame) {
            if (taken != null && taken.frame() == frame) {
                lanes[taken.priority().ordinal()].addFirst(taken);
                frames++;
                bytes += frame.length;
                taken = null;
            }
        }

        synchronized int size() {
            return frames;
        }

        synchronized int size(Priority p) {
            return lanes[p.ordinal()].size();
        }

        synchronized List<byte[]> expire(long cutoff) {
            List<byte[]> out = new ArrayList<>();
            for (ArrayDeque<Waiting> lane : lanes) {
                // Each lane is oldest first: stop at the first frame young enough.
                while (!lane.isEmpty() && lane.peekFirst().since() - cutoff < 0) {
                    Waiting w = lane.pollFirst();
                    frames--;
                    bytes -= w.frame().length;
                    out.add(w.frame());
                }
            }
            return out;
        }

        synchronized List<byte[]> clear() {
            List<byte[]> out = new ArrayList<>();
            for (ArrayDeque<Waiting> lane : lanes) {
                lane.forEach(w -> out.add(w.frame()));
                lane.clear();
            }
            frames = 0;
            bytes = 0;
            return out;
        }
    }

    /**
     * Whether a frame of this many bytes (without channel byte) fits the transport.
     *
     * @param bytes the size
     * @return true when it fits
     */
    public boolean fits(int bytes) {
        Transport t = transport;
        return t != null && bytes + 1 <= t.maxFrameBytes();
    }

    /** @return the largest cluster frame (without channel byte) the transport takes; 0 before it starts */
    public int maxClusterFrameBytes() {
        Transport t = transport;
        return t == null ? 0 : t.maxFrameBytes() - 1;
    }

    private boolean send(Connection c, byte channel, ByteBuffer payload) {
        int n = payload.remaining() + 1;
        ByteBuffer[] mine = SCRATCH.get();
        ByteBuffer b = mine[0];
        if (b == null || b.capacity() < n) {
            b = ByteBuffer.allocate(Math.max(n, 1024));
            if (n <= SCRATCH_KEPT) {
                mine[0] = b;
            }
        }
        b.clear();
        b.put(channel).put(payload.duplicate()).flip();
        return c.send(b);
    }

    @Override
    public boolean send(InetSocketAddress transportAddress, ByteBuffer packet) {
        if (packet.remaining() > maxPacketBytes()) {
            throw new IllegalArgumentException("a membership packet is at most " + maxPacketBytes() + " bytes, got "
                    + packet.remaining());
        }
        Connection c = connectionTo(transportAddress);
        if (c == null) {
            // An accepted connection from that node serves as well as one of our own.
            for (Connection x : byNode.values()) {
                InetSocketAddress a = addressOf.apply(x.peerNodeId());
                if (transportAddress.equals(a) && x.isOpen()) {
                    c = x;
                    break;
                }
            }
        }
        return c != null && c.isWritable() && send(c, MEMBERSHIP, packet);
    }

    @Override
    public void receiver(Receiver receiver) {
        this.membershipReceiver = receiver;
    }

    @Override
    public int maxPacketBytes() {
        Transport t = transport;
        return Math.min(64 * 1024, t == null ? 64 * 1024 : t.maxFrameBytes() - 1);
    }

    // ---------------------------------------------------------------- receiving

    @Override
    public void onOpen(Connection connection) {
        Connection old = byNode.put(connection.peerNodeId(), connection);
        if (old != null && old != connection && !old.isOpen()) {
            LOG.log(System.Logger.Level.DEBUG, "replaced the broken link to {0}", connection.peerNodeId());
        }
        drain(connection.peerNodeId());
        try {
            openListener.opened(connection.peerNodeId());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cluster: handling the new link to {0} failed: {1}",
                    connection.peerNodeId(), e.toString());
        }
    }

    @Override
    public void onFrame(Connection connection, ByteBuffer frame) {
        String node = connection.peerNodeId();
        if (!frame.hasRemaining()) {
            rejected(node, "empty frame");
            return;
        }
        ByteBuffer body = frame.duplicate();
        byte channel = body.get();
        // A bad frame costs the frame, never the connection or the node: whatever a decoder throws stops here.
        try {
            if (channel == MEMBERSHIP) {
                Receiver r = membershipReceiver;
                if (r != null) {
                    r.packet(node, body.slice());
                }
            } else if (channel == CLUSTER) {
                ClusterReceiver r = clusterReceiver;
                if (r != null) {
                    r.frame(node, body.slice());
                }
            } else {
                rejected(node, "unknown channel " + (channel & 0xff));
            }
        } catch (RuntimeException e) {
            rejected(node, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }

    @Override
    public void onWritabilityChanged(Connection connection, boolean writable) {
        if (writable) {
            drain(connection.peerNodeId());
        }
    }

    @Override
    public void onClosed(Connection connection, Throwable cause) {
        byNode.remove(connection.peerNodeId(), connection);
        byAddress.values().remove(connection);
        // Another live connection with the same peer (both ends connected at once) takes over.
        for (Connection c : byAddress.values()) {
            if (c.isOpen() && c.peerNodeId().equals(connection.peerNodeId())) {
                byNode.putIfAbsent(c.peerNodeId(), c);
            }
        }
    }

    /** Stops opening connections (the transport closes the open ones). */
    public void close() {
        closed = true;
    }
}
