package dev.caxton.membership.swim;

import dev.caxton.membership.swim.Wire.Ack;
import dev.caxton.membership.swim.Wire.Alive;
import dev.caxton.membership.swim.Wire.Dead;
import dev.caxton.membership.swim.Wire.Left;
import dev.caxton.membership.swim.Wire.Nack;
import dev.caxton.membership.swim.Wire.Ping;
import dev.caxton.membership.swim.Wire.PingReq;
import dev.caxton.membership.swim.Wire.PushPull;
import dev.caxton.membership.swim.Wire.Record;
import dev.caxton.membership.swim.Wire.Stamp;
import dev.caxton.membership.swim.Wire.Suspect;
import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.MembershipEvent;
import dev.caxton.spi.membership.NodeId;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.DoubleConsumer;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * The SWIM protocol with the Lifeguard refinements, as a state machine driven by two seams: a
 * {@link Clock} that tells the time and runs tasks later, and an {@link Endpoint} that sends packets.
 * Received packets come in through {@link #onPacket}. Everything runs on the one thread the clock runs
 * tasks on (the caller guarantees it), so the state needs no lock; on real UDP that is one scheduler
 * thread, in the simulation the virtual clock's loop.
 *
 * <p>What it does, following memberlist's public design:
 * <ul>
 *   <li><b>Probing</b>: every probe interval one node, in a randomized round-robin order, gets a ping;
 *       without an ack after the probe timeout, {@code indirectProbes} other nodes are asked to ping it
 *       (ping-req) and relay the ack or a nack; without any ack by the end of the interval it is
 *       suspected.</li>
 *   <li><b>Suspicion</b> (Lifeguard): a suspect is declared dead after a timeout that starts at
 *       {@code suspicionMaxTimeoutMult ×} its minimum, {@code suspicionMult × max(1, log10 n) × probe
 *       interval}, and shrinks towards the minimum as other nodes independently confirm the
 *       suspicion.</li>
 *   <li><b>Incarnations and refutation</b>: a node that hears it is suspected (or declared dead)
 *       raises its incarnation and gossips that it is alive; the newer incarnation wins everywhere.
 *       A node's first incarnation is the wall-clock time it joined, so a restarted node is always
 *       newer than its previous life.</li>
 *   <li><b>Local health</b> (Lifeguard): a score that grows when this node's own probes fail
 *       without the nacks that would show the network is fine, or when it must refute a suspicion,
 *       and shrinks on every successful probe; probe timeouts and intervals are scaled by score + 1.</li>
 *   <li><b>Dissemination</b>: updates are piggybacked on every packet and sent to
 *       {@code gossipFanout} random nodes each gossip interval, each at most
 *       {@code retransmitMult × ceil(log10(n + 1))} times, least-sent first.</li>
 *   <li><b>Anti-entropy</b>: every push-pull interval (stretched beyond 32 nodes) the full state goes to
 *       one random node, which answers with its own, in as many UDP packets as needed; a node with no
 *       live peer does this with its seeds instead (this is how it joins, and rejoins after a
 *       partition).</li>
 * </ul>
 */
final class SwimCore {

    /** Time and deferred work. */
    interface Clock {
        /**
         * @return a monotonic time in milliseconds
         */
        long now();

        /**
         * @return the wall-clock time in milliseconds (for incarnations and last-heard times)
         */
        long wallMillis();

        /**
         * Runs a task later on the protocol's thread.
         *
         * @param delayMs how long from now
         * @param task    the task
         */
        void schedule(long delayMs, Runnable task);
    }

    /** Where packets go. */
    @FunctionalInterface
    interface Endpoint {
        /**
         * Sends one packet, best effort; never blocks for long and never throws.
         *
         * @param to     the SWIM address of the receiver
         * @param packet at most {@link Wire#MAX_PACKET} bytes
         */
        void send(InetSocketAddress to, byte[] packet);
    }

    /** Receives the changes, on the protocol's thread. */
    @FunctionalInterface
    interface Listener {
        /**
         * @param type   what happened
         * @param member the member as it is now
         */
        void event(MembershipEvent.Type type, Member member);
    }

    /** What this node knows of another. */
    private static final class Node {
        final String id;
        InetSocketAddress swim;
        InetSocketAddress transport;
        Map<String, String> metadata;
        long incarnation;
        MemberState state = MemberState.ALIVE;
        long stateSince;
        long lastHeardWall = -1;
        /** When the change that put this node in its current state was made at its origin; 0 unknown. */
        long origin;
        Suspicion suspicion;
        /** The encoded record pushPull last sent for this node, and what it was made from. */
        byte[] pushed;
        MemberState pushedState;
        long pushedIncarnation = -1;
        long pushedOrigin;

        Node(String id) {
            this.id = id;
        }
    }

    /** A running suspicion: when it started, who confirmed it, and the timer's generation. */
    private final class Suspicion {
        final Node node;
        final long incarnation;
        final long start;
        final int k;
        final long min;
        final long max;
        final Set<String> confirmations = new HashSet<>();
        long deadline;

        Suspicion(Node node, long incarnation, String from, int k, long min, long max) {
            this.node = node;
            this.incarnation = incarnation;
            this.start = clock.now();
            this.k = k;
            this.min = min;
            this.max = max;
            confirmations.add(from);
            this.deadline = start + (k < 1 ? min : max);
            arm();
        }

        /**
         * An independent confirmation: the timeout shrinks as log(c + 1) / log(k + 1) of the way from max
         * to min (Lifeguard's formula).
         */
        boolean confirm(String from) {
            if (k < 1 || confirmations.size() > k || !confirmations.add(from)) {
                return false;
            }
            int c = confirmations.size() - 1;
            double frac = Math.log(c + 1.0) / Math.log(k + 1.0);
            long timeout = Math.max(min, (long) (max - (max - min) * frac));
            // A late confirmation may shrink the timeout to less than has already passed: the verdict
            // then waits one probe interval more, time for the last call (see arm) to be answered,
            // instead of falling at once on a node that may have refuted long ago.
            deadline = Math.max(start + timeout, clock.now() + config.probeIntervalMs());
            arm();
            return true;
        }

        private void arm() {
            long armedFor = deadline;
            // Last calls before the verdict, three, two and one probe interval before it (never before the
            // start): everyone else may have learnt the refutation long ago while this node missed all
            // of its gossip, and a stale accusation reaching the suspect makes it answer directly.
            for (int lead = 3; lead >= 1; lead--) {
                long at = deadline - lead * config.probeIntervalMs();
                // (Calls whose time has passed are made once, now, not once for each lead.)
                if (at > start && (lead == 1 || at >= clock.now())) {
                    scheduleSuspicionTask(node, at, armedFor, false);
                }
            }
            scheduleSuspicionTask(node, deadline, armedFor, true);
        }
    }

    /**
     * A suspicion's timer: a last call, or the verdict. The task holds the node and the deadline it was
     * armed for, not the suspicion: a refuted suspicion is then garbage at once instead of living until
     * its deadline (up to a minute; at 1,000 nodes and 20% loss millions of them were kept that way).
     */
    private void scheduleSuspicionTask(Node n, long at, long armedFor, boolean verdict) {
        clock.schedule(Math.max(0, at - clock.now()), () -> {
            Suspicion s = n.suspicion;
            if (running && s != null && s.deadline == armedFor) {
                if (verdict) {
                    suspicionExpired(s);
                } else {
                    lastCall(s);
                }
            }
        });
    }

    /** One queued update and how often it went out. */
    private record Broadcast(String node, byte[] bytes, int transmits) {
    }

    /** A probe waiting for its ack. */
    private static final class Pending {
        final Runnable onAck;
        final Runnable onNack;

        Pending(Runnable onAck, Runnable onNack) {
            this.onAck = onAck;
            this.onNack = onNack;
        }
    }

    private final String selfId;
    private final SwimConfig config;
    private final Clock clock;
    private final Endpoint endpoint;
    private final Sealer sealer;
    private final RandomGenerator random;
    private final Supplier<List<InetSocketAddress>> seeds;
    private final Listener listener;

    private InetSocketAddress selfSwim;
    private InetSocketAddress selfTransport;
    private Map<String, String> selfMetadata = Map.of();
    private long incarnation;
    /** When this node's current alive message (its incarnation) was made. */
    private long selfOrigin;
    private boolean running;
    private boolean leaving;

    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final List<Node> probeOrder = new ArrayList<>();
    private int probeIndex;
    private int seq;
    private final Map<Integer, Pending> pending = new HashMap<>();
    private final List<Broadcast> broadcasts = new ArrayList<>();
    private int awareness;
    private final Map<String, Long> drops = new TreeMap<>();
    private long packetsSent;
    private long packetsReceived;
    private final Map<String, Long> events = new TreeMap<>(Map.of(
            "probe", 0L, "indirect_probe", 0L, "suspicion", 0L, "refutation", 0L,
            "convergence_stamp_future", 0L, "convergence_stamp_stale", 0L));
    private DoubleConsumer convergence;
    private long startedWall = Long.MAX_VALUE;
    private final Map<String, Long> lastPushPullWith = new HashMap<>();
    /** When this node last answered a push-pull from each address (one answer per exchange). */
    private final Map<InetSocketAddress, Long> lastReplyTo = new HashMap<>();
    /**
     * {@link #liveCount()} remembered until a member's state changes (-1: count again). It is asked for
     * on every packet sent (the retransmit limit), and counting a thousand members each time was the
     * largest cost of a 1,000-node simulation.
     */
    private int liveCache = -1;

    /**
     * @param selfId   this node's id
     * @param config   the parameters
     * @param clock    time and the protocol's thread
     * @param endpoint where packets go
     * @param sealer   seals and opens packets (the gossip key)
     * @param random   the source of every random choice (seeded in simulations)
     * @param seeds    resolves the seeds, called on every join attempt
     * @param listener receives the changes
     */
    SwimCore(String selfId, SwimConfig config, Clock clock, Endpoint endpoint, Sealer sealer, RandomGenerator random,
             Supplier<List<InetSocketAddress>> seeds, Listener listener) {
        this.selfId = Objects.requireNonNull(selfId, "selfId");
        this.config = config;
        this.clock = clock;
        this.endpoint = endpoint;
        this.sealer = sealer;
        this.random = random;
        this.seeds = seeds;
        this.listener = listener;
    }

    // ------------------------------------------------------------------------------------ life cycle

    /**
     * Starts the protocol: this node is alive with a new incarnation, the seeds are contacted and the
     * probe, gossip and push-pull loops begin.
     *
     * @param swim      where this node's SWIM endpoint is reached
     * @param transport where this node's transport listens (what other nodes connect to)
     * @param metadata  this node's metadata, within {@link Wire#checkMetadata}'s bounds
     */
    void start(InetSocketAddress swim, InetSocketAddress transport, Map<String, String> metadata) {
        Wire.checkMetadata(metadata);
        this.selfSwim = swim;
        this.selfTransport = transport;
        this.selfMetadata = Map.copyOf(metadata);
        this.incarnation = Math.max(incarnation + 1, clock.wallMillis());
        this.selfOrigin = clock.wallMillis();
        this.startedWall = selfOrigin;
        this.running = true;
        liveCache = -1;
        this.leaving = false;
        listener.event(MembershipEvent.Type.JOINED, selfMember());
        pushPullTick();
        clock.schedule(stagger(config.probeIntervalMs()), this::probeTick);
        clock.schedule(stagger(config.gossipIntervalMs()), this::gossipTick);
        clock.schedule(config.gossipToDeadMs(), this::reapTick);
    }

    /** A random start within the first interval, so that nodes started together do not tick together. */
    private long stagger(long interval) {
        return 1 + random.nextLong(Math.max(1, interval));
    }

    /**
     * Leaves gracefully: every live node is told directly, the news is queued for gossip, and the loops
     * stop. Other nodes report this node {@code LEFT}.
     */
    void leave() {
        if (!running) {
            return;
        }
        leaving = true;
        byte[] left = Wire.stamped(Wire.encode(new Left(selfId, incarnation)), clock.wallMillis());
        queue(selfId, left);
        for (Node n : nodes.values()) {
            if (n.state == MemberState.ALIVE || n.state == MemberState.SUSPECT) {
                // Twice: the goodbye is what tells the others this is not a crash, and UDP may lose one.
                sendRecords(n.swim, List.of(left));
                sendRecords(n.swim, List.of(left));
            }
        }
        running = false;
        liveCache = -1;
        pending.clear();
        listener.event(MembershipEvent.Type.LEFT, selfMember());
    }

    /** Stops without a word, as a crash would; for simulations. */
    void halt() {
        running = false;
        liveCache = -1;
        pending.clear();
    }

    /** Whether the protocol runs (started and not left). */
    boolean running() {
        return running;
    }

    /**
     * Replaces this node's metadata; the others learn it from an alive update with a higher
     * incarnation.
     *
     * @param metadata the new metadata
     */
    void updateMetadata(Map<String, String> metadata) {
        Wire.checkMetadata(metadata);
        if (metadata.equals(selfMetadata)) {
            return;
        }
        selfMetadata = Map.copyOf(metadata);
        if (running) {
            incarnation++;
            selfOrigin = clock.wallMillis();
            queue(selfId, selfAliveStamped());
            listener.event(MembershipEvent.Type.UPDATED, selfMember());
        }
    }

    // ------------------------------------------------------------------------------------ views

    /**
     * The members known, this node first; dead and left nodes stay listed for {@code gossipToDead}.
     *
     * @return a snapshot
     */
    List<Member> members() {
        List<Member> out = new ArrayList<>(nodes.size() + 1);
        if (running) {
            out.add(selfMember());
        }
        for (Node n : nodes.values()) {
            out.add(member(n));
        }
        return out;
    }

    /**
     * How this node judges another, without building the whole member list.
     *
     * @param id the other node
     * @return its state, or null when unknown
     */
    MemberState stateOf(String id) {
        Node n = nodes.get(id);
        return n == null ? null : n.state;
    }

    /**
     * The metadata this node holds for another.
     *
     * @param id the other node
     * @return the metadata, or null when unknown
     */
    Map<String, String> metadataOf(String id) {
        Node n = nodes.get(id);
        return n == null ? null : n.metadata;
    }

    /**
     * The incarnation this node holds for another.
     *
     * @param id the other node
     * @return the incarnation, or -1 when unknown
     */
    long incarnationOf(String id) {
        Node n = nodes.get(id);
        return n == null ? -1 : n.incarnation;
    }

    /** The local health score (0 healthy, up to {@code awarenessMax}). */
    int awareness() {
        return awareness;
    }

    /** This node's incarnation. */
    long incarnation() {
        return incarnation;
    }

    /** Packets dropped, by reason. */
    Map<String, Long> drops() {
        return Collections.unmodifiableMap(drops);
    }

    /** Protocol events by kind: probes, indirect probes (ping-reqs sent), suspicions, refutations. */
    Map<String, Long> events() {
        return Collections.unmodifiableMap(events);
    }

    /**
     * Where convergence times go: for each change of another member's state applied here that carried
     * its origin's time, the seconds since then (wall clocks of two nodes: meaningful when synchronised).
     *
     * @param sink the receiver, called on the protocol's thread, or null for none
     */
    void onConvergence(DoubleConsumer sink) {
        this.convergence = sink;
    }

    private void converged(long origin) {
        DoubleConsumer c = convergence;
        // A change made before this node started is history it catches up on, not convergence.
        if (c == null || origin <= 0 || origin < startedWall) {
            return;
        }
        // The stamp is whatever a peer wrote: one from the future, or older than news is ever gossiped,
        // is forged (or the clocks disagree too much to measure anything) and would skew the histogram.
        // (Stamps from the future were already forgotten when the packet was read.)
        long age = clock.wallMillis() - origin;
        if (age > staleStampMs()) {
            count("convergence_stamp_stale");
        } else {
            c.accept(Math.max(0, age) / 1000.0);
        }
    }

    /**
     * How old a change's stamp may be and still count as convergence: gossip_to_dead, the time the
     * cluster keeps talking about a dead node, but never less than ten probe intervals.
     */
    long staleStampMs() {
        return Math.max(config.gossipToDeadMs(), 10 * config.probeIntervalMs());
    }

    private void count(String kind) {
        events.merge(kind, 1L, Long::sum);
    }

    /** Packets sent since start. */
    long packetsSent() {
        return packetsSent;
    }

    /** Packets received (whether accepted or not) since start. */
    long packetsReceived() {
        return packetsReceived;
    }

    /** How many nodes, this one included, are alive or suspect. */
    private int liveCount() {
        if (liveCache >= 0) {
            return liveCache;
        }
        int n = running ? 1 : 0;
        for (Node x : nodes.values()) {
            if (x.state == MemberState.ALIVE || x.state == MemberState.SUSPECT) {
                n++;
            }
        }
        liveCache = n;
        return n;
    }

    private Member selfMember() {
        return new Member(new NodeId(selfId), selfTransport, running ? MemberState.ALIVE : MemberState.LEFT,
                incarnation, selfMetadata);
    }

    private Member member(Node n) {
        return new Member(new NodeId(n.id), n.transport, n.state, n.incarnation, n.metadata,
                n.lastHeardWall < 0 ? null : Instant.ofEpochMilli(n.lastHeardWall));
    }

    private Alive selfAlive() {
        return new Alive(selfId, incarnation, selfSwim, selfTransport, selfMetadata);
    }

    private byte[] selfAliveStamped() {
        return Wire.stamped(Wire.encode(selfAlive()), selfOrigin);
    }

    // ------------------------------------------------------------------------------------ probing

    private long scaled(long ms) {
        return ms * (awareness + 1);
    }

    private void probeTick() {
        if (!running) {
            return;
        }
        Node target = nextProbeTarget();
        if (target != null) {
            probe(target);
        }
        clock.schedule(scaled(config.probeIntervalMs()), this::probeTick);
    }

    /** Randomized round-robin: walk a shuffled list, reshuffling at the end, skipping the not-live. */
    private Node nextProbeTarget() {
        for (int tries = 0; tries <= probeOrder.size(); tries++) {
            if (probeIndex >= probeOrder.size()) {
                probeOrder.removeIf(n -> nodes.get(n.id) != n);
                shuffle(probeOrder);
                probeIndex = 0;
                if (probeOrder.isEmpty()) {
                    return null;
                }
            }
            Node n = probeOrder.get(probeIndex++);
            if (nodes.get(n.id) == n && (n.state == MemberState.ALIVE || n.state == MemberState.SUSPECT)) {
                return n;
            }
        }
        return null;
    }

    private void shuffle(List<?> list) {
        for (int i = list.size() - 1; i > 0; i--) {
            Collections.swap(list, i, random.nextInt(i + 1));
        }
    }

    private void probe(Node target) {
        int s = ++seq;
        count("probe");
        long interval = scaled(config.probeIntervalMs());
        long timeout = Math.min(scaled(config.probeTimeoutMs()), interval);
        boolean[] acked = {false};
        int[] nacks = {0};
        int[] expectedNacks = {0};
        pending.put(s, new Pending(() -> acked[0] = true, () -> nacks[0]++));
        List<byte[]> ping = new ArrayList<>(2);
        ping.add(Wire.encode(new Ping(s, target.id)));
        if (target.state == MemberState.SUSPECT) {
            // Lifeguard's buddy system: tell a suspect directly, so it can refute without waiting for gossip.
            ping.add(Wire.encode(new Suspect(target.id, target.incarnation, selfId)));
        }
        sendRecords(target.swim, ping);
        clock.schedule(timeout, () -> {
            if (!running || acked[0]) {
                return;
            }
            List<Node> helpers = randomNodes(config.indirectProbes(),
                    n -> n != target && n.state == MemberState.ALIVE);
            byte[] req = Wire.encode(new PingReq(s, target.id, target.swim));
            for (Node h : helpers) {
                count("indirect_probe");
                sendRecords(h.swim, List.of(req));
            }
            expectedNacks[0] = helpers.size();
        });
        clock.schedule(interval, () -> {
            pending.remove(s);
            if (!running) {
                return;
            }
            if (acked[0]) {
                awareness = Math.max(0, awareness - 1);
                return;
            }
            // Lifeguard: no nacks from helpers that should have sent them means this node is the slow one.
            int delta = expectedNacks[0] > 0 ? Math.max(0, expectedNacks[0] - nacks[0]) : 1;
            awareness = Math.min(config.awarenessMax(), awareness + delta);
            // Also when it is already suspect (heard from others): this node's own failed probe is an
            // independent confirmation, which shortens the suspicion (Lifeguard).
            if (nodes.get(target.id) == target
                    && (target.state == MemberState.ALIVE || target.state == MemberState.SUSPECT)) {
                onSuspect(new Suspect(target.id, target.incarnation, selfId), clock.wallMillis());
            }
        });
    }

    private void onPingReq(PingReq req, InetSocketAddress from) {
        int s = ++seq;
        boolean[] acked = {false};
        pending.put(s, new Pending(() -> {
            if (!acked[0]) {
                acked[0] = true;
                sendRecords(from, List.of(Wire.encode(new Ack(req.seq()))));
            }
        }, () -> { }));
        sendRecords(req.address(), List.of(Wire.encode(new Ping(s, req.target()))));
        clock.schedule(config.probeTimeoutMs(), () -> {
            if (!acked[0] && running) {
                sendRecords(from, List.of(Wire.encode(new Nack(req.seq()))));
            }
        });
        // The ack may still come late; keep the slot for one probe interval.
        clock.schedule(config.probeIntervalMs(), () -> pending.remove(s));
    }

    private List<Node> randomNodes(int k, java.util.function.Predicate<Node> accept) {
        List<Node> candidates = new ArrayList<>();
        for (Node n : nodes.values()) {
            if (accept.test(n)) {
                candidates.add(n);
            }
        }
        // A partial Fisher-Yates: k draws without building a permutation of everything.
        int take = Math.min(k, candidates.size());
        for (int i = 0; i < take; i++) {
            Collections.swap(candidates, i, i + random.nextInt(candidates.size() - i));
        }
        return candidates.subList(0, take);
    }

    // ------------------------------------------------------------------------------------ gossip

    private int retransmitLimit() {
        return config.retransmitMult() * (int) Math.ceil(Math.log10(liveCount() + 1.0));
    }

    private void queue(String node, byte[] record) {
        broadcasts.removeIf(b -> b.node().equals(node));
        broadcasts.add(new Broadcast(node, record, 0));
    }

    /** Fills a packet's free room with the least-sent updates; retires those sent often enough. */
    private void piggyback(Wire.Builder b) {
        if (broadcasts.isEmpty()) {
            return;
        }
        int limit = retransmitLimit();
        broadcasts.sort((x, y) -> Integer.compare(x.transmits(), y.transmits()));
        for (int i = 0; i < broadcasts.size() && b.room() > 0; i++) {
            Broadcast x = broadcasts.get(i);
            if (b.add(x.bytes())) {
                broadcasts.set(i, new Broadcast(x.node(), x.bytes(), x.transmits() + 1));
            }
        }
        broadcasts.removeIf(x -> x.transmits() >= limit);
    }

    private void gossipTick() {
        if (!running) {
            return;
        }
        if (!broadcasts.isEmpty()) {
            long now = clock.now();
            List<Node> targets = randomNodes(config.gossipFanout(), n -> n.state == MemberState.ALIVE
                    || n.state == MemberState.SUSPECT || now - n.stateSince < config.gossipToDeadMs());
            for (Node t : targets) {
                if (broadcasts.isEmpty()) {
                    break;
                }
                sendRecords(t.swim, List.of());
            }
        }
        clock.schedule(config.gossipIntervalMs(), this::gossipTick);
    }

    private void sendRecords(InetSocketAddress to, List<byte[]> records) {
        Wire.Builder b = new Wire.Builder(selfId, sealer.overhead());
        for (byte[] r : records) {
            b.add(r);
        }
        piggyback(b);
        if (b.records() == 0) {
            return;
        }
        packetsSent++;
        endpoint.send(to, sealer.seal(b.bytes()));
    }

    // ------------------------------------------------------------------------------------ push-pull

    private void pushPullTick() {
        if (!running) {
            return;
        }
        List<Node> live = randomNodes(1, n -> n.state == MemberState.ALIVE);
        if (live.isEmpty()) {
            for (InetSocketAddress seed : seeds.get()) {
                if (!seed.equals(selfSwim)) {
                    pushState(seed, true);
                }
            }
        } else {
            pushState(live.get(0).swim, true);
            // A seed that is not among the live nodes may be on the other side of a healed partition.
            List<InetSocketAddress> known = new ArrayList<>();
            for (Node n : nodes.values()) {
                if (n.state == MemberState.ALIVE) {
                    known.add(n.swim);
                }
            }
            List<InetSocketAddress> strangers = new ArrayList<>(seeds.get());
            strangers.removeIf(s -> s.equals(selfSwim) || known.contains(s));
            if (!strangers.isEmpty()) {
                pushState(strangers.get(random.nextInt(strangers.size())), true);
            }
        }
        long delay = live.isEmpty() ? Math.max(config.probeIntervalMs() * 2, 200) : pushPullInterval();
        clock.schedule(delay, this::pushPullTick);
    }

    /** memberlist's scaling: beyond 32 nodes the interval grows with log2 of the size. */
    private long pushPullInterval() {
        int n = liveCount();
        if (n <= 32) {
            return config.pushPullIntervalMs();
        }
        double mult = Math.ceil(Math.log(n) / Math.log(2) - Math.log(32) / Math.log(2)) + 1.0;
        return (long) (config.pushPullIntervalMs() * mult);
    }

    /** Sends the full state in as many packets as it takes, each marked as push-pull. */
    private void pushState(InetSocketAddress to, boolean reply) {
        List<byte[]> state = new ArrayList<>();
        state.add(selfAliveStamped());
        for (Node n : nodes.values()) {
            switch (n.state) {
                case ALIVE -> state.add(pushRecord(n));
                case SUSPECT -> {
                    state.add(Wire.encode(alive(n)));
                    state.add(Wire.stamped(Wire.encode(new Suspect(n.id, n.incarnation, selfId)), n.origin));
                }
                case LEFT -> state.add(pushRecord(n));
                case DEAD -> {
                    // Not pushed: a node that still hears the dead one judges it by its own probes.
                }
            }
        }
        byte[] marker = Wire.encode(new PushPull(reply));
        int i = 0;
        while (i < state.size()) {
            Wire.Builder b = new Wire.Builder(selfId, sealer.overhead());
            b.add(marker);
            while (i < state.size() && b.add(state.get(i))) {
                i++;
            }
            packetsSent++;
            endpoint.send(to, sealer.seal(b.bytes()));
        }
    }

    /**
     * The stamped alive or left record of a node, encoded again only when its state, incarnation or
     * origin changed: a full state at 1,000 nodes is a thousand records, and re-encoding all of them
     * for every exchange was the simulation's main cost. (Addresses and metadata change only with a
     * new incarnation.)
     */
    private byte[] pushRecord(Node n) {
        if (n.pushed == null || n.pushedState != n.state || n.pushedIncarnation != n.incarnation
                || n.pushedOrigin != n.origin) {
            byte[] record = n.state == MemberState.LEFT ? Wire.encode(new Left(n.id, n.incarnation)) : Wire.encode(alive(n));
            n.pushed = Wire.stamped(record, n.origin);
            n.pushedState = n.state;
            n.pushedIncarnation = n.incarnation;
            n.pushedOrigin = n.origin;
        }
        return n.pushed;
    }

    private static Alive alive(Node n) {
        return new Alive(n.id, n.incarnation, n.swim, n.transport, n.metadata);
    }

    // ------------------------------------------------------------------------------------ receiving

    /**
     * Handles one packet received; never throws on its content: a packet that cannot be opened or
     * decoded, or gossip from a node that is not a member, is dropped and counted.
     *
     * @param from   the address it came from (where answers go)
     * @param packet its bytes
     */
    void onPacket(InetSocketAddress from, byte[] packet) {
        packetsReceived++;
        if (!running) {
            return;
        }
        Wire.Packet p;
        try {
            p = sealer.open(packet);
        } catch (Wire.Malformed e) {
            drop(e.getMessage());
            return;
        }
        if (p.sender().equals(selfId)) {
            drop("from_self");
            return;
        }
        Node sender = nodes.get(p.sender());
        boolean introducesItself = false;
        boolean pushPull = false;
        boolean reply = false;
        for (Record r : p.records()) {
            if (r instanceof Alive a && a.node().equals(p.sender())) {
                introducesItself = true;
            } else if (r instanceof PushPull pp) {
                pushPull = true;
                reply |= pp.reply();
            }
        }
        boolean member = sender != null || introducesItself;
        if (sender != null) {
            sender.lastHeardWall = clock.wallMillis();
        }
        long stamp = 0;
        for (Record r : p.records()) {
            if (r instanceof Stamp st) {
                stamp = st.wallMillis();
                if (stamp > clock.wallMillis() + config.probeIntervalMs()) {
                    // No change is made in the future: forged, or a clock far ahead. Neither measured
                    // nor passed on; the record itself is still taken on its merits.
                    count("convergence_stamp_future");
                    stamp = 0;
                }
                continue;
            }
            // A stamp dates only the record right after it.
            long origin = stamp;
            stamp = 0;
            switch (r) {
                case Ping ping -> {
                    if (ping.target().equals(selfId)) {
                        sendRecords(from, List.of(Wire.encode(new Ack(ping.seq()))));
                    } else {
                        drop("misdirected");
                    }
                }
                case Ack ack -> {
                    Pending w = pending.get(ack.seq());
                    if (w != null) {
                        w.onAck.run();
                    }
                }
                case Nack nack -> {
                    Pending w = pending.get(nack.seq());
                    if (w != null) {
                        w.onNack.run();
                    }
                }
                case PingReq req -> {
                    if (member) {
                        onPingReq(req, from);
                    } else {
                        drop("non_member");
                    }
                }
                case PushPull pp -> {
                }
                default -> {
                    if (!member) {
                        drop("non_member");
                        return;
                    }
                    gossip(r, from, origin);
                }
            }
        }
        if (pushPull && reply && member && firstOfExchange(from)) {
            pushState(from, false);
        }
        if (sender != null && sender.state == MemberState.DEAD && nodes.get(sender.id) == sender) {
            // It is talking, so it is back or was never gone (a healed partition): let it learn it was
            // judged dead, so that it refutes with a newer incarnation.
            healWith(sender);
        }
    }

    /**
     * Whether a push-pull packet from this address starts an exchange this node has not answered yet.
     * A full state spans many packets, each marked as asking for a reply; answering every one of them
     * sent the whole state back once per packet received (45 × 45 packets for one exchange at 1,000
     * nodes). One answer per peer within a probe interval is what the exchange asks for: the packets of
     * one push arrive within milliseconds, and a node retries a join no sooner than two intervals later.
     */
    private boolean firstOfExchange(InetSocketAddress from) {
        long now = clock.now();
        Long last = lastReplyTo.get(from);
        if (last != null && now - last < config.probeIntervalMs()) {
            return false;
        }
        lastReplyTo.put(from, now);
        return true;
    }

    private void healWith(Node n) {
        Long last = lastPushPullWith.get(n.id);
        long now = clock.now();
        if (last == null || now - last >= config.probeIntervalMs()) {
            lastPushPullWith.put(n.id, now);
            // Tell it the verdict, so that it refutes with a newer incarnation, and offer the state.
            sendRecords(n.swim, List.of(Wire.stamped(Wire.encode(new Dead(n.id, n.incarnation, selfId)), n.origin)));
            pushState(n.swim, true);
        }
    }

    private void drop(String reason) {
        drops.merge(reason, 1L, Long::sum);
    }

    private void gossip(Record r, InetSocketAddress from, long origin) {
        switch (r) {
            case Alive a -> onAlive(a, origin);
            case Suspect s -> {
                if (s.node().equals(selfId) && s.incarnation() < incarnation && !leaving) {
                    correct(from);
                }
                onSuspect(s, origin);
            }
            case Dead d -> {
                if (d.node().equals(selfId) && d.incarnation() < incarnation && !leaving) {
                    correct(from);
                }
                onDead(d, origin);
            }
            case Left l -> onLeft(l, origin);
            default -> {
            }
        }
    }

    private void onAlive(Alive a, long origin) {
        if (a.node().equals(selfId)) {
            if (a.incarnation() > incarnation && !leaving) {
                refute(a.incarnation());
            }
            return;
        }
        Node n = nodes.get(a.node());
        if (n == null) {
            n = new Node(a.node());
            n.incarnation = a.incarnation();
            n.swim = a.swim();
            n.transport = a.transport();
            n.metadata = a.metadata();
            n.stateSince = clock.now();
            n.origin = origin;
            nodes.put(n.id, n);
            liveCache = -1;
            // A random place in the probe order, so a new node is probed within one round.
            probeOrder.add(probeOrder.isEmpty() ? 0 : random.nextInt(probeOrder.size() + 1), n);
            queue(n.id, Wire.stamped(Wire.encode(a), origin));
            converged(origin);
            listener.event(MembershipEvent.Type.JOINED, member(n));
            return;
        }
        if (a.incarnation() <= n.incarnation) {
            return;
        }
        MemberState before = n.state;
        boolean changed = !a.metadata().equals(n.metadata) || !a.swim().equals(n.swim)
                || !a.transport().equals(n.transport);
        n.incarnation = a.incarnation();
        n.swim = a.swim();
        n.transport = a.transport();
        n.metadata = a.metadata();
        n.suspicion = null;
        n.origin = origin;
        queue(n.id, Wire.stamped(Wire.encode(a), origin));
        if (before != MemberState.ALIVE || changed) {
            converged(origin);
        }
        if (before != MemberState.ALIVE) {
            n.state = MemberState.ALIVE;
            liveCache = -1;
            n.stateSince = clock.now();
            if (!probeOrder.contains(n)) {
                probeOrder.add(probeOrder.isEmpty() ? 0 : random.nextInt(probeOrder.size() + 1), n);
            }
            listener.event(MembershipEvent.Type.JOINED, member(n));
        } else if (changed) {
            listener.event(MembershipEvent.Type.UPDATED, member(n));
        }
    }

    /**
     * Someone accuses an older incarnation of this node: its view is stale (it missed a refutation),
     * and gossip about an old incarnation convinces nobody else, so nobody would correct it. Answer
     * it directly with the current incarnation.
     */
    private void correct(InetSocketAddress accuser) {
        sendRecords(accuser, List.of(selfAliveStamped()));
    }

    private void refute(long accused) {
        incarnation = Math.max(incarnation, accused) + 1;
        selfOrigin = clock.wallMillis();
        awareness = Math.min(config.awarenessMax(), awareness + 1);
        count("refutation");
        queue(selfId, selfAliveStamped());
    }

    /**
     * @param origin when the suspicion was raised at its origin (now, for this node's own), 0 unknown
     */
    private void onSuspect(Suspect s, long origin) {
        if (s.node().equals(selfId)) {
            if (s.incarnation() >= incarnation && !leaving) {
                refute(s.incarnation());
            }
            return;
        }
        Node n = nodes.get(s.node());
        if (n == null || s.incarnation() < n.incarnation) {
            return;
        }
        if (n.state == MemberState.SUSPECT) {
            if (n.suspicion != null && n.suspicion.incarnation == s.incarnation() && n.suspicion.confirm(s.from())) {
                queue(n.id, Wire.stamped(Wire.encode(s), origin));
            }
            return;
        }
        if (n.state != MemberState.ALIVE) {
            return;
        }
        n.incarnation = s.incarnation();
        n.state = MemberState.SUSPECT;
        liveCache = -1;
        n.stateSince = clock.now();
        n.origin = origin;
        count("suspicion");
        if (!s.from().equals(selfId)) {
            converged(origin);
        }
        int live = liveCount();
        int k = config.suspicionMult() - 2;
        if (live - 2 < k) {
            k = 0;
        }
        long min = (long) (config.suspicionMult() * Math.max(1.0, Math.log10(Math.max(1, live)))
                * config.probeIntervalMs());
        long max = config.suspicionMaxTimeoutMult() * min;
        n.suspicion = new Suspicion(n, s.incarnation(), s.from(), k, min, max);
        queue(n.id, Wire.stamped(Wire.encode(s), origin));
        listener.event(MembershipEvent.Type.SUSPECT, member(n));
    }

    /**
     * Tells a suspect, directly, the accusation this node still holds, with a ping. A suspect that has
     * refuted it already answers a stale accusation with its current alive message; one that has not
     * heard of it refutes now, and the ack carries the refutation (the accusation comes first in the
     * packet, so the refutation is queued before the ack is built).
     */
    private void lastCall(Suspicion s) {
        Node n = s.node;
        if (n.state != MemberState.SUSPECT || n.incarnation != s.incarnation || nodes.get(n.id) != n) {
            return;
        }
        sendRecords(n.swim, List.of(Wire.encode(new Suspect(n.id, n.incarnation, selfId)),
                Wire.encode(new Ping(++seq, n.id))));
    }

    private void suspicionExpired(Suspicion s) {
        Node n = s.node;
        if (n.state == MemberState.SUSPECT && n.incarnation == s.incarnation) {
            onDead(new Dead(n.id, n.incarnation, selfId), clock.wallMillis());
        }
    }

    private void onDead(Dead d, long origin) {
        if (d.node().equals(selfId)) {
            if (!leaving && d.incarnation() >= incarnation) {
                refute(d.incarnation());
            }
            return;
        }
        Node n = nodes.get(d.node());
        if (n == null || d.incarnation() < n.incarnation || n.state == MemberState.DEAD || n.state == MemberState.LEFT) {
            return;
        }
        n.incarnation = d.incarnation();
        n.state = MemberState.DEAD;
        liveCache = -1;
        n.stateSince = clock.now();
        n.suspicion = null;
        n.origin = origin;
        if (!d.from().equals(selfId)) {
            converged(origin);
        }
        queue(n.id, Wire.stamped(Wire.encode(d), origin));
        listener.event(MembershipEvent.Type.DEAD, member(n));
    }

    private void onLeft(Left l, long origin) {
        if (l.node().equals(selfId)) {
            if (!leaving && l.incarnation() >= incarnation) {
                refute(l.incarnation());
            }
            return;
        }
        Node n = nodes.get(l.node());
        // A goodbye outranks a death verdict of the same life: the node said it was leaving.
        if (n == null || l.incarnation() < n.incarnation || n.state == MemberState.LEFT) {
            return;
        }
        n.incarnation = l.incarnation();
        n.state = MemberState.LEFT;
        liveCache = -1;
        n.stateSince = clock.now();
        n.suspicion = null;
        n.origin = origin;
        converged(origin);
        queue(n.id, Wire.stamped(Wire.encode(l), origin));
        listener.event(MembershipEvent.Type.LEFT, member(n));
    }

    /** Forgets dead and left nodes once they have had {@code gossipToDead} to hear the news. */
    private void reapTick() {
        if (!running) {
            return;
        }
        long now = clock.now();
        nodes.values().removeIf(n -> (n.state == MemberState.DEAD || n.state == MemberState.LEFT)
                && now - n.stateSince >= config.gossipToDeadMs());
        lastPushPullWith.keySet().retainAll(nodes.keySet());
        lastReplyTo.values().removeIf(at -> now - at >= config.probeIntervalMs());
        clock.schedule(Math.max(100, config.gossipToDeadMs() / 4), this::reapTick);
    }
}
