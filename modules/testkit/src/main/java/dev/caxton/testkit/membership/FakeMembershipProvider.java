package dev.caxton.testkit.membership;

import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.Membership;
import dev.caxton.spi.membership.MembershipEvent;
import dev.caxton.spi.membership.MembershipListener;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.spi.membership.NodeId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A membership without a network, for unit tests of code that consumes a {@link Membership}: the
 * test decides who the other members are and what happens to them ({@link #add}, {@link #setState},
 * {@link #setMetadata}), and every membership this provider created hears it at once, on the
 * caller's thread.
 *
 * <p>The provider is named {@code fake} and has no options. Memberships it creates share the
 * provider's view: two nodes created by one provider see each other join, update and leave, so a
 * test can run several nodes in one JVM without sockets or timers. Events are delivered one at a
 * time (the provider holds one lock while calling listeners), in the order the changes were made,
 * which is what the SPI promises and makes tests deterministic.
 *
 * <pre>{@code
 * FakeMembershipProvider cluster = new FakeMembershipProvider();
 * Membership m = cluster.create(context);
 * m.join(self, listener);
 * cluster.add(new Member(new NodeId("n2"), address, MemberState.ALIVE, 0, Map.of()));
 * cluster.setState(new NodeId("n2"), MemberState.DEAD);   // the listener hears DEAD for n2
 * }</pre>
 */
public final class FakeMembershipProvider implements MembershipProvider {

    /** The provider name. */
    public static final String NAME = "fake";

    private final Object lock = new Object();
    private final Map<NodeId, Member> members = new LinkedHashMap<>();
    private final List<FakeMembership> joined = new ArrayList<>();

    /** Creates a provider with an empty cluster. */
    public FakeMembershipProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "A membership without a network, driven by the test (testkit fake)";
    }

    /**
     * Creates a membership that shares this provider's view of the cluster.
     *
     * @param context not used beyond its presence
     * @return the membership
     */
    @Override
    public Membership create(ProviderContext context) {
        Objects.requireNonNull(context, "context");
        return new FakeMembership();
    }

    /**
     * Adds a member (or replaces one with the same id) as if it had joined: every joined
     * membership hears {@code JOINED}.
     *
     * @param member the member
     */
    public void add(Member member) {
        Objects.requireNonNull(member, "member");
        synchronized (lock) {
            members.put(member.id(), member);
            publish(MembershipEvent.Type.JOINED, member);
        }
    }

    /**
     * Moves a member to another state and tells everyone: {@code SUSPECT}, {@code DEAD},
     * {@code LEFT}, or {@code JOINED} when it is alive again.
     *
     * @param id    the member
     * @param state its new state
     * @throws IllegalArgumentException when there is no such member
     */
    public void setState(NodeId id, MemberState state) {
        synchronized (lock) {
            Member m = require(id).withState(state);
            members.put(id, m);
            publish(switch (state) {
                case ALIVE -> MembershipEvent.Type.JOINED;
                case SUSPECT -> MembershipEvent.Type.SUSPECT;
                case DEAD -> MembershipEvent.Type.DEAD;
                case LEFT -> MembershipEvent.Type.LEFT;
            }, m);
        }
    }

    /**
     * Replaces a member's metadata and tells everyone ({@code UPDATED}).
     *
     * @param id       the member
     * @param metadata its new metadata
     * @throws IllegalArgumentException when there is no such member
     */
    public void setMetadata(NodeId id, Map<String, String> metadata) {
        synchronized (lock) {
            Member old = require(id);
            Member m = new Member(old.id(), old.address(), old.state(), old.incarnation() + 1, metadata, old.lastHeard());
            members.put(id, m);
            publish(MembershipEvent.Type.UPDATED, m);
        }
    }

    /**
     * The cluster as the provider sees it, every state included.
     *
     * @return a snapshot of the members
     */
    public List<Member> snapshot() {
        synchronized (lock) {
            return List.copyOf(members.values());
        }
    }

    private Member require(NodeId id) {
        Member m = members.get(id);
        if (m == null) {
            throw new IllegalArgumentException("no member " + id + " in the fake cluster; add it first");
        }
        return m;
    }

    private void publish(MembershipEvent.Type type, Member member) {
        MembershipEvent event = new MembershipEvent(type, member);
        for (FakeMembership m : List.copyOf(joined)) {
            m.listener.onEvent(event);
        }
    }

    /** One node's membership: a view of the provider's cluster with its own listener. */
    private final class FakeMembership implements Membership {
        private Member self;
        private MembershipListener listener;
        private boolean closed;

        @Override
        public void join(Member me, MembershipListener l) {
            Objects.requireNonNull(me, "self");
            Objects.requireNonNull(l, "listener");
            synchronized (lock) {
                if (closed) {
                    throw new IllegalStateException("this membership is closed");
                }
                if (self != null) {
                    throw new IllegalStateException("already joined as " + self.id());
                }
                self = me.withState(MemberState.ALIVE);
                listener = l;
                joined.add(this);
                // The newcomer learns who is there before others learn about it.
                for (Member other : members.values()) {
                    if (!other.id().equals(self.id())) {
                        l.onEvent(new MembershipEvent(MembershipEvent.Type.JOINED, other));
                    }
                }
                members.put(self.id(), self);
                publish(MembershipEvent.Type.JOINED, self);
            }
        }

        @Override
        public List<Member> members() {
            return snapshot();
        }

        @Override
        public void updateMetadata(Map<String, String> metadata) {
            synchronized (lock) {
                if (self == null || closed) {
                    throw new IllegalStateException("join before updating metadata");
                }
                setMetadata(self.id(), metadata);
                self = members.get(self.id());
            }
        }

        @Override
        public void leave() {
            synchronized (lock) {
                if (self == null || !joined.contains(this)) {
                    return;
                }
                setState(self.id(), MemberState.LEFT);
                joined.remove(this);
            }
        }

        @Override
        public void close() {
            synchronized (lock) {
                if (closed) {
                    return;
                }
                leave();
                closed = true;
            }
        }
    }
}
