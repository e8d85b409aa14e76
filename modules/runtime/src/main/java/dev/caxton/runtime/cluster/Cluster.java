package dev.caxton.runtime.cluster;

import dev.caxton.runtime.routing.DeadLetterSink;
import dev.caxton.runtime.routing.RemoteRoutes;
import dev.caxton.runtime.routing.RetryPolicy;
import dev.caxton.runtime.routing.Router;
import dev.caxton.runtime.routing.SendStatus;
import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MembershipEvent;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.Serializer;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The node's part in the cluster: it keeps the {@link ClusterDirectory} up to date (pushes its own
 * entries when they change, pulls every peer's in full on connect and every
 * {@code coordination.cluster.directory_sync_interval}), and carries messages to agents on other
 * nodes for the {@link Router}.
 *
 * <h2>Cluster frames</h2>
 * After the {@link PeerLinks} channel byte, one type byte:
 * <ul>
 *   <li>{@code 1} directory: the sender's own entries, a map {@code {"v": version, "agents":
 *       {name: [capability...]}}} in the node's serializer;</li>
 *   <li>{@code 2} pull: asks for the receiver's directory entries (no body);</li>
 *   <li>{@code 3} envelope: attempt (int), first attempt's time (long, ms), then the envelope in the
 *       node's serializer;</li>
 *   <li>{@code 4} refusal: attempt, first time, the {@link SendStatus} ordinal (byte), the reason
 *       (short length + UTF-8) and the refused envelope, so the sender retries or dead-letters it
 *       without keeping a copy of every message in flight.</li>
 * </ul>
 * Every decoder treats the bytes as hostile: anything malformed is dropped and counted by
 * {@link PeerLinks#rejected}.
 */
public final class Cluster implements RemoteRoutes, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Cluster.class.getName());
    static final byte DIRECTORY = 1;
    static final byte PULL = 2;
    static final byte ENVELOPE = 3;
    static final byte REFUSED = 4;
    /** Most agents one node's directory entries may list. */
    static final int MAX_AGENTS = 100_000;
    /** Route-back entries kept (names of remote senders, e.g. API clients waiting on their node). */
    static final int ROUTE_BACK_SIZE = 65_536;
    /** How long a route-back entry lasts after its last use. */
    static final Duration ROUTE_BACK_TTL = Duration.ofMinutes(10);
    private static final long MAX_RETRY_DELAY_MS = 1000;

    private final String self;
    private final PeerLinks links;
    private final Serializer wire;
    private final Router router;
    private final RetryPolicy retry;
    private final DeadLetterSink deadLetters;
    private final Supplier<Map<String, List<String>>> localEntries;
    private final Supplier<List<Member>> members;
    private final boolean preferLocal;
    private final ClusterDirectory directory = new ClusterDirectory();
    private final Map<String, AtomicInteger> roundRobin = new ConcurrentHashMap<>();
    private final AtomicLong localVersion = new AtomicLong();
    private final ScheduledThreadPoolExecutor timers;
    private final Map<String, long[]> routeBack = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, long[]> eldest) {
            return size() > ROUTE_BACK_SIZE;
        }
    };
    private final Map<String, Object> routeBackNodes = new ConcurrentHashMap<>();
    /**
     * Nodes the membership declared dead, whose messages are dead-lettered at once rather than
     * retried until delivery_timeout: no link will come back for them until they rejoin.
     */
    private final java.util.Set<String> deadNodes = ConcurrentHashMap.newKeySet();
    private volatile Map<String, List<String>> published;

    /**
     * Creates the cluster part of a node; {@link #start} begins the periodic sync.
     *
     * @param self         this node's id
     * @param links        the peer links
     * @param wire         the node's serializer
     * @param router       the node's router
     * @param retry        the retry policy ({@code messaging.retry_*}, {@code delivery_timeout})
     * @param deadLetters  where undeliverable messages go
     * @param localEntries this node's agents and their capabilities
     * @param members      the membership's current view
     * @param preferLocal  {@code messaging.prefer_local_capability}
     */
    public Cluster(String self, PeerLinks links, Serializer wire, Router router, RetryPolicy retry,
                   DeadLetterSink deadLetters, Supplier<Map<String, List<String>>> localEntries,
                   Supplier<List<Member>> members, boolean preferLocal) {
        this.self = self;
        this.links = links;
        this.wire = wire;
        this.router = router;
        this.retry = retry;
        this.deadLetters = deadLetters;
        this.localEntries = localEntries;
        this.members = members;
        this.preferLocal = preferLocal;
        this.timers = dev.caxton.runtime.fatal.FatalErrors.scheduler("caxton-cluster");
        timers.setRemoveOnCancelPolicy(true);
        links.addresses(this::addressOf);
        links.cluster(this::onFrame, this::onOpened);
    }

    /**
     * Starts the periodic directory sync and connects the router.
     *
     * @param syncInterval {@code coordination.cluster.directory_sync_interval}
     */
    public void start(Duration syncInterval) {
        router.remote(this);
        long ms = Math.max(1, syncInterval.toMillis());
        timers.scheduleWithFixedDelay(this::sync, 0, ms, TimeUnit.MILLISECONDS);
    }

    /** @return the directory of the other nodes' agents */
    public ClusterDirectory directory() {
        return directory;
    }

    private InetSocketAddress addressOf(String node) {
        for (Member m : members.get()) {
            if (m.id().value().equals(node)) {
                return m.address();
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- directory

    /** Pushes this node's entries to every peer if they changed (call after a deploy or undeploy). */
    public void publish() {
        Map<String, List<String>> now = localEntries.get();
        if (!now.equals(published)) {
            synchronized (this) {
                if (!now.equals(published)) {
                    published = now;
                    localVersion.incrementAndGet();
                }
            }
            byte[] frame = directoryFrame();
            for (String peer : peers()) {
                links.sendCluster(peer, frame);
            }
        }
    }

    private void sync() {
        try {
            publish();
            for (String peer : peers()) {
                // Opens the link when there is none; the pull answers with the peer's whole entries,
                // which heals any delta this node missed.
                links.sendCluster(peer, new byte[]{PULL});
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cluster: directory sync failed: {0}", e.toString());
        }
    }

    private List<String> peers() {
        List<String> out = new ArrayList<>();
        for (Member m : members.get()) {
            if (!m.id().value().equals(self) && (m.state() == dev.caxton.spi.membership.MemberState.ALIVE
                    || m.state() == dev.caxton.spi.membership.MemberState.SUSPECT)) {
                out.add(m.id().value());
            }
        }
        return out;
    }

    private byte[] directoryFrame() {
        Map<String, List<String>> entries = published == null ? Map.of() : published;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("v", localVersion.get());
        m.put("agents", entries);
        byte[] body = wire.encodeValue(m);
        byte[] frame = new byte[body.length + 1];
        frame[0] = DIRECTORY;
        System.arraycopy(body, 0, frame, 1, body.length);
        return frame;
    }

    private void onOpened(String node) {
        links.sendCluster(node, directoryFrame());
        links.sendCluster(node, new byte[]{PULL});
    }

    /**
     * Applies a membership change: a node judged dead, or gone, loses its entries at once.
     *
     * @param event the change
     */
    public void onMembershipEvent(MembershipEvent event) {
        String node = event.member().id().value();
        switch (event.type()) {
            case DEAD, LEFT -> {
                if (event.type() == MembershipEvent.Type.DEAD && !node.equals(self)) {
                    deadNodes.add(node);
                }
                if (directory.drop(node)) {
                    LOG.log(System.Logger.Level.INFO, "cluster: dropped the agents of node {0} ({1})", node,
                            event.type().name().toLowerCase(java.util.Locale.ROOT));
                }
            }
            case JOINED -> {
                deadNodes.remove(node);
                links.sendCluster(node, new byte[]{PULL});
            }
            default -> { }
        }
    }

    // ---------------------------------------------------------------- frames in

    private void onFrame(String from, ByteBuffer frame) {
        if (!frame.hasRemaining()) {
            links.rejected(from, "empty cluster frame");
            return;
        }
        byte type = frame.get();
        switch (type) {
            case DIRECTORY -> onDirectory(from, frame);
            case PULL -> links.sendCluster(from, directoryFrame());
            case ENVELOPE -> onEnvelope(from, frame);
            case REFUSED -> onRefused(from, frame);
            default -> links.rejected(from, "unknown cluster frame type " + (type & 0xff));
        }
    }

    private static byte[] rest(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private void onDirectory(String from, ByteBuffer frame) {
        Object v;
        try {
            v = wire.decodeValue(rest(frame));
        } catch (SerializationException e) {
            links.rejected(from, "directory entries: " + e.getMessage());
            return;
        }
        ClusterDirectory.Entries entries = parseEntries(v);
        if (entries == null) {
            links.rejected(from, "directory entries are not {\"v\": number, \"agents\": {name: [capability]}}");
            return;
        }
        if (directory.apply(from, entries)) {
            LOG.log(System.Logger.Level.DEBUG, "cluster: node {0} has {1} agents (version {2})", from,
                    entries.agents().size(), entries.version());
        }
    }

    static ClusterDirectory.Entries parseEntries(Object v) {
        if (!(v instanceof Map<?, ?> m) || !(m.get("v") instanceof Number version)
                || !(m.get("agents") instanceof Map<?, ?> agents) || agents.size() > MAX_AGENTS) {
            return null;
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : agents.entrySet()) {
            if (!(e.getKey() instanceof String name) || !dev.caxton.runtime.config.ConfigSchema.NAME.matcher(name).matches()
                    || !(e.getValue() instanceof List<?> caps)) {
                return null;
            }
            List<String> cs = new ArrayList<>();
            for (Object c : caps) {
                if (!(c instanceof String s) || dev.caxton.runtime.routing.CapabilityDirectory.problemWith(s) != null) {
                    return null;
                }
                cs.add(s);
            }
            out.put(name, List.copyOf(cs));
        }
        return new ClusterDirectory.Entries(version.longValue(), out);
    }

    private void onEnvelope(String from, ByteBuffer frame) {
        if (frame.remaining() < 12) {
            links.rejected(from, "envelope frame too short");
            return;
        }
        int attempt = frame.getInt();
        long first = frame.getLong();
        Envelope e;
        try {
            e = wire.decode(rest(frame));
        } catch (RuntimeException ex) {
            links.rejected(from, "envelope: " + ex.getMessage());
            return;
        }
        if (e.receiver() == null || e.receiver().isEmpty() || e.receiver().length() > 256) {
            links.rejected(from, "envelope without a valid receiver");
            return;
        }
        rememberSender(e.sender(), from);
        SendStatus s = router.deliverFromPeer(e);
        if (s != SendStatus.ACCEPTED) {
            String reason = s == SendStatus.QUEUE_FULL ? "the mailbox of '" + e.receiver() + "' is full"
                    : "no agent named '" + e.receiver() + "' takes messages on node " + self;
            byte[] env = wire.encode(e);
            byte[] why = reason.getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(1 + 12 + 1 + 2 + why.length + env.length);
            b.put(REFUSED).putInt(attempt).putLong(first).put((byte) s.ordinal()).putShort((short) why.length)
                    .put(why).put(env);
            if (!links.sendCluster(from, b.array())) {
                // The sender cannot be told: it is this node's message now, dead-letter it here.
                deadLetters.deadLetter(e, "refused by node " + self + ": " + reason + " (and the sender was unreachable)");
            }
        }
    }

    private void onRefused(String from, ByteBuffer frame) {
        if (frame.remaining() < 15) {
            links.rejected(from, "refusal frame too short");
            return;
        }
        int attempt = frame.getInt();
        long first = frame.getLong();
        int status = frame.get() & 0xff;
        int len = frame.getShort() & 0xffff;
        if (status >= SendStatus.values().length || len > frame.remaining()) {
            links.rejected(from, "refusal frame malformed");
            return;
        }
        byte[] why = new byte[len];
        frame.get(why);
        Envelope e;
        try {
            e = wire.decode(rest(frame));
        } catch (RuntimeException ex) {
            links.rejected(from, "refused envelope: " + ex.getMessage());
            return;
        }
        String reason = new String(why, StandardCharsets.UTF_8);
        if (SendStatus.values()[status] == SendStatus.QUEUE_FULL && attempt < retry.attempts()) {
            schedule(from, e, attempt + 1, first);
        } else if (SendStatus.values()[status] == SendStatus.QUEUE_FULL) {
            deadLetters.deadLetter(e, "retries exhausted: " + retry.attempts() + " retries, " + reason + " on node " + from);
        } else {
            deadLetters.deadLetter(e, "refused by node " + from + ": " + reason);
        }
    }

    // ---------------------------------------------------------------- route-back

    private void rememberSender(String sender, String node) {
        if (sender == null || router.isRegistered(sender) || directory.nodeOf(sender) != null) {
            return;
        }
        synchronized (routeBack) {
            long[] at = routeBack.get(sender);
            long now = System.nanoTime();
            if (at == null) {
                routeBack.put(sender, new long[]{now});
            } else {
                at[0] = now;
            }
        }
        routeBackNodes.put(sender, node);
        if (routeBackNodes.size() > ROUTE_BACK_SIZE * 2) {
            pruneRouteBack();
        }
    }

    private void pruneRouteBack() {
        synchronized (routeBack) {
            routeBackNodes.keySet().retainAll(routeBack.keySet());
        }
    }

    private String routeBackOf(String name) {
        Object node = routeBackNodes.get(name);
        if (node == null) {
            return null;
        }
        synchronized (routeBack) {
            long[] at = routeBack.get(name);
            if (at == null || System.nanoTime() - at[0] > ROUTE_BACK_TTL.toNanos()) {
                routeBack.remove(name);
                routeBackNodes.remove(name);
                return null;
            }
        }
        return (String) node;
    }

    // ---------------------------------------------------------------- RemoteRoutes

    @Override
    public String nodeOf(String name) {
        String n = directory.nodeOf(name);
        return n != null ? n : routeBackOf(name);
    }

    @Override
    public List<Holder> holders(String capability) {
        return directory.holders(capability);
    }

    @Override
    public int next(String capability) {
        if (roundRobin.size() > 10_000) {
            roundRobin.clear();
        }
        return roundRobin.computeIfAbsent(capability, c -> new AtomicInteger()).getAndIncrement();
    }

    @Override
    public boolean preferLocal() {
        return preferLocal;
    }

    @Override
    public void forward(String node, Envelope e) {
        attempt(node, e, 0, System.currentTimeMillis());
    }

    private void attempt(String node, Envelope e, int attempt, long first) {
        if (deadNodes.contains(node)) {
            deadLetters.deadLetter(e, "node dead: " + node);
            return;
        }
        byte[] env;
        try {
            env = wire.encode(e);
        } catch (SerializationException ex) {
            deadLetters.deadLetter(e, "cannot be encoded for node " + node + ": " + ex.getMessage());
            return;
        }
        if (!links.fits(env.length + 13)) {
            deadLetters.deadLetter(e, "too large for the transport to node " + node);
            return;
        }
        ByteBuffer b = ByteBuffer.allocate(13 + env.length);
        b.put(ENVELOPE).putInt(attempt).putLong(first).put(env);
        if (links.sendCluster(node, b.array())) {
            return;
        }
        // No usable link (down, still connecting, or full): wait and try again, within delivery_timeout.
        schedule(node, e, attempt + 1, first);
    }

    private void schedule(String node, Envelope e, int attempt, long first) {
        long delay = Math.min(MAX_RETRY_DELAY_MS,
                retry.delayBefore(Math.max(1, Math.min(attempt, Math.max(1, retry.attempts())))).toMillis());
        long elapsed = System.currentTimeMillis() - first;
        if (elapsed + delay > retry.deliveryTimeout().toMillis()) {
            deadLetters.deadLetter(e, "node unreachable: " + node);
            return;
        }
        if (!router.budget().tryAcquire()) {
            deadLetters.deadLetter(e, "the node's queue is full (messaging.queue_size " + router.budget().limit()
                    + "); node " + node + " was not reachable");
            return;
        }
        try {
            timers.schedule(() -> {
                router.budget().release(1);
                try {
                    attempt(node, e, attempt, first);
                } catch (RuntimeException ex) {
                    // Never lose a message silently, whatever went wrong on the way.
                    deadLetters.deadLetter(e, "node unreachable: " + node + " (" + ex.getMessage() + ")");
                }
            }, delay, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException ex) {
            router.budget().release(1);
            deadLetters.deadLetter(e, "node stopping: not sent to node " + node);
        }
    }

    /** Stops the sync and the retries. */
    @Override
    public void close() {
        router.remote(null);
        timers.shutdownNow();
    }
}
