package dev.caxton.runtime.cluster;

import dev.caxton.runtime.api.RoutingException;
import dev.caxton.runtime.api.SendStatus;
import dev.caxton.runtime.routing.DeadLetterSink;
import dev.caxton.runtime.routing.RemoteRoutes;
import dev.caxton.runtime.routing.RetryPolicy;
import dev.caxton.runtime.routing.Router;
import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MembershipEvent;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.serializer.EncodeBuffer;
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
 *   <li>{@code 1} directory: the sender's own entries in full, a map {@code {"v": version,
 *       "agents": {name: [capability...]}}} in the node's serializer;</li>
 *   <li>{@code 2} pull: asks for the receiver's directory entries (no body);</li>
 *   <li>{@code 3} envelope: attempt (int), first attempt's time (long, ms), then the envelope in the
 *       node's serializer;</li>
 *   <li>{@code 4} refusal: attempt, first time, the {@link SendStatus} ordinal (byte), the reason
 *       (short length + UTF-8) and the refused envelope, so the sender retries or dead-letters it
 *       without keeping a copy of every message in flight;</li>
 *   <li>{@code 5} delta: what changed in the sender's entries between two of its versions,
 *       {@code {"from": version, "v": version, "add": {name: [capability...]}, "remove": [name...]}}
 *       ({@code add} also carries agents whose capabilities changed, with the new list). A receiver
 *       whose copy is not at {@code from} ignores it when it already has {@code v} or newer, and
 *       otherwise pulls the full entries;</li>
 *   <li>{@code 6} asked envelope: a number (long) the sender picked, then as {@code 3}; the
 *       receiver answers every one with a {@code 7}, accepted or not (an API client waits for it);</li>
 *   <li>{@code 7} answer: the number, the {@link SendStatus} ordinal (byte), the reason (short
 *       length + UTF-8, empty when accepted);</li>
 *   <li>{@code 8} conversation query and {@code 9} conversation page: see
 *       {@link ClusterConversations};</li>
 *   <li>{@code 12} trace query and {@code 13} trace answer: see {@link ClusterTraces}.</li>
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
    static final byte DELTA = 5;
    static final byte ASK = 6;
    static final byte ANSWER = 7;
    static final byte CONVERSATION_QUERY = 8;
    static final byte CONVERSATION_PAGE = 9;
    /** An envelope the receiver confirms with {@link #STORED} once it is in its outbox (persistence). */
    static final byte PERSIST = 10;
    /** The confirmation of a {@link #PERSIST}: receiver and message id. */
    static final byte STORED = 11;
    /** A query for the hops this node recorded of a message, conversation or trace. */
    static final byte TRACE_QUERY = 12;
    /** The answer to a {@link #TRACE_QUERY}. */
    static final byte TRACE_ANSWER = 13;
    /** Most conversation queries from peers read at once; more are not answered (the asker says so). */
    private static final int MAX_QUERIES = 16;
    private final java.util.concurrent.Semaphore queries = new java.util.concurrent.Semaphore(MAX_QUERIES);
    /** Default of {@code coordination.cluster.accept_timeout}. */
    static final Duration ACCEPT_TIMEOUT = Duration.ofSeconds(1);
    /** Most asked envelopes awaiting an answer; past it API sends are forwarded without asking. */
    static final int MAX_ASKED = 10_000;
    /** Most agents one node's directory entries may list. */
    static final int MAX_AGENTS = 100_000;
    /** Default route-back entries kept ({@code coordination.cluster.route_back_size}). */
    static final int ROUTE_BACK_SIZE = 65_536;
    /** Default life of a route-back entry after its last use ({@code coordination.cluster.route_back_ttl}). */
    static final Duration ROUTE_BACK_TTL = Duration.ofMinutes(10);
    private static final long MAX_RETRY_DELAY_MS = 1000;

    /**
     * The envelope frame being written, one per sending thread (an agent's worker, a client's
     * thread, the retry timer): reused, since the link copies what it keeps before it returns.
     */
    private static final ThreadLocal<EncodeBuffer> FRAMES = ThreadLocal.withInitial(() -> new EncodeBuffer(512));
    /**
     * A thread's frame buffer that grew past this for one large message is dropped once that frame
     * is sent: each sending thread would otherwise keep its largest frame ever (up to the
     * transport's frame limit) for good.
     */
    static final int FRAME_KEPT = 64 * 1024;

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
    private final ClusterConversations conversations;
    private final ClusterTraces traces;
    private final Map<String, AtomicInteger> roundRobin = new ConcurrentHashMap<>();
    // Versions start from the clock so that a restarted node's entries are newer than what its
    // peers kept of its previous run (they would otherwise ignore them until it is judged dead).
    private final AtomicLong localVersion = new AtomicLong(System.currentTimeMillis() * 1000);
    private final ScheduledThreadPoolExecutor timers;
    /**
     * Route-back entries, least recently used first. One map holds the node and the time: every
     * request from a client on another node adds a name, so a second map of the nodes (pruned
     * now and then) cost the event loop a second insertion per request and a sweep every
     * {@code route_back_size} requests.
     */
    private final Map<String, Back> routeBack = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Back> eldest) {
            return size() > routeBackSize;
        }
    };
    private volatile int routeBackSize = ROUTE_BACK_SIZE;
    private volatile long routeBackTtlNanos = ROUTE_BACK_TTL.toNanos();
    /**
     * Nodes the membership declared dead, whose messages are dead-lettered at once rather than
     * retried until delivery_timeout: no link will come back for them until they rejoin.
     */
    private final java.util.Set<String> deadNodes = ConcurrentHashMap.newKeySet();
    private volatile Map<String, List<String>> published;
    /** Whether the local agents changed while no peer was alive, so {@link #published} may be behind. */
    private volatile boolean stale;
    private volatile long acceptTimeoutNanos = ACCEPT_TIMEOUT.toNanos();
    private final Map<Long, Asked> asked = new ConcurrentHashMap<>();
    // Non-null with messaging.enable_persistence.
    private volatile dev.caxton.runtime.durability.Ledger ledger;
    private volatile ClusterOutbox outbox;
    // Set by start(), once the node's agents are back: before that, a stored message for one of them
    // would be refused as for an unknown agent although it is only not restored yet.
    private volatile boolean started;
    private volatile boolean degraded;
    private volatile long keepTtlNanos;
    // Degraded mode: when each node judged dead was judged so (System.nanoTime).
    private final Map<String, Long> deadSince = new ConcurrentHashMap<>();
    private final AtomicLong askNumbers = new AtomicLong();

    /** The answer a waiting sender got; {@link #GAVE_UP} when it stopped waiting first. */
    private record Answer(SendStatus status, String reason) {
    }

    private static final Answer GAVE_UP = new Answer(SendStatus.ACCEPTED, "");

    /** An envelope sent with {@link #ASK}, kept until its answer so a late refusal can still be retried. */
    private record Asked(String node, Envelope envelope, long first, long sinceNanos,
                         java.util.concurrent.CompletableFuture<Answer> answer) {
    }

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
        this.conversations = new ClusterConversations(self, links, CONVERSATION_QUERY, CONVERSATION_PAGE);
        this.traces = new ClusterTraces(self, links, TRACE_QUERY, TRACE_ANSWER);
        links.addresses(this::addressOf);
        links.cluster(this::onFrame, this::onOpened);
    }

    /**
     * Sizes the route-back table: the names of remote senders the directory does not know (API
     * clients waiting on their node), remembered so that replies to them find their node.
     *
     * @param size most names kept ({@code coordination.cluster.route_back_size}); the least
     *             recently used goes first
     * @param ttl  how long a name is kept after its last use ({@code coordination.cluster.route_back_ttl})
     */
    public void routeBack(int size, Duration ttl) {
        if (size < 1 || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("route-back size and ttl must be positive, got " + size + " and " + ttl);
        }
        routeBackSize = size;
        routeBackTtlNanos = ttl.toNanos();
    }

    /**
     * Sets how long an API send to an agent on another node waits for that node to accept or
     * refuse the message ({@code coordination.cluster.accept_timeout}); zero sends without waiting.
     * A request (whose caller has the reply's future) does not wait: a refusal of it that comes
     * within this time goes to that future, a later one is this node's to retry.
     *
     * @param timeout the wait
     */
    public void acceptTimeout(Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("accept_timeout must not be negative, got " + timeout);
        }
        acceptTimeoutNanos = timeout.toNanos();
    }

    /**
     * Keeps messages for other nodes until those nodes have stored them, and confirms the ones this
     * node stores ({@code messaging.enable_persistence}). Call before {@link #start}.
     *
     * @param ledger this node's ledger
     * @param ttl    how long a message for another node may wait for its confirmation ({@code messaging.message_ttl})
     * @param max    most messages waiting for confirmation ({@code messaging.queue_size})
     */
    public void persistence(dev.caxton.runtime.durability.Ledger ledger, Duration ttl, long max) {
        this.ledger = ledger;
        this.outbox = new ClusterOutbox(ledger, links, wire, deadLetters, ttl, max);
        this.keepTtlNanos = ttl.toNanos();
    }

    /**
     * Degraded mode ({@code coordination.partition.degraded_mode}): a node judged dead keeps its
     * place in the directory, marked unreachable, and messages for its agents are accepted and kept
     * (in the outbox with persistence, in memory without) until it comes back or
     * {@code messaging.message_ttl} passes; only then are its agents dropped. Call before {@link #start}.
     *
     * @param ttl how long a dead node's agents stay addressable ({@code messaging.message_ttl})
     * @param max most messages kept for other nodes ({@code messaging.queue_size})
     */
    public void degradedMode(Duration ttl, long max) {
        if (outbox == null) {
            this.outbox = new ClusterOutbox(null, links, wire, deadLetters, ttl, max);
        }
        this.keepTtlNanos = ttl.toNanos();
        this.degraded = true;
    }

    /** @return the nodes judged dead whose agents degraded mode still keeps in the directory */
    public java.util.Set<String> unreachableNodes() {
        return java.util.Set.copyOf(deadSince.keySet());
    }

    /**
     * Takes back, after a restart, a stored message that another node had not confirmed.
     *
     * @param m the outbox entry
     * @return false when the entry is not one for another node
     */
    public boolean recover(dev.caxton.spi.storage.StoredMessage m) {
        ClusterOutbox o = outbox;
        if (o == null || !ClusterOutbox.isRemote(m.receiver())) {
            return false;
        }
        o.recover(m);
        return true;
    }

    /**
     * Counters of the messages kept for other nodes.
     *
     * @return waiting, resent, confirmed; all zero without persistence
     */
    public long[] outboxCounters() {
        ClusterOutbox o = outbox;
        return o == null ? new long[3] : new long[] {o.size(), o.resent(), o.confirmed()};
    }

    /**
     * Starts the periodic directory sync and connects the router.
     *
     * @param syncInterval {@code coordination.cluster.directory_sync_interval}
     */
    public void start(Duration syncInterval) {
        started = true;
        router.remote(this);
        long ms = Math.max(1, syncInterval.toMillis());
        timers.scheduleWithFixedDelay(this::sync, 0, ms, TimeUnit.MILLISECONDS);
        timers.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
    }

    /** @return reads of traces across nodes */
    public ClusterTraces traces() {
        return traces;
    }

    /** @return reads of conversations across nodes */
    public ClusterConversations conversations() {
        return conversations;
    }

    /** @return the peers the membership reports alive or suspect */
    public List<String> livePeers() {
        return peers();
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
        List<String> peers = peers();
        if (peers.isEmpty()) {
            // Nobody to tell: listing every local agent on each deploy would make deploying N agents
            // on a lone node cost O(N^2). The entries are brought up to date when a peer asks for them
            // (directoryFrame) or the next publish finds a peer.
            stale = true;
            return;
        }
        Map<String, List<String>> now = localEntries.get();
        if (now.equals(published)) {
            stale = false;
            return;
        }
        // Computed and sent under the lock so that every peer gets the deltas in version order.
        synchronized (this) {
            stale = false;
            if (now.equals(published)) {
                return;
            }
            Map<String, List<String>> before = published == null ? Map.of() : published;
            long from = localVersion.get();
            published = now;
            long to = localVersion.incrementAndGet();
            byte[] frame = deltaFrame(from, to, before, now);
            if (frame == null || !links.fits(frame.length)) {
                frame = directoryFrame();
            }
            for (String peer : peers) {
                links.sendCluster(peer, frame);
            }
        }
    }

    private byte[] deltaFrame(long from, long to, Map<String, List<String>> before, Map<String, List<String>> now) {
        Map<String, List<String>> add = new LinkedHashMap<>();
        now.forEach((name, caps) -> {
            if (!caps.equals(before.get(name))) {
                add.put(name, caps);
            }
        });
        List<String> remove = new ArrayList<>();
        for (String name : before.keySet()) {
            if (!now.containsKey(name)) {
                remove.add(name);
            }
        }
        if (add.size() + remove.size() >= now.size()) {
            return null;  // no smaller than the full entries: send those
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("from", from);
        m.put("v", to);
        m.put("add", add);
        m.put("remove", remove);
        return typed(DELTA, wire.encodeValue(m));
    }

    private static byte[] typed(byte type, byte[] body) {
        byte[] frame = new byte[body.length + 1];
        frame[0] = type;
        System.arraycopy(body, 0, frame, 1, body.length);
        return frame;
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

    private synchronized byte[] directoryFrame() {
        // Synchronized with publish: the version and the entries must belong together.
        if (stale) {
            // Changes published while no peer was there to hear them: catch up before answering.
            stale = false;
            Map<String, List<String>> now = localEntries.get();
            if (!now.equals(published)) {
                published = now;
                localVersion.incrementAndGet();
            }
        }
        Map<String, List<String>> entries = published == null ? Map.of() : published;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("v", localVersion.get());
        m.put("agents", entries);
        return typed(DIRECTORY, wire.encodeValue(m));
    }

    private void onOpened(String node) {
        links.sendCluster(node, directoryFrame());
        links.sendCluster(node, new byte[]{PULL});
        ClusterOutbox o = outbox;
        if (o != null) {
            o.onOpened(node);
        }
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
                    if (degraded) {
                        // Dead or cut off, nobody here can tell: its agents stay addressable and what is
                        // sent to them waits for the heal (sweep drops them after message_ttl).
                        deadSince.putIfAbsent(node, System.nanoTime());
                        LOG.log(System.Logger.Level.WARNING, "cluster: node {0} is unreachable; degraded mode keeps "
                                + "its agents and holds their messages until it is back", node);
                        return;
                    }
                }
                deadSince.remove(node);
                if (directory.drop(node)) {
                    LOG.log(System.Logger.Level.INFO, "cluster: dropped the agents of node {0} ({1})", node,
                            event.type().name().toLowerCase(java.util.Locale.ROOT));
                }
                deadLetterQueued(node);
            }
            case JOINED -> {
                deadNodes.remove(node);
                deadSince.remove(node);
                links.sendCluster(node, new byte[]{PULL});
            }
            default -> { }
        }
    }

    /** Messages still waiting on the wire for a node that is gone: dead letters, not silent losses. */
    private void deadLetterQueued(String node) {
        deadLetterFrames(node, links.dropQueued(node));
    }

    private void deadLetterFrames(String node, List<byte[]> frames) {
        for (byte[] frame : frames) {
            if (frame.length > 13 && frame[0] == ENVELOPE) {
                try {
                    deadLetters.deadLetter(wire.decode(java.util.Arrays.copyOfRange(frame, 13, frame.length)),
                            "node unreachable: " + node);
                } catch (RuntimeException ex) {
                    LOG.log(System.Logger.Level.WARNING, "cluster: a message queued for node {0} is lost: {1}", node,
                            ex.toString());
                }
            }
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
            case ENVELOPE -> onEnvelope(from, frame, false, false);
            case PERSIST -> onEnvelope(from, frame, false, true);
            case STORED -> {
                ClusterOutbox o = outbox;
                if (o == null) {
                    links.rejected(from, "a stored confirmation, but this node keeps no outbox");
                } else {
                    o.onStored(from, frame);
                }
            }
            case REFUSED -> onRefused(from, frame);
            case DELTA -> onDelta(from, frame);
            case ASK -> onEnvelope(from, frame, true, false);
            case ANSWER -> onAnswer(from, frame);
            case CONVERSATION_QUERY -> onConversationQuery(from, frame);
            case CONVERSATION_PAGE -> conversations.onPage(from, frame);
            case TRACE_QUERY -> onTraceQuery(from, frame);
            case TRACE_ANSWER -> traces.onAnswer(from, frame);
            default -> links.rejected(from, "unknown cluster frame type " + (type & 0xff));
        }
    }

    private void onTraceQuery(String from, ByteBuffer frame) {
        answerOffThread("trace", from, frame, traces::onQuery);
    }

    private void onConversationQuery(String from, ByteBuffer frame) {
        answerOffThread("conversation", from, frame, conversations::onQuery);
    }

    /**
     * Answers a peer's query on a virtual thread (reading may wait for storage: never on the
     * transport's event thread), at most {@link #MAX_QUERIES} at once across kinds.
     */
    private void answerOffThread(String kind, String from, ByteBuffer frame,
                                 java.util.function.BiConsumer<String, ByteBuffer> answer) {
        if (!queries.tryAcquire()) {
            LOG.log(System.Logger.Level.DEBUG, "cluster: too many queries at once; a {0} query from {1} unanswered", kind, from);
            return;
        }
        ByteBuffer copy = ByteBuffer.wrap(rest(frame));
        try {
            Thread.ofVirtual().name("caxton-" + kind + "-query").start(() -> {
                try {
                    answer.accept(from, copy);
                } finally {
                    queries.release();
                }
            });
        } catch (RuntimeException e) {
            queries.release();
            throw e;
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

    private void onDelta(String from, ByteBuffer frame) {
        Object v;
        try {
            v = wire.decodeValue(rest(frame));
        } catch (SerializationException e) {
            links.rejected(from, "directory delta: " + e.getMessage());
            return;
        }
        Map<String, List<String>> add = null;
        List<String> remove = null;
        if (v instanceof Map<?, ?> m && m.get("from") instanceof Number base && m.get("v") instanceof Number to
                && base.longValue() < to.longValue()) {
            add = parseAgents(m.get("add"));
            remove = parseNames(m.get("remove"));
            if (add != null && remove != null) {
                switch (directory.applyDelta(from, base.longValue(), to.longValue(), add, remove)) {
                    case APPLIED -> LOG.log(System.Logger.Level.DEBUG, "cluster: node {0} changed {1} agents (version {2})",
                            from, add.size() + remove.size(), to);
                    case STALE -> { }
                    // A delta was missed (or this node forgot the sender's entries): take them whole.
                    case GAP -> links.sendCluster(from, new byte[]{PULL});
                }
                return;
            }
        }
        links.rejected(from, "directory delta is not {\"from\": number, \"v\": larger number, "
                + "\"add\": {name: [capability]}, \"remove\": [name]}");
    }

    private static List<String> parseNames(Object v) {
        if (!(v instanceof List<?> names) || names.size() > MAX_AGENTS) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (Object n : names) {
            if (!(n instanceof String name) || !dev.caxton.runtime.config.ConfigSchema.NAME.matcher(name).matches()) {
                return null;
            }
            out.add(name);
        }
        return out;
    }

    static ClusterDirectory.Entries parseEntries(Object v) {
        if (!(v instanceof Map<?, ?> m) || !(m.get("v") instanceof Number version)) {
            return null;
        }
        Map<String, List<String>> agents = parseAgents(m.get("agents"));
        return agents == null ? null : new ClusterDirectory.Entries(version.longValue(), agents);
    }

    private static Map<String, List<String>> parseAgents(Object v) {
        if (!(v instanceof Map<?, ?> agents) || agents.size() > MAX_AGENTS) {
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
        return out;
    }

    private void onEnvelope(String from, ByteBuffer frame, boolean ask, boolean persist) {
        if (frame.remaining() < (ask ? 20 : 12)) {
            links.rejected(from, "envelope frame too short");
            return;
        }
        long number = ask ? frame.getLong() : 0;
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
        if (e.messageId() == null) {
            links.rejected(from, "envelope without a message id");
            return;
        }
        if (persist && !started) {
            // Not answered: the sender keeps it and sends it again in a moment.
            return;
        }
        rememberSender(e.sender(), from);
        SendStatus s = router.deliverFromPeer(e);
        if (persist && s == SendStatus.ACCEPTED) {
            // Confirmed once stored here: until then the sender keeps it and sends it again.
            byte[] stored = ClusterOutbox.storedFrame(e.receiver(), e.messageId());
            dev.caxton.runtime.durability.Ledger l = ledger;
            if (l == null) {
                links.sendCluster(from, stored);
            } else {
                l.sync().thenRun(() -> links.sendCluster(from, stored));
            }
            return;
        }
        String reason = s == SendStatus.ACCEPTED ? ""
                : s == SendStatus.QUEUE_FULL ? "the mailbox of '" + e.receiver() + "' is full"
                : "no agent named '" + e.receiver() + "' takes messages on node " + self;
        if (ask) {
            String said = s == SendStatus.QUEUE_FULL ? "the mailbox of '" + e.receiver() + "' on node " + self + " is full"
                    : reason;
            byte[] why = said.getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(1 + 8 + 1 + 2 + why.length);
            b.put(ANSWER).putLong(number).put((byte) s.ordinal()).putShort((short) why.length).put(why);
            if (!links.sendCluster(from, b.array()) && s != SendStatus.ACCEPTED) {
                deadLetters.deadLetter(e, "refused by node " + self + ": " + reason + " (and the sender was unreachable)");
            }
            return;
        }
        if (s != SendStatus.ACCEPTED) {
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
        ClusterOutbox o = outbox;
        if (o != null && o.onRefused(from, e, SendStatus.values()[status], reason)) {
            return;
        }
        if (toldToSender(from, e, attempt, first, SendStatus.values()[status], reason)) {
            return;
        }
        if (SendStatus.values()[status] == SendStatus.QUEUE_FULL && attempt < retry.attempts()) {
            schedule(from, e, attempt + 1, first);
        } else if (SendStatus.values()[status] == SendStatus.QUEUE_FULL) {
            deadLetters.deadLetter(e, "retries exhausted: " + retry.attempts() + " retries, " + reason + " on node " + from);
        } else {
            deadLetters.deadLetter(e, "refused by node " + from + ": " + reason);
        }
    }

    /**
     * A first attempt refused within {@code accept_timeout} of its sending, by a sender waiting here
     * that takes refusals (a client's request, see {@link Router#route(Envelope, int)}): it hears
     * the refusal as an API send that waited for the answer would have, and the message is not
     * this node's to retry. Past the timeout the message is the node's own, as after a wait that
     * ran out.
     */
    private boolean toldToSender(String from, Envelope e, int attempt, long first, SendStatus status, String reason) {
        long timeout = acceptTimeoutNanos;
        if (attempt != 0 || timeout == 0
                || TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis() - first) > timeout) {
            return false;
        }
        // Only the node the message went to may end the sender's wait: another member that learnt
        // a client's name and a message id cannot fail that client's request with a refusal of its own.
        if (e.receiver() == null || !from.equals(directory.nodeOf(e.receiver()))) {
            return false;
        }
        String said = status == SendStatus.QUEUE_FULL
                ? "the mailbox of '" + e.receiver() + "' on node " + from + " is full" : reason;
        return router.refusedElsewhere(e, new RoutingException(status, EnvelopeFields.RECEIVER, said));
    }

    private void onAnswer(String from, ByteBuffer frame) {
        if (frame.remaining() < 11) {
            links.rejected(from, "answer frame too short");
            return;
        }
        long number = frame.getLong();
        int status = frame.get() & 0xff;
        int len = frame.getShort() & 0xffff;
        if (status >= SendStatus.values().length || len != frame.remaining()) {
            links.rejected(from, "answer frame malformed");
            return;
        }
        byte[] why = new byte[len];
        frame.get(why);
        Asked a = asked.get(number);
        // Only the node that was asked may answer (a peer cannot settle another's messages).
        if (a == null || !a.node().equals(from) || !asked.remove(number, a)) {
            return;
        }
        Answer answer = new Answer(SendStatus.values()[status], new String(why, StandardCharsets.UTF_8));
        if (a.answer().complete(answer) || answer.status() == SendStatus.ACCEPTED) {
            return;
        }
        // The client stopped waiting and was told 202: the message is this node's now, as any forward.
        if (answer.status() == SendStatus.QUEUE_FULL && retry.attempts() > 0) {
            schedule(from, a.envelope(), 1, a.first());
        } else {
            deadLetters.deadLetter(a.envelope(), answer.status() == SendStatus.QUEUE_FULL
                    ? "retries exhausted: " + retry.attempts() + " retries, " + answer.reason()
                    : "refused by node " + from + ": " + answer.reason());
        }
    }

    /** Housekeeping once a second: expired wire-queue frames and unanswered asks. */
    private void sweep() {
        try {
            // A peer that stays alive but never reads: its queued messages end as an unreachable
            // node's would, after delivery_timeout.
            links.expireQueued(retry.deliveryTimeout()).forEach(this::deadLetterFrames);
            forgetUnanswered();
            ClusterOutbox o = outbox;
            if (o != null) {
                o.sweep();
            }
            long now = System.nanoTime();
            deadSince.entrySet().removeIf(e -> {
                if (now - e.getValue() < keepTtlNanos) {
                    return false;
                }
                if (directory.drop(e.getKey())) {
                    LOG.log(System.Logger.Level.INFO, "cluster: dropped the agents of node {0}, unreachable for longer "
                            + "than messaging.message_ttl", e.getKey());
                }
                return true;
            });
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cluster: housekeeping failed: {0}", e.toString());
        }
    }

    /** Asked envelopes never answered (the connection broke): forgotten, at most once as any frame. */
    private void forgetUnanswered() {
        long limit = Math.max(acceptTimeoutNanos, retry.deliveryTimeout().toNanos()) + TimeUnit.SECONDS.toNanos(1);
        long now = System.nanoTime();
        asked.values().removeIf(a -> {
            boolean old = now - a.sinceNanos() > limit;
            if (old) {
                a.answer().complete(GAVE_UP);
            }
            return old;
        });
    }

    @Override
    public Refusal forwardConfirmed(String node, Envelope e) {
        if (outbox != null) {
            // With persistence the message is accepted once stored here; the other node confirms later.
            forward(node, e);
            return null;
        }
        long timeout = acceptTimeoutNanos;
        if (timeout == 0 || asked.size() >= MAX_ASKED) {
            forward(node, e);
            return null;
        }
        long first = System.currentTimeMillis();
        long number = askNumbers.incrementAndGet();
        EncodeBuffer frame;
        try {
            frame = envelopeFrame(ASK, number, 0, first, e);
        } catch (SerializationException ex) {
            return new Refusal(SendStatus.MALFORMED, "cannot be encoded for node " + node + ": " + ex.getMessage());
        }
        if (!links.fits(frame.length() - 1)) {
            letGo(frame);
            return new Refusal(SendStatus.MALFORMED, "too large for the transport to node " + node);
        }
        Asked a = new Asked(node, e, first, System.nanoTime(), new java.util.concurrent.CompletableFuture<>());
        asked.put(number, a);
        boolean sent = links.sendCluster(node, frame.array(), frame.length(), e.effectivePriority());
        letGo(frame);
        if (!sent) {
            // No usable link now: the ordinary retries within delivery_timeout, and a 202.
            asked.remove(number);
            schedule(node, e, 1, first);
            return null;
        }
        Answer answer;
        try {
            answer = a.answer().get(timeout, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException ex) {
            // No answer yet: the client hears 202; a later refusal is retried or dead-lettered here.
            answer = a.answer().complete(GAVE_UP) ? GAVE_UP : a.answer().join();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            answer = a.answer().complete(GAVE_UP) ? GAVE_UP : a.answer().join();
        } catch (java.util.concurrent.ExecutionException ex) {
            answer = GAVE_UP;
        }
        return answer.status() == SendStatus.ACCEPTED ? null : new Refusal(answer.status(), answer.reason());
    }

    // ---------------------------------------------------------------- route-back

    /** Where a sender the directory does not know wrote from, and when (System.nanoTime) it last did. */
    private static final class Back {
        String node;
        long at;

        Back(String node, long at) {
            this.node = node;
            this.at = at;
        }
    }

    private void rememberSender(String sender, String node) {
        if (sender == null || router.isRegistered(sender) || directory.nodeOf(sender) != null) {
            return;
        }
        long now = System.nanoTime();
        synchronized (routeBack) {
            Back b = routeBack.get(sender);
            if (b == null) {
                routeBack.put(sender, new Back(node, now));
            } else {
                b.node = node;
                b.at = now;
            }
        }
    }

    private String routeBackOf(String name) {
        synchronized (routeBack) {
            Back b = routeBack.get(name);
            if (b == null) {
                return null;
            }
            if (System.nanoTime() - b.at > routeBackTtlNanos) {
                routeBack.remove(name);
                return null;
            }
            return b.node;
        }
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
        ClusterOutbox o = outbox;
        if (o != null) {
            String refused = o.offer(node, e);
            if (refused != null) {
                deadLetters.deadLetter(e, refused);
            }
            return;
        }
        attempt(node, e, 0, System.currentTimeMillis());
    }

    private void attempt(String node, Envelope e, int attempt, long first) {
        if (deadNodes.contains(node)) {
            deadLetters.deadLetter(e, "node dead: " + node);
            return;
        }
        EncodeBuffer frame;
        try {
            frame = envelopeFrame(ENVELOPE, 0, attempt, first, e);
        } catch (SerializationException ex) {
            deadLetters.deadLetter(e, "cannot be encoded for node " + node + ": " + ex.getMessage());
            return;
        }
        if (!links.fits(frame.length() - 1)) {
            letGo(frame);
            deadLetters.deadLetter(e, "too large for the transport to node " + node);
            return;
        }
        boolean sent = links.sendCluster(node, frame.array(), frame.length(), e.effectivePriority());
        letGo(frame);
        if (sent) {
            return;
        }
        // No usable link (down, still connecting, or full): wait and try again, within delivery_timeout.
        schedule(node, e, attempt + 1, first);
    }

    /**
     * An {@link #ENVELOPE} (or, with its number, {@link #ASK}) frame, written once into this
     * thread's buffer after a free byte for the link's channel, so a frame the link sends at once
     * goes from here to the transport with no copy of the encoding in between. Valid until the
     * thread's next frame.
     */
    private EncodeBuffer envelopeFrame(byte type, long number, int attempt, long first, Envelope e) {
        EncodeBuffer frame = FRAMES.get();
        frame.reset();
        frame.advance(1);
        frame.write(type);
        if (type == ASK) {
            putBigEndian(frame, number, 8);
        }
        putBigEndian(frame, attempt, 4);
        putBigEndian(frame, first, 8);
        wire.encode(e, frame);
        return frame;
    }

    /** Drops this thread's frame buffer if one large frame grew it past {@link #FRAME_KEPT}. */
    private static void letGo(EncodeBuffer frame) {
        if (frame.array().length > FRAME_KEPT) {
            FRAMES.remove();
        }
    }

    /** @return how many bytes this thread's frame buffer holds on to now (for tests) */
    static int keptFrameBytes() {
        return FRAMES.get().array().length;
    }

    // Big-endian by hand, as ByteBuffer would write it: a wrapper per frame showed in the profile.
    private static void putBigEndian(EncodeBuffer b, long v, int bytes) {
        int at = b.length();
        byte[] a = b.reserve(bytes);
        for (int i = 0; i < bytes; i++) {
            a[at + i] = (byte) (v >>> (8 * (bytes - 1 - i)));
        }
        b.advance(bytes);
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
