package dev.caxton.membership.fixed;

import dev.caxton.membership.fixed.Packet.Drop;
import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.Membership;
import dev.caxton.spi.membership.MembershipChannel;
import dev.caxton.spi.membership.MembershipEvent;
import dev.caxton.spi.membership.MembershipListener;
import dev.caxton.spi.membership.NodeId;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The membership of a fixed node list, judged by heartbeats over the node's
 * {@link MembershipChannel}.
 *
 * <p>Every {@code heartbeat_interval} this node sends a heartbeat (with its metadata) to every listed
 * node. A heartbeat received is the proof that its sender is alive and can reach this node; nothing is
 * answered, so each side judges the other only by what it hears. A link that fails one way is thus
 * seen by the side that stops hearing: that side suspects, then declares dead, the silent node, while
 * the other side keeps it alive for as long as it hears it. A listed node is {@code ALIVE} while heard
 * within {@code suspect_after}, {@code SUSPECT} after that, {@code DEAD} once silent for
 * {@code dead_after}, {@code ALIVE} again (reported {@code JOINED}) as soon as it is heard, and
 * {@code LEFT} when it said so with a leave packet. A node not heard yet since this node joined
 * starts {@code SUSPECT}.
 *
 * <p>All changes, and the delivery of their events, happen under one lock: events reach the listener
 * in order, once per change, and never from two threads at once; {@link #members()} (a volatile
 * snapshot) agrees with the last event delivered. Packets are sent outside the lock.
 *
 * <p>Life cycle: created, joined, left (and may join again, with a higher incarnation), closed (for
 * good). After {@link #leave()} this node has no view of the cluster and {@link #members()} is empty.
 */
final class StaticMembership implements Membership {

    private static final System.Logger LOG = System.getLogger(StaticMembership.class.getName());
    /** How many distinct unknown senders are logged; beyond that they are only counted. */
    private static final int UNKNOWN_LOGGED_MAX = 64;

    /**
     * How often to send and when to judge.
     *
     * @param heartbeat    the interval between heartbeats
     * @param suspectAfter the silence after which a node is suspected
     * @param deadAfter    the silence after which a node is dead
     */
    record Timing(Duration heartbeat, Duration suspectAfter, Duration deadAfter) {
        /** The documented defaults. */
        static final Timing DEFAULT = new Timing(Duration.ofMillis(500), Duration.ofMillis(1500), Duration.ofSeconds(5));
    }

    private enum State { CREATED, JOINED, LEFT, CLOSED }

    /** What this node knows of one listed node. */
    private static final class Peer {
        Member member;
        long heardNanos;
        long incarnation = -1;
        long sequence = -1;

        Peer(Member member, long sinceNanos) {
            this.member = member;
            this.heardNanos = sinceNanos;
        }
    }

    private final List<Member> configured;
    private final MembershipChannel channel;
    private final Timing timing;
    private final Object lock = new Object();
    private final Map<Drop, AtomicLong> drops = new EnumMap<>(Drop.class);
    private final Set<String> unknownLogged = new HashSet<>();
    private State state = State.CREATED;
    private Member self;
    private long incarnation;
    private long sequence;
    private MembershipListener listener;
    private final Map<NodeId, Peer> peers = new LinkedHashMap<>();
    private ScheduledExecutorService ticker;
    private volatile List<Member> view = List.of();

    /**
     * @param configured the nodes of the {@code nodes} option, possibly including this node
     * @param channel    how to reach them; null only when no other node is listed
     * @param timing     the heartbeat interval and the judging thresholds
     */
    StaticMembership(List<Member> configured, MembershipChannel channel, Timing timing) {
        this.configured = List.copyOf(configured);
        this.channel = channel;
        this.timing = Objects.requireNonNull(timing, "timing");
        for (Drop d : Drop.values()) {
            drops.put(d, new AtomicLong());
        }
    }

    /**
     * Joins as {@code self}: reports this node as {@code JOINED}, every other listed node as
     * {@code SUSPECT} (not heard yet), and starts sending heartbeats. A configured entry with this
     * node's id is this node and is not reported twice; the address and metadata used are those of
     * {@code self}.
     *
     * @throws IllegalStateException    when already joined, or closed, or others are listed and there
     *                                  is no channel
     * @throws IllegalArgumentException when the metadata exceeds the packet's bounds
     */
    @Override
    public void join(Member self, MembershipListener listener) {
        Objects.requireNonNull(self, "self");
        Objects.requireNonNull(listener, "listener");
        checkMetadata(self.metadata());
        synchronized (lock) {
            if (state == State.CLOSED) {
                throw new IllegalStateException("this membership is closed; create a new one to join again");
            }
            if (state == State.JOINED) {
                throw new IllegalStateException("already joined as " + this.self.id());
            }
            long now = System.nanoTime();
            peers.clear();
            for (Member m : configured) {
                if (!m.id().equals(self.id())) {
                    peers.put(m.id(), new Peer(new Member(m.id(), m.address(), MemberState.SUSPECT, 0, Map.of(), null), now));
                }
            }
            if (!peers.isEmpty() && channel == null) {
                throw new IllegalStateException("cannot join: " + peers.size()
                        + " other nodes are listed but this node has no membership channel to reach them");
            }
            // The join time orders incarnations: a node that restarts (or joins again) is newer.
            incarnation = Math.max(System.currentTimeMillis(), incarnation + 1);
            sequence = 0;
            this.self = new Member(self.id(), self.address(), MemberState.ALIVE, self.incarnation(), self.metadata());
            this.listener = listener;
            state = State.JOINED;
            publish();
            deliver(MembershipEvent.Type.JOINED, this.self);
            for (Peer p : peers.values()) {
                deliver(MembershipEvent.Type.SUSPECT, p.member);
            }
            if (!peers.isEmpty()) {
                channel.receiver(this::receive);
                ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "caxton-membership-fixed");
                    t.setDaemon(true);
                    return t;
                });
                long period = timing.heartbeat().toNanos();
                ticker.scheduleAtFixedRate(this::tick, 0, period, TimeUnit.NANOSECONDS);
            }
        }
    }

    @Override
    public List<Member> members() {
        return view;
    }

    /**
     * Replaces this node's metadata, reports it as {@code UPDATED}, and sends it with the next
     * heartbeats.
     *
     * @throws IllegalStateException    when not joined
     * @throws IllegalArgumentException when the metadata exceeds the packet's bounds
     */
    @Override
    public void updateMetadata(Map<String, String> metadata) {
        Objects.requireNonNull(metadata, "metadata");
        synchronized (lock) {
            if (state != State.JOINED) {
                throw new IllegalStateException("cannot update metadata: this node has not joined (state "
                        + state.name().toLowerCase(java.util.Locale.ROOT) + ")");
            }
            checkMetadata(metadata);
            self = new Member(self.id(), self.address(), self.state(), self.incarnation(), metadata);
            publish();
            deliver(MembershipEvent.Type.UPDATED, self);
        }
    }

    /**
     * Tells every listed node this node leaves (best effort), reports this node as {@code LEFT} and
     * stops; does nothing when not joined.
     */
    @Override
    public void leave() {
        ByteBuffer goodbye;
        List<Peer> targets;
        synchronized (lock) {
            if (state != State.JOINED) {
                return;
            }
            goodbye = new Packet(Packet.Type.LEAVE, incarnation, ++sequence, Map.of()).encode();
            targets = List.copyOf(peers.values());
            Member left = self.withState(MemberState.LEFT);
            state = State.LEFT;
            view = List.of();
            deliver(MembershipEvent.Type.LEFT, left);
            listener = null;
            if (ticker != null) {
                ticker.shutdownNow();
                ticker = null;
            }
            if (!targets.isEmpty()) {
                channel.receiver((from, packet) -> { });
            }
        }
        for (Peer p : targets) {
            send(p, goodbye.duplicate());
        }
    }

    /** Leaves when joined; idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            leave();
            state = State.CLOSED;
        }
    }

    /**
     * How many packets were dropped for a reason since creation.
     *
     * @param reason the reason
     * @return the count
     */
    long dropped(Drop reason) {
        return drops.get(reason).get();
    }

    /** Sends this round's heartbeats, then judges every node by how long it has been silent. */
    private void tick() {
        try {
            ByteBuffer heartbeat;
            List<Peer> targets;
            synchronized (lock) {
                if (state != State.JOINED) {
                    return;
                }
                heartbeat = new Packet(Packet.Type.HEARTBEAT, incarnation, ++sequence, self.metadata()).encode();
                targets = List.copyOf(peers.values());
            }
            for (Peer p : targets) {
                send(p, heartbeat.duplicate());
            }
            synchronized (lock) {
                if (state == State.JOINED) {
                    judge(System.nanoTime());
                }
            }
        } catch (RuntimeException e) {
            // A failed round must not cancel the schedule: the next one may well succeed.
            LOG.log(System.Logger.Level.WARNING, "membership heartbeat round failed", e);
        }
    }

    private void send(Peer p, ByteBuffer packet) {
        try {
            if (!channel.send(p.member.address(), packet)) {
                LOG.log(System.Logger.Level.TRACE, () -> "membership packet to " + p.member.id() + " not queued");
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "membership packet to " + p.member.id() + " failed: " + e);
        }
    }

    private void judge(long now) {
        for (Peer p : peers.values()) {
            long silent = now - p.heardNanos;
            MemberState s = p.member.state();
            if (s == MemberState.ALIVE && silent > timing.suspectAfter().toNanos()) {
                p.member = p.member.withState(MemberState.SUSPECT);
                publish();
                deliver(MembershipEvent.Type.SUSPECT, p.member);
                s = MemberState.SUSPECT;
            }
            if (s == MemberState.SUSPECT && silent > timing.deadAfter().toNanos()) {
                p.member = p.member.withState(MemberState.DEAD);
                publish();
                deliver(MembershipEvent.Type.DEAD, p.member);
            }
        }
    }

    /** Called by the channel on a transport thread; never throws. */
    private void receive(String fromNode, ByteBuffer bytes) {
        try {
            Packet.Decoded d = Packet.decode(bytes);
            if (d.drop() != null) {
                drop(d.drop(), fromNode);
                return;
            }
            accept(fromNode, d.packet());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "membership packet from " + fromNode + " could not be handled", e);
        }
    }

    private void accept(String fromNode, Packet packet) {
        synchronized (lock) {
            if (state != State.JOINED) {
                return;
            }
            Peer p = fromNode == null ? null : peers.get(new NodeId(fromNode.isBlank() ? "?" : fromNode));
            if (p == null) {
                drops.get(Drop.UNKNOWN_NODE).incrementAndGet();
                if (unknownLogged.size() < UNKNOWN_LOGGED_MAX && unknownLogged.add(String.valueOf(fromNode))) {
                    if (self.id().value().equals(fromNode)) {
                        LOG.log(System.Logger.Level.WARNING, "this node received its own membership heartbeat: an "
                                + "entry of coordination.cluster.fixed.nodes names this node's transport address "
                                + "under another id (logged once)");
                    } else {
                        LOG.log(System.Logger.Level.INFO, "ignoring membership packets from node \"" + fromNode
                                + "\": it is not in coordination.cluster.fixed.nodes (logged once)");
                    }
                }
                return;
            }
            boolean restarted = packet.incarnation() > p.incarnation;
            boolean newer = restarted || packet.incarnation() == p.incarnation && packet.sequence() > p.sequence;
            // A node whose clock went back restarts with a lower incarnation; once it is dead or gone,
            // its new life is taken rather than ignored forever.
            boolean reborn = packet.incarnation() < p.incarnation
                    && (p.member.state() == MemberState.DEAD || p.member.state() == MemberState.LEFT);
            if (!newer && !reborn) {
                drop(Drop.STALE, fromNode);
                return;
            }
            p.incarnation = packet.incarnation();
            p.sequence = packet.sequence();
            p.heardNanos = System.nanoTime();
            Instant heard = Instant.now();
            Member m = p.member;
            if (packet.type() == Packet.Type.LEAVE) {
                p.member = new Member(m.id(), m.address(), MemberState.LEFT, packet.incarnation(), m.metadata(), heard);
                if (m.state() != MemberState.LEFT) {
                    publish();
                    deliver(MembershipEvent.Type.LEFT, p.member);
                }
                return;
            }
            p.member = new Member(m.id(), m.address(), MemberState.ALIVE, packet.incarnation(), packet.metadata(), heard);
            publish();
            if (m.state() != MemberState.ALIVE) {
                deliver(MembershipEvent.Type.JOINED, p.member);
            } else if (!m.metadata().equals(packet.metadata())) {
                deliver(MembershipEvent.Type.UPDATED, p.member);
            }
        }
    }

    private void drop(Drop reason, String fromNode) {
        drops.get(reason).incrementAndGet();
        LOG.log(System.Logger.Level.DEBUG, () -> "dropped a membership packet from " + fromNode + ": "
                + reason.name().toLowerCase(java.util.Locale.ROOT));
    }

    private static void checkMetadata(Map<String, String> metadata) {
        int size = Packet.metadataBytes(metadata);
        if (size < 0 || size > Packet.MAX_METADATA_BYTES) {
            throw new IllegalArgumentException("membership metadata too large to send: at most " + Packet.MAX_ENTRIES
                    + " entries, keys of 1 to 255 bytes, and " + Packet.MAX_METADATA_BYTES
                    + " bytes in all (each entry counts its key and value in UTF-8 plus 3 bytes)");
        }
    }

    /** Rebuilds the snapshot {@link #members()} returns: this node first, then the list's order. */
    private void publish() {
        List<Member> members = new ArrayList<>(peers.size() + 1);
        members.add(self);
        for (Peer p : peers.values()) {
            members.add(p.member);
        }
        view = List.copyOf(members);
    }

    private void deliver(MembershipEvent.Type type, Member member) {
        try {
            listener.onEvent(new MembershipEvent(type, member));
        } catch (RuntimeException e) {
            // One failing listener must not leave the membership half-changed; the change stands.
            LOG.log(System.Logger.Level.WARNING, "membership listener failed on " + type + " " + member.id(), e);
        }
    }
}
