package dev.caxton.membership.swim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * Hostile bytes against the packet decoder and the protocol: 100,000 seeded random and mutated
 * packets, plain and sealed. The decoder either decodes a packet within bounds or refuses it with a
 * reason; it never throws anything else, and the protocol fed the same bytes keeps running.
 */
class PacketFuzzTest {

    private static List<byte[]> validPackets(Sealer sealer) throws Exception {
        InetSocketAddress a = new InetSocketAddress(InetAddress.getByName("10.0.0.1"), 7945);
        InetSocketAddress t = new InetSocketAddress(InetAddress.getByName("::1"), 7946);
        List<Wire.Record> records = List.of(new Wire.Ping(7, "n2"), new Wire.PingReq(8, "n3", a), new Wire.Ack(9),
                new Wire.Nack(10), new Wire.Alive("n2", 12345, a, t, Map.of("api", "127.0.0.1:8080", "agents", "4")),
                new Wire.Suspect("n3", 1, "n2"), new Wire.Dead("n4", 2, "n2"), new Wire.Left("n5", 3),
                new Wire.PushPull(true));
        List<byte[]> out = new ArrayList<>();
        for (Wire.Record r : records) {
            Wire.Builder b = new Wire.Builder("n1", sealer.overhead());
            b.add(Wire.encode(r));
            out.add(sealer.seal(b.bytes()));
        }
        Wire.Builder all = new Wire.Builder("n1", sealer.overhead());
        records.forEach(r -> all.add(Wire.encode(r)));
        out.add(sealer.seal(all.bytes()));
        return out;
    }

    @Test
    void everyRecordSurvivesARoundTrip() throws Exception {
        for (Sealer s : List.of(new Sealer(null), new Sealer(new SecretKeySpec(new byte[16], "AES")))) {
            List<byte[]> packets = validPackets(s);
            Wire.Packet p = s.open(packets.getLast());
            assertThat(p.sender()).isEqualTo("n1");
            assertThat(p.records()).hasSize(9);
            assertThat(packets.getLast().length).isLessThanOrEqualTo(Wire.MAX_PACKET);
            assertThat(p.records().get(4)).isEqualTo(new Wire.Alive("n2", 12345,
                    new InetSocketAddress(InetAddress.getByName("10.0.0.1"), 7945),
                    new InetSocketAddress(InetAddress.getByName("::1"), 7946), Map.of("api", "127.0.0.1:8080", "agents", "4")));
        }
    }

    @Test
    void randomAndMutatedPacketsAreDecodedOrRefusedNeverThrown() throws Exception {
        Random random = new Random(20261206L);
        for (Sealer sealer : List.of(new Sealer(null), new Sealer(new SecretKeySpec(new byte[16], "AES")))) {
            List<byte[]> valid = validPackets(sealer);
            SimCluster sim = new SimCluster(2, SwimConfig.DEFAULT, 1);
            sim.nodes.forEach(SimCluster.SimNode::start);
            SwimCore core = sim.nodes.get(0).core;
            for (int i = 0; i < 50_000; i++) {
                byte[] p;
                if (i % 2 == 0) {
                    p = new byte[random.nextInt(i % 100 == 0 ? 3000 : 200)];
                    random.nextBytes(p);
                    if (p.length > 4 && i % 4 == 0) {
                        p[0] = (byte) 0xCA;
                        p[1] = 0x5F;
                        p[2] = 1;
                        p[3] = (byte) random.nextInt(2);
                    }
                } else {
                    p = valid.get(random.nextInt(valid.size())).clone();
                    int flips = 1 + random.nextInt(4);
                    for (int f = 0; f < flips; f++) {
                        p[random.nextInt(p.length)] = (byte) random.nextInt(256);
                    }
                    if (i % 7 == 0) {
                        p = java.util.Arrays.copyOf(p, random.nextInt(p.length + 1));
                    }
                }
                byte[] packet = p;
                assertThatCode(() -> {
                    try {
                        sealer.open(packet);
                    } catch (Wire.Malformed e) {
                        assertThat(e.getMessage()).matches("[a-z_0-9]+");
                    }
                }).doesNotThrowAnyException();
                // Only plain packets reach the protocol of the unkeyed simulated node.
                assertThatCode(() -> core.onPacket(sim.nodes.get(1).swim, packet)).doesNotThrowAnyException();
            }
            assertThat(core.running()).isTrue();
            assertThat(core.drops()).isNotEmpty();
        }
    }

    @Test
    void aStampDatesTheRecordAfterItAndUnknownExtensionsAreSkipped() throws Exception {
        Wire.Builder b = new Wire.Builder("n1", 0);
        b.add(Wire.stamped(Wire.encode(new Wire.Left("n5", 3)), 1_765_000_000_000L));
        // An extension a later build might add: type 0x9F, 3 bytes; this build must skip it.
        b.add(new byte[] {(byte) 0x9F, 3, 1, 2, 3});
        b.add(Wire.encode(new Wire.Ack(4)));
        Wire.Packet p = new Sealer(null).open(b.bytes());
        assertThat(p.records()).containsExactly(new Wire.Stamp(1_765_000_000_000L), new Wire.Left("n5", 3),
                new Wire.Ack(4));
        assertThat(Wire.stamped(Wire.encode(new Wire.Ack(4)), 0)).as("no stamp when the origin is unknown")
                .isEqualTo(Wire.encode(new Wire.Ack(4)));
    }

    @Test
    void stampsDoNotCountAgainstTheRecordLimit() throws Exception {
        Wire.Builder b = new Wire.Builder("n1", 0);
        for (int i = 0; i < Wire.MAX_RECORDS; i++) {
            assertThat(b.add(Wire.stamped(Wire.encode(new Wire.Ack(i)), 1_765_000_000_000L + i))).isTrue();
        }
        assertThat(new Sealer(null).open(b.bytes()).records()).hasSize(2 * Wire.MAX_RECORDS);
    }

    @Test
    void oversizedMetadataIsRefusedBeforeItReachesTheWire() {
        Map<String, String> big = Map.of("k", "x".repeat(Wire.MAX_META_BYTES));
        assertThatCode(() -> Wire.checkMetadata(big)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("768");
    }
}
