package dev.caxton.membership.fixed;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Feeds the packet decoder random bytes and mutations of valid packets. The seed is fixed, so a
 * failure reproduces; the decoder must never throw, never accept more metadata than the bound, and
 * never allocate much more than the packet it reads (a length field must not make it reserve memory).
 */
class PacketFuzzTest {

    private static final long SEED = 0xCA5E_2026_1206L;
    private static final int ITERATIONS = 100_000;
    /** Generous: a packet is at most ~1 KiB, its strings and map a few KiB more. */
    private static final long MAX_ALLOCATED_PER_DECODE = 64 * 1024;

    @Test
    void validPacketsRoundTrip() {
        Random random = new Random(SEED);
        for (int i = 0; i < 1000; i++) {
            Packet p = randomValid(random);
            Packet.Decoded d = Packet.decode(p.encode());
            assertThat(d.drop()).isNull();
            assertThat(d.packet()).isEqualTo(p);
        }
    }

    @Test
    void randomAndMutatedBytesNeverThrowNorExceedTheBounds() {
        Random random = new Random(SEED);
        AllocationMeter threads = AllocationMeter.create();
        long thread = Thread.currentThread().threadId();
        Map<Packet.Drop, Integer> drops = new EnumMap<>(Packet.Drop.class);
        int accepted = 0;
        long maxAllocated = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] bytes = switch (i % 4) {
                case 0 -> randomBytes(random);
                default -> mutate(random, randomValid(random));
            };
            ByteBuffer in = ByteBuffer.wrap(bytes);
            long before = threads == null ? 0 : threads.allocated(thread);
            Packet.Decoded d = Packet.decode(in);
            long allocated = threads == null ? 0 : threads.allocated(thread) - before;
            if (i > 1000) {     // the first calls also load and initialise classes
                maxAllocated = Math.max(maxAllocated, allocated);
            }
            assertThat((d.packet() == null) != (d.drop() == null)).as("iteration %d: a packet or a reason", i).isTrue();
            if (d.packet() != null) {
                accepted++;
                int size = Packet.metadataBytes(d.packet().metadata());
                assertThat(size).as("iteration %d", i).isBetween(0, Packet.MAX_METADATA_BYTES);
                assertThat(bytes.length).isLessThanOrEqualTo(Packet.MAX_BYTES);
            } else {
                drops.merge(d.drop(), 1, Integer::sum);
            }
        }
        System.out.printf("packet fuzz: %d iterations, %d accepted, drops %s, max allocated per decode %d bytes%n",
                ITERATIONS, accepted, drops, maxAllocated);
        assertThat(maxAllocated).as("bytes allocated by one decode").isLessThanOrEqualTo(MAX_ALLOCATED_PER_DECODE);
        assertThat(drops).as("the mutations reach every check of the decoder")
                .containsKeys(Packet.Drop.TRUNCATED, Packet.Drop.OVERSIZED, Packet.Drop.GARBAGE, Packet.Drop.WRONG_VERSION);
        assertThat(accepted).as("some mutations still decode (e.g. a changed value byte)").isPositive();
    }

    /**
     * The JDK's per-thread allocation counter, reached reflectively: the plugin's module does not read
     * jdk.management, and the tests run on the class path where the reflective call is allowed.
     */
    private record AllocationMeter(Object bean, Method method) {
        static AllocationMeter create() {
            try {
                Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
                Method m = Class.forName("com.sun.management.ThreadMXBean").getMethod("getThreadAllocatedBytes", long.class);
                return new AllocationMeter(bean, m);
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }

        long allocated(long thread) {
            try {
                return (long) method.invoke(bean, thread);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static Packet randomValid(Random random) {
        Map<String, String> metadata = new LinkedHashMap<>();
        int entries = random.nextInt(6);
        for (int i = 0; i < entries; i++) {
            metadata.put(text(random, 1 + random.nextInt(12)), text(random, random.nextInt(40)));
        }
        return new Packet(random.nextBoolean() ? Packet.Type.HEARTBEAT : Packet.Type.LEAVE,
                random.nextLong(Long.MAX_VALUE), random.nextLong(Long.MAX_VALUE), metadata);
    }

    private static String text(Random random, int length) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < length; i++) {
            b.append(random.nextInt(10) == 0 ? (char) ('\u00e0' + random.nextInt(20)) : (char) ('a' + random.nextInt(26)));
        }
        return b.toString();
    }

    private static byte[] randomBytes(Random random) {
        byte[] b = new byte[random.nextInt(random.nextInt(20) == 0 ? 4000 : 64)];
        random.nextBytes(b);
        if (b.length > 3 && random.nextBoolean()) {     // past the magic and version, into the body
            b[0] = (byte) 0xCA;
            b[1] = 0x5E;
            b[2] = 1;
        }
        return b;
    }

    private static byte[] mutate(Random random, Packet p) {
        ByteBuffer encoded = p.encode();
        byte[] b = new byte[encoded.remaining()];
        encoded.get(b);
        switch (random.nextInt(6)) {
            case 0 -> b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
            case 1 -> b = java.util.Arrays.copyOf(b, random.nextInt(b.length));
            case 2 -> {
                byte[] longer = java.util.Arrays.copyOf(b, b.length + 1 + random.nextInt(random.nextBoolean() ? 8 : 2000));
                b = longer;
            }
            case 3 -> {     // a length field (or any byte past the header) set to its largest value
                if (b.length > Packet.HEADER_BYTES) {
                    b[Packet.HEADER_BYTES + random.nextInt(b.length - Packet.HEADER_BYTES)] = (byte) 0xFF;
                } else {
                    b[Packet.HEADER_BYTES - 1] = (byte) 0xFF;
                }
            }
            case 4 -> b[2] = (byte) random.nextInt(256);
            default -> {
                for (int i = 0; i < 1 + random.nextInt(5); i++) {
                    b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                }
            }
        }
        return b;
    }
}
