package dev.caxton.spi.membership;

import java.util.List;
import java.util.Map;

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

    /** Leaves (if joined) and releases resources. */
    @Override
    void close();
}
