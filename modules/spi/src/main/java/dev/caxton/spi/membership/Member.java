package dev.caxton.spi.membership;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Objects;

/**
 * A node as the membership sees it.
 *
 * @param id          the node's unique id
 * @param address     where the node's transport listens
 * @param state       how the membership currently judges it
 * @param incarnation a counter the node raises to refute suspicion (SWIM); 0 where unused
 * @param metadata    small string pairs the node publishes
 */
public record Member(NodeId id, InetSocketAddress address, MemberState state, long incarnation,
                     Map<String, String> metadata) {

    /** Checks and copies the parts. */
    public Member {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(state, "state");
        metadata = Map.copyOf(metadata);
    }

    /**
     * A copy in another state.
     *
     * @param s the state
     * @return the copy
     */
    public Member withState(MemberState s) {
        return new Member(id, address, s, incarnation, metadata);
    }
}
