package dev.caxton.runtime.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.NodeId;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QuorumTest {

    private static Member member(String name, MemberState state) {
        return new Member(new NodeId(name), new InetSocketAddress("127.0.0.1", 7946), state, 0, Map.of());
    }

    private static final List<Member> TWO_OF_FIVE = List.of(member("a", MemberState.ALIVE), member("b", MemberState.ALIVE),
            member("c", MemberState.DEAD), member("d", MemberState.SUSPECT), member("e", MemberState.LEFT));

    @Test
    void fewerAliveThanTheQuorumIsAPartitionAndOnlyAliveMembersCount() {
        assertThat(new Quorum(3).check(TWO_OF_FIVE)).isEqualTo(new Quorum.Status(2, 3, true));
        assertThat(new Quorum(2).check(TWO_OF_FIVE)).isEqualTo(new Quorum.Status(2, 2, false));
    }

    @Test
    void zeroTurnsDetectionOff() {
        assertThat(new Quorum(0).check(List.of(member("a", MemberState.ALIVE))).partitioned()).isFalse();
        assertThat(new Quorum(0).check(List.of()).partitioned()).isFalse();
        assertThatThrownBy(() -> new Quorum(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
