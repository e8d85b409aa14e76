package dev.caxton.membership.swim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.MembershipStatistics;
import dev.caxton.spi.membership.NodeId;
import dev.caxton.spi.membership.Seeds;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The figures the swim membership reports for the node's metrics, on real UDP sockets on loopback:
 * refused packets counted by reason, protocol events, and convergence times taken from the origin's
 * stamp on each change. Every wait is for a condition, with a generous deadline.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SwimStatisticsTest {

    private static final long DEADLINE_MS = 60_000;

    @TempDir
    Path dir;

    private final List<SwimMembership> started = new ArrayList<>();

    @AfterEach
    void closeAll() {
        started.forEach(SwimMembership::close);
    }

    private SwimMembership node(String id, List<InetSocketAddress> seeds, List<Double> convergence) {
        Map<String, Object> section = new HashMap<>();
        section.put("bind_addr", "127.0.0.1:0");
        section.put("probe_interval", "200ms");
        section.put("probe_timeout", "100ms");
        section.put("gossip_interval", "50ms");
        section.put("push_pull_interval", "2s");
        ProviderContext ctx = new ProviderContext(ProviderConfig.of("coordination.cluster.swim", section), dir, id)
                .withService(Seeds.class, new Seeds(seeds.stream().map(a -> "127.0.0.1:" + a.getPort()).toList()));
        SwimMembership m = (SwimMembership) new SwimMembershipProvider().create(ctx);
        if (convergence != null) {
            assertThat(m.reportConvergence(convergence::add)).as("swim measures convergence").isTrue();
        }
        m.join(new Member(new NodeId(id), new InetSocketAddress("127.0.0.1", 41000 + started.size()), MemberState.ALIVE,
                0, Map.of()), e -> { });
        started.add(m);
        return m;
    }

    private static void await(String what, BooleanSupplier until) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS);
        while (!until.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("not within " + DEADLINE_MS + "ms: " + what);
            }
            Thread.sleep(20);
        }
    }

    private static long dropped(SwimMembership m, String reason) {
        return m.statistics().packetsDropped().getOrDefault(reason, 0L);
    }

    @Test
    void malformedOversizedAndStrangersPacketsAreCountedByReason() throws Exception {
        SwimMembership a = node("a", List.of(), null);
        MembershipStatistics before = a.statistics();
        assertThat(before.packetsDropped()).as("every reason is reported from the start")
                .containsKeys("malformed", "too_large", "unauthenticated", "non_member", "flood")
                .allSatisfy((reason, n) -> assertThat(n).isZero());
        assertThat(before.events()).containsOnlyKeys("probe", "indirect_probe", "suspicion", "refutation");

        try (DatagramChannel stranger = DatagramChannel.open()) {
            stranger.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            InetSocketAddress to = a.swimAddress();
            stranger.send(ByteBuffer.wrap("not a swim packet".getBytes()), to);
            stranger.send(ByteBuffer.wrap(new byte[Wire.MAX_PACKET + 1]), to);
            // Well formed, but gossip from a node nobody knows that does not introduce itself.
            Wire.Builder b = new Wire.Builder("zz", 0);
            b.add(Wire.encode(new Wire.Suspect("a", 1, "zz")));
            stranger.send(ByteBuffer.wrap(b.bytes()), to);
        }
        await("the three packets counted", () -> dropped(a, "malformed") == 1 && dropped(a, "too_large") == 1
                && dropped(a, "non_member") == 1);
        assertThat(a.statistics().packetsDropped().values().stream().mapToLong(Long::longValue).sum())
                .as("nothing else was dropped").isEqualTo(3);
        assertThat(a.members()).as("a stranger's accusation changes nothing").hasSize(1);
    }

    @Test
    void probesAreCountedAndAGracefulLeaveIsMeasuredOnTheOthers() throws Exception {
        List<Double> atA = Collections.synchronizedList(new ArrayList<>());
        List<Double> atB = Collections.synchronizedList(new ArrayList<>());
        SwimMembership a = node("a", List.of(), atA);
        SwimMembership b = node("b", List.of(a.swimAddress()), atB);
        SwimMembership c = node("c", List.of(a.swimAddress()), null);
        await("all three see each other alive", () -> List.of(a, b, c).stream().allMatch(
                m -> m.members().stream().filter(x -> x.state() == MemberState.ALIVE).count() == 3));
        await("a probes", () -> a.statistics().events().get("probe") > 0);

        int beforeA = atA.size();
        int beforeB = atB.size();
        c.leave();
        await("a and b see c left", () -> a.sees("c", MemberState.LEFT) && b.sees("c", MemberState.LEFT));
        await("a and b measured c's leave", () -> atA.size() > beforeA && atB.size() > beforeB);
        List<Double> all = new ArrayList<>();
        synchronized (atA) {
            all.addAll(atA.subList(beforeA, atA.size()));
        }
        synchronized (atB) {
            all.addAll(atB.subList(beforeB, atB.size()));
        }
        assertThat(all).allSatisfy(s -> assertThat(s).isGreaterThanOrEqualTo(0.0));
        System.out.println("swim convergence of a leave on loopback (seconds): " + all);
    }
}
