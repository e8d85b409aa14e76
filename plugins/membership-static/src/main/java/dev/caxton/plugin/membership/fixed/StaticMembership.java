package dev.caxton.plugin.membership.fixed;

import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.Membership;
import dev.caxton.spi.membership.MembershipEvent;
import dev.caxton.spi.membership.MembershipListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The membership of a fixed node list. All changes, and the delivery of their events, happen under
 * one lock on the calling thread: events reach the listener in order and never from two threads at
 * once, and {@link #members()} (a volatile snapshot) agrees with the last event delivered.
 *
 * <p>Life cycle: created, joined, left (and may join again), closed (for good). After {@link #leave()}
 * this node has no view of the cluster and {@link #members()} is empty.
 */
final class StaticMembership implements Membership {

    private static final System.Logger LOG = System.getLogger(StaticMembership.class.getName());

    private enum State { CREATED, JOINED, LEFT, CLOSED }

    private final List<Member> configured;
    private final Object lock = new Object();
    private State state = State.CREATED;
    private Member self;
    private MembershipListener listener;
    private volatile List<Member> view = List.of();

    /**
     * @param configured the nodes of the {@code nodes} option, possibly including this node
     */
    StaticMembership(List<Member> configured) {
        this.configured = List.copyOf(configured);
    }

    /**
     * Joins as {@code self}: reports this node, then every configured node, as {@code JOINED}. A
     * configured entry with this node's id is this node and is not reported twice; the address
     * and metadata used are those of {@code self}.
     *
     * @throws IllegalStateException when already joined, or closed
     */
    @Override
    public void join(Member self, MembershipListener listener) {
        Objects.requireNonNull(self, "self");
        Objects.requireNonNull(listener, "listener");
        synchronized (lock) {
            if (state == State.CLOSED) {
                throw new IllegalStateException("this membership is closed; create a new one to join again");
            }
            if (state == State.JOINED) {
                throw new IllegalStateException("already joined as " + this.self.id());
            }
            this.self = new Member(self.id(), self.address(), MemberState.ALIVE, self.incarnation(), self.metadata());
            this.listener = listener;
            List<Member> members = new ArrayList<>();
            members.add(this.self);
            for (Member m : configured) {
                if (!m.id().equals(self.id())) {
                    members.add(m);
                }
            }
            view = List.copyOf(members);
            state = State.JOINED;
            for (Member m : members) {
                deliver(new MembershipEvent(MembershipEvent.Type.JOINED, m));
            }
        }
    }

    @Override
    public List<Member> members() {
        return view;
    }

    /**
     * Replaces this node's metadata and reports it as {@code UPDATED}.
     *
     * @throws IllegalStateException when not joined
     */
    @Override
    public void updateMetadata(Map<String, String> metadata) {
        Objects.requireNonNull(metadata, "metadata");
        synchronized (lock) {
            if (state != State.JOINED) {
                throw new IllegalStateException("cannot update metadata: this node has not joined (state "
                        + state.name().toLowerCase(java.util.Locale.ROOT) + ")");
            }
            self = new Member(self.id(), self.address(), self.state(), self.incarnation(), metadata);
            List<Member> members = new ArrayList<>(view);
            members.set(0, self);
            view = List.copyOf(members);
            deliver(new MembershipEvent(MembershipEvent.Type.UPDATED, self));
        }
    }

    /** Reports this node as {@code LEFT} and stops; does nothing when not joined. */
    @Override
    public void leave() {
        synchronized (lock) {
            if (state != State.JOINED) {
                return;
            }
            Member left = self.withState(MemberState.LEFT);
            state = State.LEFT;
            view = List.of();
            deliver(new MembershipEvent(MembershipEvent.Type.LEFT, left));
            listener = null;
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

    private void deliver(MembershipEvent event) {
        try {
            listener.onEvent(event);
        } catch (RuntimeException e) {
            // One failing listener must not leave the membership half-changed; the change stands.
            LOG.log(System.Logger.Level.WARNING, "membership listener failed on " + event, e);
        }
    }
}
