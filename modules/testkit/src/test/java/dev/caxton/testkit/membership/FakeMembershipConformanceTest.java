package dev.caxton.testkit.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.Membership;
import dev.caxton.spi.membership.MembershipEvent;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.spi.membership.NodeId;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The membership fake passes the membership suite, and a test can drive it. */
class FakeMembershipConformanceTest extends MembershipConformance {

    @Override
    protected MembershipProvider provider() {
        return new FakeMembershipProvider();
    }

    @Test
    void theTestDecidesWhatHappensToOtherMembers() {
        FakeMembershipProvider cluster = new FakeMembershipProvider();
        List<MembershipEvent> seen = new ArrayList<>();
        Membership m = cluster.create(new ProviderContext(ProviderConfig.empty(), dataDir, "n1"));
        m.join(new Member(new NodeId("n1"), new InetSocketAddress("127.0.0.1", 1), MemberState.ALIVE, 0, Map.of()), seen::add);
        NodeId n2 = new NodeId("n2");
        cluster.add(new Member(n2, new InetSocketAddress("127.0.0.1", 2), MemberState.ALIVE, 0, Map.of()));
        cluster.setState(n2, MemberState.SUSPECT);
        cluster.setState(n2, MemberState.DEAD);
        assertThat(seen).extracting(MembershipEvent::type).containsExactly(
                MembershipEvent.Type.JOINED, MembershipEvent.Type.JOINED, MembershipEvent.Type.SUSPECT, MembershipEvent.Type.DEAD);
        assertThat(m.members()).extracting(Member::state).containsExactly(MemberState.ALIVE, MemberState.DEAD);
        assertThatThrownBy(() -> cluster.setState(new NodeId("n9"), MemberState.DEAD)).hasMessageContaining("n9");
        m.close();
    }

    @Test
    void twoNodesOfOneProviderSeeEachOther() {
        FakeMembershipProvider cluster = new FakeMembershipProvider();
        List<MembershipEvent> first = new ArrayList<>();
        Membership a = cluster.create(new ProviderContext(ProviderConfig.empty(), dataDir, "a"));
        Membership b = cluster.create(new ProviderContext(ProviderConfig.empty(), dataDir, "b"));
        a.join(new Member(new NodeId("a"), new InetSocketAddress("127.0.0.1", 1), MemberState.ALIVE, 0, Map.of()), first::add);
        b.join(new Member(new NodeId("b"), new InetSocketAddress("127.0.0.1", 2), MemberState.ALIVE, 0, Map.of()), e -> { });
        b.updateMetadata(Map.of("capabilities", "math"));
        b.close();
        assertThat(first).extracting(e -> e.type() + ":" + e.member().id().value())
                .containsExactly("JOINED:a", "JOINED:b", "UPDATED:b", "LEFT:b");
        a.close();
    }
}
