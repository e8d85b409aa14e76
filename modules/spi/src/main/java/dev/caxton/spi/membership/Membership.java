package dev.caxton.spi.membership;

import java.util.List;
import java.util.Map;
import java.util.function.DoubleConsumer;

/** This node's view of the cluster. Thread-safe. */
public interface Membership extends AutoCloseable {

    /**
     * Joins the cluster as {@code self} and starts reporting changes to the listener.
     *
     * @param self     this node: its id, the address peers reach its transport on, its metadata
     * @param listener receives every change, on a thread of the provider's; must not block
     */
    void join(Member self, MembershipListener listener);

    /**
     * The members currently known, this node included, in no particular order.
     *
     * @return the members
     */
    List<Member> members();

    /**
     * Replaces this node's metadata and spreads it to the others.
     *
     * @param metadata small string pairs (e.g. capabilities hosted here)
     */
    void updateMetadata(Map<String, String> metadata);

    /** Leaves gracefully: the others see {@link MemberState#LEFT} rather than a failure. */
    void leave();

    /**
     * The provider's own counters (refused packets, probes, suspicions...), for the node's metrics.
     * Optional: the default reports nothing, and the node then serves no such series.
     *
     * @return a snapshot, cumulative since the provider started
     */
    default MembershipStatistics statistics() {
        return MembershipStatistics.NONE;
    }

    /**
     * Asks the provider to report gossip convergence times: for each change of a member's state that
     * this node applies, the time since the change was first made on the node that made it, in
     * seconds. Such times compare two nodes' wall clocks, so they mean something only where the clocks
     * are synchronised. Optional: the default measures nothing and returns false, and the node then
     * serves no {@code caxton_gossip_convergence_time_seconds}.
     *
     * @param sink receives each time, on a thread of the provider's; must not block
     * @return whether this provider reports convergence times at all
     */
    default boolean reportConvergence(DoubleConsumer sink) {
        return false;
    }

    /** Leaves (if joined) and releases resources. */
    @Override
    void close();
}
