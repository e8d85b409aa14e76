package dev.caxton.server;

import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.Membership;
import dev.caxton.spi.membership.MembershipEvent;
import dev.caxton.spi.membership.MembershipListener;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.spi.membership.MembershipStatistics;

import java.util.List;
import java.util.Map;
import java.util.function.DoubleConsumer;

/**
 * A one-node membership for the metrics tests ({@code coordination.cluster.membership: fake-stats})
 * that reports known statistics and one convergence time of {@link #CONVERGENCE_SECONDS} when it
 * joins, so the exposition of the membership's figures is tested without a network.
 */
public final class FakeStatsMembershipProvider implements MembershipProvider {

    /** The one convergence time reported, at join. */
    static final double CONVERGENCE_SECONDS = 0.2;
    /** The dropped packets reported. */
    static final Map<String, Long> DROPPED = Map.of("malformed", 3L, "non_member", 2L, "flood", 0L);
    /** The events reported. */
    static final Map<String, Long> EVENTS = Map.of("probe", 7L, "suspicion", 1L);

    /** Creates the provider. */
    public FakeStatsMembershipProvider() {
    }

    @Override
    public String name() {
        return "fake-stats";
    }

    @Override
    public Membership create(ProviderContext context) {
        return new Membership() {
            private volatile Member self;
            private volatile DoubleConsumer sink;

            @Override
            public void join(Member me, MembershipListener listener) {
                self = me;
                listener.onEvent(new MembershipEvent(MembershipEvent.Type.JOINED, me));
                DoubleConsumer s = sink;
                if (s != null) {
                    s.accept(CONVERGENCE_SECONDS);
                }
            }

            @Override
            public List<Member> members() {
                Member m = self;
                return m == null ? List.of() : List.of(m);
            }

            @Override
            public void updateMetadata(Map<String, String> metadata) {
                Member m = self;
                if (m != null) {
                    self = new Member(m.id(), m.address(), m.state(), m.incarnation() + 1, metadata);
                }
            }

            @Override
            public void leave() {
            }

            @Override
            public void close() {
            }

            @Override
            public MembershipStatistics statistics() {
                return new MembershipStatistics(DROPPED, EVENTS);
            }

            @Override
            public boolean reportConvergence(DoubleConsumer s) {
                sink = s;
                return true;
            }
        };
    }
}
