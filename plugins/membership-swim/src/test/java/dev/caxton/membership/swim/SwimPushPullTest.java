package dev.caxton.membership.swim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.membership.swim.Wire.Alive;
import dev.caxton.membership.swim.Wire.PushPull;
import dev.caxton.testkit.membership.VirtualClock;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The answer to a push-pull whose full state spans several packets: one state in return per exchange,
 * not one per packet received (which made a 1,000-node cluster send 45 × 45 packets per exchange).
 * Driven by hand on the virtual clock, with a recording endpoint, so the packets can be counted.
 */
class SwimPushPullTest {

    private static final SwimConfig CONFIG = SwimConfig.DEFAULT;

    private record Sent(InetSocketAddress to, byte[] packet) {
    }

    private static InetSocketAddress addr(int i, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByAddress(new byte[] {10, 1, (byte) (i >> 8), (byte) i}), port);
    }

    @Test
    void aFullStateInManyPacketsIsAnsweredWithOneStateNotOnePerPacket() throws Exception {
        VirtualClock clock = new VirtualClock(1_800_000_000_000L);
        List<Sent> sent = new ArrayList<>();
        Sealer sealer = new Sealer(null);
        SwimCore.Clock seam = SimCluster.seam(clock);
        InetSocketAddress self = addr(1, 7945);
        InetSocketAddress pusher = addr(2, 7945);
        SwimCore core = new SwimCore("b", CONFIG, seam, (to, p) -> sent.add(new Sent(to, p)), sealer,
                new SplittableRandom(5), () -> List.of(pusher), (type, m) -> { });
        core.start(self, addr(1, 7946), Map.of("name", "b"));
        clock.advance(1);

        // The pusher's state: itself and 80 other nodes, packed as pushState packs it.
        List<byte[]> records = new ArrayList<>();
        records.add(Wire.encode(new Alive("a", 1, pusher, addr(2, 7946), Map.of("name", "a"))));
        for (int i = 0; i < 80; i++) {
            records.add(Wire.encode(new Alive("x" + i, 1, addr(100 + i, 7945), addr(100 + i, 7946),
                    Map.of("name", "x" + i))));
        }
        byte[] marker = Wire.encode(new PushPull(true));
        List<byte[]> packets = new ArrayList<>();
        int i = 0;
        while (i < records.size()) {
            Wire.Builder b = new Wire.Builder("a", sealer.overhead());
            b.add(marker);
            while (i < records.size() && b.add(records.get(i))) {
                i++;
            }
            packets.add(sealer.seal(b.bytes()));
        }
        assertThat(packets).as("the state needs several packets").hasSizeGreaterThan(2);

        sent.clear();
        for (byte[] p : packets) {
            core.onPacket(pusher, p);
        }

        // Every member the answer names is named once: one full state went back.
        Map<String, Integer> named = new java.util.HashMap<>();
        for (Sent s : sent) {
            if (!s.to().equals(pusher)) {
                continue;
            }
            for (Wire.Record r : sealer.open(s.packet()).records()) {
                if (r instanceof Alive a) {
                    named.merge(a.node(), 1, Integer::sum);
                }
            }
        }
        assertThat(named).containsKeys("b", "a", "x0");
        assertThat(named.values()).as("how often each member is in the answer").containsOnly(1);

        // A later exchange (the next push-pull round) is answered again.
        sent.clear();
        clock.advance(CONFIG.pushPullIntervalMs());
        sent.clear();
        core.onPacket(pusher, packets.getFirst());
        assertThat(sent).anyMatch(s -> s.to().equals(pusher));
    }
}
