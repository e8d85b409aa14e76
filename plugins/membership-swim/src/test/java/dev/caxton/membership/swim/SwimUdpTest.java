package dev.caxton.membership.swim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.MembershipEvent;
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
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several swim members in one JVM on real UDP sockets on loopback (ports picked by the system):
 * joining through a seed, failure detection, graceful leave, metadata, the gossip key, and the figures
 * reported for the node's metrics (refused packets by reason, protocol events, convergence times). Timings are
 * short to keep the test quick, and every wait is for a condition with a generous deadline.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SwimUdpTest {

    private static final long DEADLINE_MS = 60_000;

    @TempDir
    Path dir;

    private final List<SwimMembership> started = new ArrayList<>();
    private final Map<String, List<MembershipEvent>> events = new HashMap<>();

    @AfterEach
    void closeAll() {
        started.forEach(SwimMembership::close);
    }

    private SwimMembership node(String id, List<InetSocketAddress> seeds, SecretKey key) {
        return node(id, seeds, key, null);
    }

    /** As above; {@code convergence}, when not null, receives the node's convergence times. */
    private SwimMembership node(String id, List<InetSocketAddress> seeds, SecretKey key, List<Double> convergence) {
        Map<String, Object> section = new HashMap<>();
        section.put("bind_addr", "127.0.0.1:0");
        section.put("probe_interval", "200ms");
        section.put("probe_timeout", "100ms");
        section.put("gossip_interval", "50ms");
        section.put("push_pull_interval", "2s");
        section.put("gossip_to_dead", "1m");
        ProviderContext ctx = new ProviderContext(ProviderConfig.of("coordination.cluster.swim", section), dir, id)
                .withService(Seeds.class, new Seeds(seeds.stream().map(a -> "127.0.0.1:" + a.getPort()).toList()));
        if (key != null) {
            ctx = ctx.withService(SecretKey.class, key);
        }
        SwimMembership m = (SwimMembership) new SwimMembershipProvider().create(ctx);
        if (convergence != null) {
            assertThat(m.reportConvergence(convergence::add)).as("swim measures convergence").isTrue();
        }
        List<MembershipEvent> log = Collections.synchronizedList(new ArrayList<>());
        events.put(id, log);
        m.join(new Member(new NodeId(id), new InetSocketAddress("127.0.0.1", 40000 + started.size()), MemberState.ALIVE,
                0, Map.of("name", id)), log::add);
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

    private static boolean allSee(List<SwimMembership> observers, List<String> ids, MemberState state) {
        for (SwimMembership o : observers) {
            List<Member> ms = o.members();
            for (String id : ids) {
                if (ms.stream().noneMatch(m -> m.id().value().equals(id) && m.state() == state)) {
                    return false;
                }
            }
        }
        return true;
    }

    private boolean saw(String observer, MembershipEvent.Type type, String about) {
        synchronized (events.get(observer)) {
            return events.get(observer).stream().anyMatch(e -> e.type() == type && e.member().id().value().equals(about));
        }
    }

    @Test
    void fourNodesJoinThroughOneSeedThenACrashIsDeadAndALeaveIsLeft() throws InterruptedException {
        SwimMembership a = node("a", List.of(), null);
        SwimMembership b = node("b", List.of(a.swimAddress()), null);
        SwimMembership c = node("c", List.of(a.swimAddress()), null);
        SwimMembership d = node("d", List.of(b.swimAddress()), null);
        List<String> ids = List.of("a", "b", "c", "d");
        await("all four see all four alive", () -> allSee(List.of(a, b, c, d), ids, MemberState.ALIVE));
        Member bAtA = a.members().stream().filter(m -> m.id().value().equals("b")).findFirst().orElseThrow();
        assertThat(bAtA.address()).as("Member.address is the transport address, not SWIM's")
                .isEqualTo(new InetSocketAddress("127.0.0.1", 40001));
        assertThat(bAtA.metadata()).isEqualTo(Map.of("name", "b"));
        assertThat(bAtA.lastHeard()).isNotNull();

        d.crash();
        await("d dead for a, b and c", () -> allSee(List.of(a, b, c), List.of("d"), MemberState.DEAD));
        assertThat(saw("a", MembershipEvent.Type.LEFT, "d")).isFalse();

        c.leave();
        await("c left for a and b", () -> allSee(List.of(a, b), List.of("c"), MemberState.LEFT));
        assertThat(saw("a", MembershipEvent.Type.DEAD, "c")).isFalse();
        assertThat(saw("b", MembershipEvent.Type.DEAD, "c")).isFalse();
    }

    @Test
    void metadataUpdatesSpreadAndARestartedNodeRejoinsWithAHigherIncarnation() throws InterruptedException {
        SwimMembership a = node("a", List.of(), null);
        SwimMembership b = node("b", List.of(a.swimAddress()), null);
        await("a and b see each other", () -> allSee(List.of(a, b), List.of("a", "b"), MemberState.ALIVE));
        Map<String, String> meta = Map.of("api", "127.0.0.1:8080", "agents", "3");
        b.updateMetadata(meta);
        await("a has b's metadata", () -> a.members().stream().anyMatch(m -> m.id().value().equals("b")
                && m.metadata().equals(meta)));
        assertThat(saw("a", MembershipEvent.Type.UPDATED, "b")).isTrue();

        long before = a.members().stream().filter(m -> m.id().value().equals("b")).findFirst().orElseThrow().incarnation();
        b.crash();
        await("b dead for a", () -> allSee(List.of(a), List.of("b"), MemberState.DEAD));
        SwimMembership b2 = node("b", List.of(a.swimAddress()), null);
        await("the new b is alive for a", () -> allSee(List.of(a), List.of("b"), MemberState.ALIVE));
        assertThat(a.members().stream().filter(m -> m.id().value().equals("b")).findFirst().orElseThrow().incarnation())
                .isGreaterThan(before);
        await("the new b sees a", () -> allSee(List.of(b2), List.of("a"), MemberState.ALIVE));
    }

    @Test
    void withAGossipKeyOnlyKeyHoldersTalkAndOthersAreDroppedAndCounted() throws InterruptedException {
        SecretKey key = new SecretKeySpec(new byte[32], "AES");
        byte[] otherBytes = new byte[32];
        otherBytes[0] = 1;
        SecretKey other = new SecretKeySpec(otherBytes, "AES");
        SwimMembership a = node("a", List.of(), key);
        SwimMembership b = node("b", List.of(a.swimAddress()), key);
        await("a and b, same key, see each other", () -> allSee(List.of(a, b), List.of("a", "b"), MemberState.ALIVE));

        SwimMembership wrongKey = node("x", List.of(a.swimAddress()), other);
        SwimMembership noKey = node("y", List.of(a.swimAddress()), null);
        await("a refused both intruders", () -> a.drops().getOrDefault("unauthenticated", 0L) > 0
                && a.drops().getOrDefault("plain", 0L) > 0);
        assertThat(a.members()).extracting(m -> m.id().value()).containsExactlyInAnyOrder("a", "b");
        await("the keyless node refused the sealed answers it never got, and saw nobody",
                () -> noKey.members().size() == 1 && wrongKey.members().size() == 1);
    }

    @Test
    void theListenerMayAskForTheMembersAndUpdateMetadataWhileJoining() {
        // The runtime's listener reads the members on JOINED, on the protocol thread, while join runs.
        ProviderContext ctx = new ProviderContext(ProviderConfig.of("coordination.cluster.swim",
                Map.of("bind_addr", "127.0.0.1:0")), dir, "r");
        SwimMembership m = (SwimMembership) new SwimMembershipProvider().create(ctx);
        started.add(m);
        List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
        m.join(new Member(new NodeId("r"), new InetSocketAddress("127.0.0.1", 1), MemberState.ALIVE, 0, Map.of()), e -> {
            seen.add(m.members().size());
            if (e.type() == MembershipEvent.Type.JOINED) {
                m.updateMetadata(Map.of("agents", "1"));
            }
        });
        assertThat(seen).first().isEqualTo(1);
        assertThat(m.members()).singleElement().satisfies(x -> assertThat(x.metadata()).containsEntry("agents", "1"));
    }

    @Test
    void configErrorsNameTheKey() {
        SwimMembershipProvider p = new SwimMembershipProvider();
        assertThatThrownBy(() -> p.check(ProviderConfig.of("coordination.cluster.swim", Map.of("bind_addr", "nowhere"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("coordination.cluster.swim.bind_addr");
        assertThatThrownBy(() -> p.check(ProviderConfig.of("coordination.cluster.swim",
                Map.of("probe_interval", "100ms", "probe_timeout", "200ms"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("coordination.cluster.swim.probe_timeout");
        assertThatThrownBy(() -> p.check(ProviderConfig.of("coordination.cluster.swim", Map.of("advertise_addr", "0.0.0.0:7945"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("advertise_addr");
        assertThatThrownBy(() -> p.check(ProviderConfig.of("coordination.cluster.swim", Map.of("gossip_fanout", "0"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("gossip_fanout");
        assertThatThrownBy(() -> p.check(ProviderConfig.of("coordination.cluster.swim", Map.of("probe_intervall", "1s"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("unknown option");
    }

    @Test
    void aTakenPortIsAClearError() {
        SwimMembership a = node("a", List.of(), null);
        ProviderContext ctx = new ProviderContext(ProviderConfig.of("coordination.cluster.swim",
                Map.of("bind_addr", "127.0.0.1:" + a.swimAddress().getPort())), dir, "z");
        SwimMembership z = (SwimMembership) new SwimMembershipProvider().create(ctx);
        assertThatThrownBy(() -> z.join(new Member(new NodeId("z"), new InetSocketAddress("127.0.0.1", 1),
                MemberState.ALIVE, 0, Map.of()), e -> { }))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("bind_addr")
                .hasMessageContaining(":" + a.swimAddress().getPort());
        z.close();
    }

    // ------------------------------------------------------------------ figures for the node's metrics

    private static long dropped(SwimMembership m, String reason) {
        return m.statistics().packetsDropped().getOrDefault(reason, 0L);
    }

    @Test
    void malformedOversizedAndStrangersPacketsAreCountedByReason() throws Exception {
        SwimMembership a = node("a", List.of(), null, null);
        MembershipStatistics before = a.statistics();
        assertThat(before.packetsDropped()).as("every reason is reported from the start")
                .containsKeys("malformed", "too_large", "unauthenticated", "non_member", "flood")
                .allSatisfy((reason, n) -> assertThat(n).isZero());
        assertThat(before.events()).containsOnlyKeys("probe", "indirect_probe", "suspicion", "refutation",
                "convergence_stamp_future", "convergence_stamp_stale");

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
        SwimMembership a = node("a", List.of(), null, atA);
        SwimMembership b = node("b", List.of(a.swimAddress()), null, atB);
        SwimMembership c = node("c", List.of(a.swimAddress()), null, null);
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
