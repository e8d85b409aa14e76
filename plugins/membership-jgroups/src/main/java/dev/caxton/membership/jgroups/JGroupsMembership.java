package dev.caxton.membership.jgroups;

import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.Membership;
import dev.caxton.spi.membership.MembershipEvent;
import dev.caxton.spi.membership.MembershipListener;
import dev.caxton.spi.membership.NodeId;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
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
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.Event;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.MergeView;
import org.jgroups.Receiver;
import org.jgroups.View;
import org.jgroups.protocols.TCPPING;
import org.jgroups.stack.IpAddress;

/**
 * A membership whose group is a JGroups channel's view.
 *
 * <p>JGroups decides who is in the group; this class maps its views onto membership events and
 * carries what JGroups does not know — the node id, the transport address, the incarnation and the
 * metadata — in {@link Note}s: every member sends its INFO note to each member that appears in its
 * view (so both sides of a join or a merge learn each other), and multicasts it again when its
 * metadata changes. A member of the view whose INFO has not arrived is asked for it (ASK) every half
 * failure timeout until it answers, so one lost note cannot hide a member for good. A member is
 * reported {@code JOINED} once its INFO arrives (before that it has no transport address to report), {@code UPDATED} when its metadata changes, {@code DEAD} when a view
 * excludes it without a goodbye, and {@code LEFT} when it said goodbye: a leaving node multicasts a
 * BYE and waits (up to {@code leave_timeout}) for every other member to acknowledge it before it
 * disconnects, so the others know it left before the view that excludes it arrives.
 *
 * <p>All changes and the delivery of their events happen under one lock, so events reach the
 * listener in order and never from two threads at once; JGroups messages are sent outside it.
 */
final class JGroupsMembership implements Membership {

    private static final System.Logger LOG = System.getLogger(JGroupsMembership.class.getName());
    /** Early notes kept for members not yet back in the view; a peer flooding notes cannot grow this. */
    private static final int MAX_DEFERRED = 256;

    private enum State { CREATED, JOINED, LEAVING, LEFT, CLOSED }

    /** What this node knows of another member. */
    private static final class Peer {
        Member member;
        Address address;

        Peer(Member member, Address address) {
            this.member = member;
            this.address = address;
        }
    }

    private final Settings settings;
    private final Object lock = new Object();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong asked = new AtomicLong();
    private final AtomicLong answers = new AtomicLong();
    /** When each asker was last answered (guarded by the lock; members of the view only). */
    private final java.util.Map<Address, Long> answered = new java.util.HashMap<>();
    private final Map<String, Peer> peers = new LinkedHashMap<>();
    private final Map<Address, String> nodeOf = new HashMap<>();
    private final Set<Address> byeAcks = new HashSet<>();
    /**
     * The latest note of an excluded member that arrived before this node's view took it back in (after
     * a merge every side greets the others at once, so a note can overtake the view that explains it);
     * applied when the view does. Bounded: a note is kept only for an address not in the view, at most
     * {@link #MAX_DEFERRED} of them.
     */
    private final Map<Address, Note> deferred = new HashMap<>();
    private State state = State.CREATED;
    private JChannel channel;
    private Member self;
    private long incarnation;
    private MembershipListener listener;
    private Set<Address> view = Set.of();
    private ScheduledExecutorService refresher;
    private volatile List<Member> snapshot = List.of();

    JGroupsMembership(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /**
     * Connects to the JGroups cluster as {@code self}: reports this node {@code JOINED}, then each
     * other member as its INFO arrives. Blocks while JGroups discovers the group (up to about
     * {@code join_timeout} when no one answers, after which this node starts a group of its own and
     * merges with the others once they are found).
     *
     * @throws IllegalStateException when already joined or closed, or when JGroups cannot start (the
     *                               port is taken, the stack file is refused), saying why
     */
    @Override
    public void join(Member self, MembershipListener listener) {
        Objects.requireNonNull(self, "self");
        Objects.requireNonNull(listener, "listener");
        String tooBig = Note.checkMetadata(self.metadata());
        if (tooBig != null) {
            throw new IllegalArgumentException("membership metadata too large: " + tooBig);
        }
        JChannel ch;
        synchronized (lock) {
            if (state == State.CLOSED) {
                throw new IllegalStateException("this membership is closed; create a new one to join again");
            }
            if (state == State.JOINED || state == State.LEAVING) {
                throw new IllegalStateException("already joined as " + this.self.id());
            }
            try {
                ch = Stacks.channel(settings, settings.seeds().resolve());
            } catch (Exception e) {
                throw new IllegalStateException("could not build the JGroups stack: " + message(e), e);
            }
            incarnation = Math.max(System.currentTimeMillis(), incarnation + 1);
            this.self = new Member(self.id(), self.address(), MemberState.ALIVE, incarnation, self.metadata());
            this.listener = listener;
            this.channel = ch;
            peers.clear();
            nodeOf.clear();
            byeAcks.clear();
            deferred.clear();
            view = Set.of();
            state = State.JOINED;
            publish();
            deliver(MembershipEvent.Type.JOINED, this.self);
        }
        ch.setName(self.id().value());
        ch.setReceiver(new Receiver() {
            @Override
            public void receive(Message msg) {
                onMessage(ch, msg);
            }

            @Override
            public void viewAccepted(View v) {
                onView(ch, v);
            }
        });
        try {
            ch.connect(settings.clusterName());
        } catch (Exception e) {
            synchronized (lock) {
                state = State.LEFT;
                snapshot = List.of();
                deliver(MembershipEvent.Type.LEFT, this.self.withState(MemberState.LEFT));
                this.listener = null;
                this.channel = null;
            }
            ch.close();
            throw new IllegalStateException("could not join the JGroups cluster '" + settings.clusterName() + "' on "
                    + settings.bind().getHostString() + ":" + settings.bind().getPort() + ": " + message(e), e);
        }
        startHousekeeping(ch, settings.stackFile() == null && !settings.multicast() && !settings.seeds().isEmpty());
    }

    /**
     * Starts the node's one timer thread: it asks members of the view whose INFO never arrived for it
     * again, and resolves the seeds again now and then (a DNS name, such as a headless service, gains
     * addresses as pods start).
     */
    private void startHousekeeping(JChannel ch, boolean refreshSeeds) {
        ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "caxton-membership-jgroups");
            t.setDaemon(true);
            return t;
        });
        // A note can be lost for good: UNICAST3 gives up on a peer it could not reach for a while (no
        // physical address yet under load), and a multicast sent around a merge may reach a member
        // before it counts the sender in. One lost INFO would leave a member of the view unknown for
        // ever, so every member still unknown is asked again until it answers.
        long ask = TimeUnit.NANOSECONDS.toMillis(askPeriodNanos());
        s.scheduleWithFixedDelay(() -> askUnknown(ch), ask, ask, TimeUnit.MILLISECONDS);
        TCPPING ping = refreshSeeds ? ch.getProtocolStack().findProtocol(TCPPING.class) : null;
        if (ping != null) {
            scheduleSeedRefresh(s, ping);
        }
        synchronized (lock) {
            if (channel == ch && state == State.JOINED) {
                refresher = s;
                return;
            }
        }
        // Left (or closed) while this was being set up.
        s.shutdownNow();
    }

    /** How often a member still unknown is asked, and how often one asker is answered: half the failure timeout. */
    private long askPeriodNanos() {
        return TimeUnit.MILLISECONDS.toNanos(Math.max(250, settings.failureTimeout().toMillis() / 2));
    }

    /** Sends ASK to every member of the view whose INFO has not arrived. */
    private void askUnknown(JChannel ch) {
        List<Address> unknown = new ArrayList<>();
        byte[] ask;
        synchronized (lock) {
            if (channel != ch || state != State.JOINED) {
                return;
            }
            for (Address a : view) {
                if (!a.equals(ch.getAddress()) && !nodeOf.containsKey(a)) {
                    unknown.add(a);
                }
            }
            if (unknown.isEmpty()) {
                return;
            }
            ask = Note.ask(self.id().value(), incarnation).encode();
        }
        asked.addAndGet(unknown.size());
        for (Address a : unknown) {
            send(ch, a, ask);
        }
    }

    private void scheduleSeedRefresh(ScheduledExecutorService s, TCPPING ping) {
        long period = settings.seedRefresh().toMillis();
        s.scheduleWithFixedDelay(() -> {
            try {
                List<InetSocketAddress> now = settings.seeds().resolve();
                if (now.isEmpty()) {
                    LOG.log(System.Logger.Level.DEBUG, "no seed of coordination.cluster.seeds resolves yet");
                }
                ping.setInitialHosts(Stacks.initialHosts(settings, now));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, () -> "resolving the seeds failed: " + e);
            }
        }, period, period, TimeUnit.MILLISECONDS);
    }

    @Override
    public List<Member> members() {
        return snapshot;
    }

    /**
     * Replaces this node's metadata, reports it {@code UPDATED} and multicasts it.
     *
     * @throws IllegalStateException    when not joined
     * @throws IllegalArgumentException when the metadata is too large for a note
     */
    @Override
    public void updateMetadata(Map<String, String> metadata) {
        Objects.requireNonNull(metadata, "metadata");
        JChannel ch;
        byte[] info;
        synchronized (lock) {
            if (state != State.JOINED) {
                throw new IllegalStateException("cannot update metadata: this node has not joined (state "
                        + state.name().toLowerCase(java.util.Locale.ROOT) + ")");
            }
            String tooBig = Note.checkMetadata(metadata);
            if (tooBig != null) {
                throw new IllegalArgumentException("membership metadata too large: " + tooBig);
            }
            self = new Member(self.id(), self.address(), self.state(), self.incarnation(), metadata);
            publish();
            deliver(MembershipEvent.Type.UPDATED, self);
            ch = channel;
            info = infoNote();
        }
        send(ch, null, info);
    }

    /**
     * Says goodbye (a BYE multicast), waits until every other member acknowledged it or
     * {@code leave_timeout} passed, disconnects, and reports this node {@code LEFT}. Does nothing
     * when not joined.
     */
    @Override
    public void leave() {
        JChannel ch;
        Set<Address> others;
        byte[] bye;
        ScheduledExecutorService r;
        synchronized (lock) {
            if (state != State.JOINED) {
                return;
            }
            state = State.LEAVING;
            ch = channel;
            others = new HashSet<>(view);
            others.remove(ch.getAddress());
            bye = Note.bye(self.id().value(), incarnation).encode();
            r = refresher;
            refresher = null;
        }
        if (r != null) {
            r.shutdownNow();
        }
        if (!others.isEmpty()) {
            send(ch, null, bye);
            long deadline = System.nanoTime() + settings.leaveTimeout().toNanos();
            synchronized (lock) {
                try {
                    while (!byeAcks.containsAll(others) && System.nanoTime() < deadline) {
                        // Members that crash meanwhile never answer: stop waiting for those the view dropped.
                        others.retainAll(view);
                        lock.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (!byeAcks.containsAll(others)) {
                    LOG.log(System.Logger.Level.INFO, "cluster: leaving without every member's acknowledgement"
                            + " (some may report this node dead rather than left)");
                }
            }
        }
        try {
            ch.disconnect();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "disconnecting from JGroups failed: " + e);
        }
        synchronized (lock) {
            state = State.LEFT;
            snapshot = List.of();
            deliver(MembershipEvent.Type.LEFT, self.withState(MemberState.LEFT));
            listener = null;
            peers.clear();
            nodeOf.clear();
            view = Set.of();
        }
    }

    /** Leaves when joined and closes the channel; idempotent. */
    @Override
    public void close() {
        leave();
        JChannel ch;
        synchronized (lock) {
            ch = channel;
            channel = null;
            state = State.CLOSED;
        }
        if (ch != null) {
            ch.close();
        }
    }

    /**
     * Where JGroups' own transport listens (the bound port when 0 was asked for).
     *
     * @return the address, or null when not joined
     */
    InetSocketAddress boundAddress() {
        JChannel ch;
        synchronized (lock) {
            ch = channel;
        }
        if (ch == null || ch.getAddress() == null) {
            return null;
        }
        Object pa = ch.down(new Event(Event.GET_PHYSICAL_ADDRESS, ch.getAddress()));
        return pa instanceof IpAddress ip ? new InetSocketAddress(ip.getIpAddress(), ip.getPort()) : null;
    }

    /**
     * How many JGroups messages were dropped as not being well-formed notes, or being stale.
     *
     * @return the count
     */
    long dropped() {
        return dropped.get();
    }

    /**
     * How many ASK notes this node sent for members of its view whose INFO had not arrived.
     *
     * @return the count
     */
    long asked() {
        return asked.get();
    }

    /**
     * How many ASK notes this node answered with its INFO.
     *
     * @return the count
     */
    long answers() {
        return answers.get();
    }

    /**
     * Sends ASK to another member a number of times at once, as a peer repeating it would; for tests of
     * the bound on answers only.
     *
     * @param nodeId the member's node id
     * @param times  how many ASK notes to send
     */
    void askForTest(String nodeId, int times) {
        JChannel ch;
        Address to;
        byte[] ask;
        synchronized (lock) {
            ch = channel;
            to = peers.get(nodeId).address;
            ask = Note.ask(self.id().value(), incarnation).encode();
        }
        for (int i = 0; i < times; i++) {
            send(ch, to, ask);
        }
    }

    /**
     * Forgets what this node heard of another member while keeping it in the view, as if its INFO had
     * been lost; for tests of the recovery only.
     *
     * @param nodeId the member's node id
     */
    void forgetForTest(String nodeId) {
        synchronized (lock) {
            Peer p = peers.remove(nodeId);
            if (p != null) {
                nodeOf.remove(p.address);
                publish();
            }
        }
    }

    // ------------------------------------------------------------------------------ JGroups side

    private void onView(JChannel ch, View v) {
        List<Address> greet = new ArrayList<>();
        byte[] info;
        synchronized (lock) {
            if (channel != ch || (state != State.JOINED && state != State.LEAVING)) {
                return;
            }
            Set<Address> next = new HashSet<>(v.getMembers());
            for (Address gone : view) {
                if (next.contains(gone)) {
                    continue;
                }
                String node = nodeOf.remove(gone);
                Peer p = node == null ? null : peers.get(node);
                if (p != null && gone.equals(p.address) && p.member.state() == MemberState.ALIVE) {
                    p.member = p.member.withState(MemberState.DEAD);
                    publish();
                    deliver(MembershipEvent.Type.DEAD, p.member);
                }
            }
            for (Address a : next) {
                if (!view.contains(a) && !a.equals(ch.getAddress())) {
                    greet.add(a);
                }
            }
            view = next;
            lock.notifyAll();
            if (state != State.JOINED) {
                return;
            }
            for (Address a : greet) {
                Note early = deferred.remove(a);
                if (early != null) {
                    info(a, early);
                }
            }
            info = infoNote();
        }
        if (v instanceof MergeView) {
            // The sides of a merge saw different views: a member this node never lost may have lost
            // this node, and only hears of it again through a note. Everyone installs the merge view,
            // so one note to all from each member settles every pair.
            send(ch, null, info);
            return;
        }
        for (Address a : greet) {
            send(ch, a, info);
        }
    }

    private void onMessage(JChannel ch, Message msg) {
        Address src = msg.getSrc();
        if (src == null || src.equals(ch.getAddress())) {
            return;
        }
        Note note = msg instanceof BytesMessage b ? Note.decode(b.getArray(), b.getOffset(), b.getLength()) : null;
        if (note == null) {
            dropped.incrementAndGet();
            LOG.log(System.Logger.Level.DEBUG, () -> "dropped a malformed membership note from " + src);
            return;
        }
        byte[] reply = null;
        synchronized (lock) {
            if (channel != ch) {
                return;
            }
            switch (note.kind()) {
                case BYE_ACK -> {
                    byeAcks.add(src);
                    lock.notifyAll();
                }
                case BYE -> {
                    if (state == State.JOINED) {
                        bye(src, note);
                    }
                    reply = Note.byeAck(self.id().value(), incarnation).encode();
                }
                case INFO -> {
                    if (state == State.JOINED) {
                        info(src, note);
                    }
                }
                case ASK -> {
                    // Only members of the view are answered, each at most twice per asking period (half of
                    // it tolerates network jitter between two asks), so a
                    // peer repeating ASK cannot turn this node into an amplifier of its INFO.
                    long now = System.nanoTime();
                    Long last = answered.get(src);
                    if (state == State.JOINED && view.contains(src)
                            && (last == null || now - last >= askPeriodNanos() / 2)) {
                        answered.keySet().retainAll(view);
                        answered.put(src, now);
                        answers.incrementAndGet();
                        reply = infoNote();
                    } else {
                        dropped.incrementAndGet();
                    }
                }
            }
        }
        if (reply != null) {
            send(ch, src, reply);
        }
    }

    private void info(Address src, Note note) {
        if (note.nodeId().equals(self.id().value())) {
            dropped.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, "another JGroups member claims this node''s id " + note.nodeId()
                    + "; two nodes share server.node_name");
            return;
        }
        Peer p = peers.get(note.nodeId());
        if (p != null) {
            MemberState was = p.member.state();
            boolean gone = was == MemberState.DEAD || was == MemberState.LEFT;
            // A late note of a member already excluded must not bring it back; its next life (a higher
            // incarnation) or a view that takes it in again (a merge after a false suspicion) does.
            if (note.incarnation() < p.member.incarnation()) {
                dropped.incrementAndGet();
                return;
            }
            if (gone && note.incarnation() == p.member.incarnation() && !view.contains(src)) {
                if (deferred.size() < MAX_DEFERRED || deferred.containsKey(src)) {
                    deferred.put(src, note);
                } else {
                    dropped.incrementAndGet();
                }
                return;
            }
        }
        nodeOf.put(src, note.nodeId());
        // "Last heard" is the last note: JGroups' own heartbeats are not visible above its stack.
        Member m = new Member(new NodeId(note.nodeId()), note.transport(), MemberState.ALIVE, note.incarnation(),
                note.metadata(), java.time.Instant.now());
        if (p == null) {
            peers.put(note.nodeId(), new Peer(m, src));
            publish();
            deliver(MembershipEvent.Type.JOINED, m);
            return;
        }
        Member before = p.member;
        p.member = m;
        p.address = src;
        publish();
        if (before.state() != MemberState.ALIVE) {
            deliver(MembershipEvent.Type.JOINED, m);
        } else if (!before.metadata().equals(m.metadata()) || !before.address().equals(m.address())
                || before.incarnation() != m.incarnation()) {
            deliver(MembershipEvent.Type.UPDATED, m);
        }
    }

    private void bye(Address src, Note note) {
        Peer p = peers.get(note.nodeId());
        if (p == null || !src.equals(p.address) || p.member.state() == MemberState.LEFT
                || note.incarnation() != p.member.incarnation()) {
            return;
        }
        p.member = p.member.withState(MemberState.LEFT);
        publish();
        deliver(MembershipEvent.Type.LEFT, p.member);
    }

    private byte[] infoNote() {
        return Note.info(self.id().value(), self.address(), incarnation, self.metadata()).encode();
    }

    private static void send(JChannel ch, Address to, byte[] note) {
        if (ch == null) {
            return;
        }
        try {
            ch.send(new BytesMessage(to, note));
        } catch (Exception e) {
            // Best effort: a member that misses a note gets the next one, or the node's INFO on its next view.
            LOG.log(System.Logger.Level.DEBUG, () -> "sending a membership note to " + (to == null ? "all" : to)
                    + " failed: " + e);
        }
    }

    private static String message(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    /** Rebuilds the snapshot {@link #members()} returns: this node first, then the others as first seen. */
    private void publish() {
        List<Member> members = new ArrayList<>(peers.size() + 1);
        members.add(self);
        for (Peer p : peers.values()) {
            members.add(p.member);
        }
        snapshot = List.copyOf(members);
    }

    private void deliver(MembershipEvent.Type type, Member member) {
        MembershipListener l = listener;
        if (l == null) {
            return;
        }
        try {
            l.onEvent(new MembershipEvent(type, member));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "membership listener failed on " + type + " " + member.id(), e);
        }
    }
}
