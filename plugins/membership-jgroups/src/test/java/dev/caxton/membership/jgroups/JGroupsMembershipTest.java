package dev.caxton.membership.jgroups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.Membership;
import dev.caxton.spi.membership.MembershipEvent;
import dev.caxton.spi.membership.NodeId;
import dev.caxton.spi.membership.Seeds;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
import org.jgroups.JChannel;

/**
 * Three JGroups members in one JVM on loopback, each on a port of its own, the later ones joining
 * through the first one's address as their seed: they see each other with their metadata, a graceful
 * leave is LEFT, a member that vanishes without a goodbye is DEAD, and a restarted node is back with a
 * higher incarnation.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class JGroupsMembershipTest {

    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    private final List<Node> nodes = new ArrayList<>();

    /** One member and what its listener heard. */
    private final class Node {
        final String id;
        final InetSocketAddress transport;
        final JGroupsMembership membership;
        final List<MembershipEvent> events = Collections.synchronizedList(new ArrayList<>());

        Node(String id, int transportPort, Seeds seeds) {
            this.id = id;
            this.transport = new InetSocketAddress("127.0.0.1", transportPort);
            ProviderConfig config = ProviderConfig.of("coordination.cluster.jgroups", Map.of(
                    "bind_addr", "127.0.0.1:" + freePort(), "join_timeout", "500ms", "failure_timeout", "2s",
                    "leave_timeout", "3s", "cluster_name", "test-" + ProcessHandle.current().pid()));
            this.membership = (JGroupsMembership) new JGroupsMembershipProvider().create(
                    new ProviderContext(config, dir, id).withService(Seeds.class, seeds));
            membership.join(new Member(new NodeId(id), transport, MemberState.ALIVE, 0, Map.of("name", id)), events::add);
            nodes.add(this);
        }

        MemberState stateOf(String other) {
            return membership.members().stream().filter(m -> m.id().value().equals(other)).map(Member::state)
                    .findFirst().orElse(null);
        }

        Member find(String other) {
            return membership.members().stream().filter(m -> m.id().value().equals(other)).findFirst().orElseThrow();
        }

        boolean saw(MembershipEvent.Type type, String other) {
            synchronized (events) {
                return events.stream().anyMatch(e -> e.type() == type && e.member().id().value().equals(other));
            }
        }

        Seeds asSeed() {
            InetSocketAddress a = membership.boundAddress();
            return new Seeds(List.of(a.getHostString() + ":" + a.getPort()));
        }
    }

    @AfterEach
    void closeAll() {
        nodes.forEach(n -> n.membership.close());
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what);
            }
            Thread.sleep(50);
        }
    }

    private List<Node> threeAlive() throws InterruptedException {
        Node n1 = new Node("n1", 17001, Seeds.NONE);
        Seeds seed = n1.asSeed();
        Node n2 = new Node("n2", 17002, seed);
        Node n3 = new Node("n3", 17003, seed);
        List<Node> all = List.of(n1, n2, n3);
        await("every member sees three alive", () -> all.stream().allMatch(o ->
                all.stream().allMatch(t -> o.stateOf(t.id) == MemberState.ALIVE)));
        return all;
    }

    @Test
    void threeMembersSeeEachOtherWithTransportAddressAndMetadata() throws InterruptedException {
        List<Node> all = threeAlive();
        for (Node o : all) {
            for (Node t : all) {
                Member m = o.find(t.id);
                assertThat(m.address()).isEqualTo(t.transport);
                assertThat(m.metadata()).isEqualTo(Map.of("name", t.id));
                if (o != t) {
                    assertThat(o.saw(MembershipEvent.Type.JOINED, t.id)).isTrue();
                }
            }
        }
        all.get(2).membership.updateMetadata(Map.of("api", "127.0.0.1:8083", "agents", "2"));
        await("n1 has n3's new metadata", () -> all.get(0).find("n3").metadata().get("agents") != null);
        assertThat(all.get(0).saw(MembershipEvent.Type.UPDATED, "n3")).isTrue();
    }

    @Test
    void aMemberWhoseInfoWasLostIsAskedAgainUntilItAnswers() throws InterruptedException {
        List<Node> all = threeAlive();
        Node n1 = all.get(0);
        long askedBefore = n1.membership.asked();
        // As if n3's INFO had been lost for good: it stays in n1's JGroups view, unknown to n1. Nothing
        // else would send it again (n3 sees no new view and its metadata does not change).
        n1.membership.forgetForTest("n3");
        assertThat(n1.membership.members()).noneMatch(m -> m.id().value().equals("n3"));
        await("n1 learns n3 again", () -> n1.stateOf("n3") == MemberState.ALIVE);
        assertThat(n1.find("n3").address()).isEqualTo(all.get(2).transport);
        assertThat(n1.membership.asked()).isGreaterThan(askedBefore);
    }

    @Test
    void aPeerRepeatingAskIsNotAnsweredEveryTime() throws InterruptedException {
        List<Node> all = threeAlive();
        JGroupsMembership n1 = all.get(0).membership;
        long dropped = n1.dropped();
        long answers = n1.answers();
        long start = System.nanoTime();
        all.get(1).membership.askForTest("n1", 50);
        await("n1 has handled the 50 asks", () -> n1.dropped() - dropped + n1.answers() - answers >= 50);
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        // failure_timeout 2s: an asker is answered at most once per half second (half the asking period).
        assertThat(n1.answers() - answers).isLessThanOrEqualTo(1 + elapsedMs / 500 + 1).isLessThan(50);
    }

    @Test
    void aGracefulLeaveIsLeftNotDead() throws InterruptedException {
        List<Node> all = threeAlive();
        all.get(1).membership.leave();
        for (Node o : List.of(all.get(0), all.get(2))) {
            await(o.id + " sees n2 left", () -> o.stateOf("n2") == MemberState.LEFT);
        }
        // The view that excludes n2 follows its goodbye; it must not turn LEFT into DEAD.
        await("n1's view no longer holds n2", () -> viewSize(all.get(0)) == 2);
        assertThat(all.get(0).stateOf("n2")).isEqualTo(MemberState.LEFT);
        assertThat(all.get(0).saw(MembershipEvent.Type.DEAD, "n2")).isFalse();
        assertThat(all.get(2).saw(MembershipEvent.Type.DEAD, "n2")).isFalse();
    }

    @Test
    void aMemberGoneWithoutGoodbyeIsDeadAndItsRestartIsANewIncarnation() throws InterruptedException {
        List<Node> all = threeAlive();
        Node n3 = all.get(2);
        long before = all.get(0).find("n3").incarnation();
        // A crash: the channel closes without the goodbye that leave() would send first.
        channel(n3).close();
        for (Node o : all.subList(0, 2)) {
            await(o.id + " sees n3 dead", () -> o.stateOf("n3") == MemberState.DEAD);
            assertThat(o.saw(MembershipEvent.Type.LEFT, "n3")).isFalse();
        }
        Node again = new Node("n3", 17003, all.get(0).asSeed());
        await("n1 sees the new n3 alive", () -> all.get(0).stateOf("n3") == MemberState.ALIVE);
        assertThat(all.get(0).find("n3").incarnation()).isGreaterThan(before);
        await("the new n3 sees n1 and n2", () -> again.stateOf("n1") == MemberState.ALIVE
                && again.stateOf("n2") == MemberState.ALIVE);
    }

    @Test
    void badOptionsAreRefusedNamingTheKey() {
        ProviderContext noFile = new ProviderContext(ProviderConfig.of("coordination.cluster.jgroups",
                Map.of("stack", dir.resolve("missing.xml").toString())), dir, "n1");
        assertThatThrownBy(() -> new JGroupsMembershipProvider().create(noFile))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("coordination.cluster.jgroups.stack").hasMessageContaining("no such file");
        ProviderContext badAddr = new ProviderContext(ProviderConfig.of("coordination.cluster.jgroups",
                Map.of("bind_addr", "localhost")), dir, "n1");
        assertThatThrownBy(() -> new JGroupsMembershipProvider().create(badAddr))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("coordination.cluster.jgroups.bind_addr");
        ProviderContext unknown = new ProviderContext(ProviderConfig.of("coordination.cluster.jgroups",
                Map.of("bind_adr", "127.0.0.1:7800")), dir, "n1");
        assertThatThrownBy(() -> new JGroupsMembershipProvider().create(unknown))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("coordination.cluster.jgroups.bind_adr");
    }

    @Test
    void anOperatorsStackFileIsUsed() throws Exception {
        Path xml = dir.resolve("stack.xml");
        int port = freePort();
        Files.writeString(xml, """
                <config xmlns="urn:org:jgroups">
                  <TCP bind_addr="127.0.0.1" bind_port="%d" port_range="0"/>
                  <TCPPING initial_hosts="127.0.0.1[%d]" port_range="0"/>
                  <MERGE3/>
                  <FD_ALL3/>
                  <VERIFY_SUSPECT2/>
                  <pbcast.NAKACK2 use_mcast_xmit="false"/>
                  <UNICAST3/>
                  <pbcast.STABLE/>
                  <pbcast.GMS join_timeout="300"/>
                </config>
                """.formatted(port, port));
        JGroupsMembership m = (JGroupsMembership) new JGroupsMembershipProvider().create(new ProviderContext(
                ProviderConfig.of("coordination.cluster.jgroups", Map.of("stack", xml.toString())), dir, "solo"));
        List<MembershipEvent> events = Collections.synchronizedList(new ArrayList<>());
        try {
            m.join(new Member(new NodeId("solo"), new InetSocketAddress("127.0.0.1", 17010), MemberState.ALIVE, 0,
                    Map.of()), events::add);
            assertThat(m.boundAddress().getPort()).isEqualTo(port);
            assertThat(m.members()).extracting(x -> x.id().value()).containsExactly("solo");
        } finally {
            m.close();
        }
    }

    @Test
    void malformedNotesAreDroppedNotFatal() {
        assertThat(Note.decode(new byte[0], 0, 0)).isNull();
        byte[] good = Note.info("n1", new InetSocketAddress("127.0.0.1", 7000), 5, Map.of("a", "b")).encode();
        assertThat(Note.decode(good, 0, good.length)).isEqualTo(
                Note.info("n1", new InetSocketAddress("127.0.0.1", 7000), 5, Map.of("a", "b")));
        java.util.Random r = new java.util.Random(11);
        for (int i = 0; i < 5000; i++) {
            byte[] b = good.clone();
            b[r.nextInt(b.length)] = (byte) r.nextInt();
            Note.decode(b, 0, r.nextInt(b.length + 1)); // must not throw
        }
        Map<String, String> huge = new HashMap<>();
        for (int i = 0; i < 40; i++) {
            huge.put("k" + i, "v");
        }
        assertThat(Note.checkMetadata(huge)).contains("at most 32");
    }

    /** A port free a moment ago: JGroups' TCPPING cannot work with a port the kernel picks at bind time. */
    static int freePort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static int viewSize(Node n) {
        return channel(n).view().size();
    }

    private static JChannel channel(Node n) {
        try {
            var f = JGroupsMembership.class.getDeclaredField("channel");
            f.setAccessible(true);
            return (JChannel) f.get(n.membership);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }
}
