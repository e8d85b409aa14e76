package dev.caxton.testkit.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.membership.MembershipClock;
import dev.caxton.spi.membership.MembershipDatagrams;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The simulated network and virtual clock as the membership SPI's datagram and clock services. */
class SimulatedDatagramsTest {

    private final VirtualClock clock = new VirtualClock(1_000_000L);
    private final SimulatedNetwork network = new SimulatedNetwork(clock, 1).delay(5, 5);
    private final MembershipDatagrams datagrams = network.datagrams();

    private static ByteBuffer text(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void packetsArriveAfterTheDelayWithTheSendersAddressAndPortZeroPicksOne() throws Exception {
        List<String> got = new ArrayList<>();
        MembershipDatagrams.Socket a = datagrams.bind(new InetSocketAddress("10.0.0.1", 0), (from, p) -> { });
        MembershipDatagrams.Socket b = datagrams.bind(new InetSocketAddress("10.0.0.2", 7945),
                (from, p) -> got.add(from + " " + StandardCharsets.UTF_8.decode(p)));
        assertThat(a.localAddress().getPort()).isNotZero();
        ByteBuffer packet = text("hello");
        a.send(b.localAddress(), packet);
        assertThat(packet.hasRemaining()).as("the packet was consumed (copied)").isFalse();
        clock.advance(4);
        assertThat(got).isEmpty();
        clock.advance(1);
        assertThat(got).containsExactly(a.localAddress() + " hello");
    }

    @Test
    void anAddressInUseIsRefusedAndClosingFreesItWithoutTouchingALaterSocket() throws Exception {
        InetSocketAddress at = new InetSocketAddress("10.0.0.3", 7945);
        List<String> first = new ArrayList<>();
        List<String> second = new ArrayList<>();
        MembershipDatagrams.Socket s1 = datagrams.bind(at, (from, p) -> first.add("x"));
        assertThatThrownBy(() -> datagrams.bind(at, (from, p) -> { })).isInstanceOf(BindException.class)
                .hasMessageContaining("10.0.0.3");
        s1.close();
        MembershipDatagrams.Socket s2 = datagrams.bind(at, (from, p) -> second.add("y"));
        s1.close();
        MembershipDatagrams.Socket sender = datagrams.bind(new InetSocketAddress("10.0.0.4", 0), (from, p) -> { });
        sender.send(at, text("after"));
        s1.send(at, text("from a closed socket"));
        clock.advance(10);
        assertThat(first).isEmpty();
        assertThat(second).containsExactly("y");
        s2.close();
    }

    @Test
    void theClockServiceRunsTasksInVirtualTimeAndItsRandomnessRepeats() {
        MembershipClock c = clock.membershipClock(42);
        List<Long> ran = new ArrayList<>();
        c.schedule(100, () -> ran.add(c.monotonicMillis()));
        clock.advance(99);
        assertThat(ran).isEmpty();
        clock.advance(1);
        assertThat(ran).containsExactly(100L);
        assertThat(c.wallMillis()).isEqualTo(1_000_100L);
        assertThat(c.random().nextLong()).isEqualTo(clock.membershipClock(42).random().nextLong());
    }
}
