package dev.caxton.runtime.cluster;

import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;

import java.util.List;

/**
 * Partition detection by count: a node that sees fewer alive members (itself included) than
 * {@code coordination.partition.quorum_size} is on the minority side of a partition, or the cluster
 * lost too many nodes to tell. Counting is all a node can do alone: it cannot know whether the nodes
 * it lost are down or merely cut off, so both are reported alike.
 *
 * @param size the quorum; 0 turns detection off
 */
public record Quorum(int size) {

    /**
     * Checks the range.
     *
     * @throws IllegalArgumentException when negative
     */
    public Quorum {
        if (size < 0) {
            throw new IllegalArgumentException("quorum size must be 0 or more, got " + size);
        }
    }

    /**
     * What the membership's current view says.
     *
     * @param members the members as the membership lists them, this node included
     * @return the count and the verdict
     */
    public Status check(List<Member> members) {
        int alive = (int) members.stream().filter(m -> m.state() == MemberState.ALIVE).count();
        return new Status(alive, size, size > 0 && alive < size);
    }

    /**
     * One verdict.
     *
     * @param alive       members seen alive, this node included
     * @param quorum      the configured quorum (0: detection off)
     * @param partitioned whether fewer than {@code quorum} are alive
     */
    public record Status(int alive, int quorum, boolean partitioned) {
    }
}
