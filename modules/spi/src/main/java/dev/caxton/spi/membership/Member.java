package dev.caxton.spi.membership;

import java.net.InetSocketAddress;
import java.time.Instant;
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
 * @param lastHeard   when this node last heard from that member; {@code null} for this node itself and
 *                    for members not heard yet (or when the provider does not track it)
 */
public record Member(NodeId id, InetSocketAddress address, MemberState state, long incarnation,
                     Map<String, String> metadata, Instant lastHeard) {

    /** Checks and copies the parts. */
    public Member {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(state, "state");
        metadata = Map.copyOf(metadata);
    }

    /**
     * A member whose last contact is not known (this node itself, or a provider that does not track it).
     *
     * @param id          the node's unique id
     * @param address     where the node's transport listens
     * @param state       how the membership currently judges it
     * @param incarnation the incarnation
     * @param metadata    the node's metadata
     */
    public Member(NodeId id, InetSocketAddress address, MemberState state, long incarnation,
                  Map<String, String> metadata) {
        this(id, address, state, incarnation, metadata, null);
    }

    /**
     * A copy in another state.
     *
     * @param s the state
     * @return the copy
     */
    public Member withState(MemberState s) {
        return new Member(id, address, s, incarnation, metadata, lastHeard);
    }
}
