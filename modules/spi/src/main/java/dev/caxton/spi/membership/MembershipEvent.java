package dev.caxton.spi.membership;

/**
 * A change in the cluster.
 *
 * @param type   what happened
 * @param member the member it happened to, as it is now
 */
public record MembershipEvent(Type type, Member member) {

    /** The kinds of change. */
    public enum Type {
        /** A node joined (or came back). */
        JOINED,
        /** A node stopped answering and is suspected. */
        SUSPECT,
        /** A node was judged failed. */
        DEAD,
        /** A node left gracefully. */
        LEFT,
        /** A node's metadata changed. */
        UPDATED
    }
}
