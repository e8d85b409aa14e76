package dev.caxton.serializer.msgpack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.SerializerLimits;
import java.io.IOException;
import java.math.BigInteger;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePacker;

/**
 * The hand-written {@link MsgpackReader} against the msgpack-core-based reader it replaced
 * ({@link MsgpackCoreReferenceReader}), with msgpack-core's packer writing the inputs: seeded
 * random valid values and envelopes must decode to equal results, and tens of thousands of seeded
 * mutations of them (bytes replaced, inserted, deleted, input cut short, length headers rewritten)
 * must be accepted or refused alike, accepted ones decoding equal and refused ones with the same
 * message (the offsets included). The new reader must never throw anything but a
 * {@link SerializationException}.
 *
 * <p>Deliberate differences: none found. The messages are compared word for word, so a difference
 * introduced later has to be listed here with its reason and excused in {@link #compare}.
 */
class MsgpackReaderDifferentialTest {

    /** Small bounds, so that mutations also cross the depth and item limits. */
    private static final SerializerLimits TIGHT = new SerializerLimits(1 << 16, 5, 7);
    private static final SerializerLimits WIDE = SerializerLimits.DEFAULT;

    @Test
    @DisplayName("seeded random valid values decode to the same values as with the msgpack-core reader")
    void validValuesDecodeAlike() {
        Random random = new Random(20261207L);
        int accepted = 0;
        for (int i = 0; i < 10_000; i++) {
            byte[] doc = new Generator(random, false).value(0);
            Outcome expected = outcome(() -> MsgpackCoreReferenceReader.read(WIDE, doc, false));
            compare("value", doc, expected, outcome(() -> MsgpackReader.read(WIDE, doc, false)));
            accepted += expected.refused ? 0 : 1;
        }
        // Valid input, so nearly all accepted: the generator's rare refused forms keep the rest honest.
        assertThat(accepted).isGreaterThan(8_000);
    }

    @Test
    @DisplayName("seeded random valid envelopes, framed in larger arrays, decode to the same envelopes")
    void validEnvelopesDecodeAlike() {
        Random random = new Random(8L);
        int accepted = 0;
        for (int i = 0; i < 10_000; i++) {
            byte[] doc = new Generator(random, false).envelope();
            int pad = random.nextInt(4);
            byte[] framed = new byte[doc.length + 2 * pad];
            random.nextBytes(framed);
            System.arraycopy(doc, 0, framed, pad, doc.length);
            Outcome expected = outcome(() -> MsgpackCoreReferenceReader.readEnvelope(WIDE, framed, pad, doc.length, null));
            compare("envelope", doc, expected,
                    outcome(() -> MsgpackReader.readEnvelope(WIDE, framed, pad, doc.length, null)));
            accepted += expected.refused ? 0 : 1;
        }
        assertThat(accepted).isGreaterThan(6_000);
    }

    @Test
    @DisplayName("seeded mutations of values and envelopes are accepted or refused alike, with the same messages")
    void mutationsAreJudgedAlike() {
        Random random = new Random(42L);
        int refused = 0;
        int total = 60_000;
        for (int i = 0; i < total; i++) {
            boolean envelope = random.nextInt(3) == 0;
            Generator g = new Generator(random, true);
            byte[] doc = mutate(random, envelope ? g.envelope() : g.value(0));
            // Sometimes a maxBytes just below or at the input's size.
            SerializerLimits limits = random.nextInt(20) == 0
                    ? new SerializerLimits(Math.max(1, doc.length - random.nextInt(2)), TIGHT.maxDepth(), TIGHT.maxItems())
                    : TIGHT;
            int pad = random.nextInt(3);
            byte[] framed = new byte[doc.length + pad + random.nextInt(3)];
            random.nextBytes(framed);
            System.arraycopy(doc, 0, framed, pad, doc.length);
            boolean wantMap = random.nextBoolean();
            Outcome expected = outcome(() -> envelope
                    ? MsgpackCoreReferenceReader.readEnvelope(limits, framed, pad, doc.length, null)
                    : MsgpackCoreReferenceReader.read(limits, doc, wantMap));
            Outcome actual = outcome(() -> envelope
                    ? MsgpackReader.readEnvelope(limits, framed, pad, doc.length, null)
                    : MsgpackReader.read(limits, doc, wantMap));
            compare(envelope ? "envelope" : "value", doc, expected, actual);
            refused += expected.refused ? 1 : 0;
        }
        // A mutation test whose mutations never break anything would prove nothing, and one that
        // breaks everything would never compare decoded values.
        assertThat(refused).isBetween(total / 4, total - total / 50);
    }

    private static void compare(String what, byte[] doc, Outcome expected, Outcome actual) {
        if (actual.other != null) {
            fail("not a SerializationException for " + what + " " + hex(doc), actual.other);
        }
        if (expected.other != null) {
            fail("the reference threw " + expected.other + " for " + what + " " + hex(doc), expected.other);
        }
        if (expected.refused != actual.refused || !Objects.equals(expected.message, actual.message)) {
            fail(what + " " + hex(doc) + ": reference " + expected + ", new reader " + actual);
        }
        assertThat(actual.value).as(what + " " + hex(doc)).isEqualTo(expected.value);
        if (actual.value != null) {
            assertThat(actual.value.getClass()).isEqualTo(expected.value.getClass());
        }
    }

    // ---- mutations --------------------------------------------------------------------------

    static byte[] mutate(Random r, byte[] doc) {
        int n = 1 + r.nextInt(3);
        for (int k = 0; k < n; k++) {
            if (doc.length == 0) {
                return doc;
            }
            int at = r.nextInt(doc.length);
            doc = switch (r.nextInt(6)) {
                case 0 -> { // replace a byte, often with one that starts a value
                    byte[] d = doc.clone();
                    d[at] = (byte) (r.nextBoolean() ? r.nextInt(256) : INTERESTING[r.nextInt(INTERESTING.length)]);
                    yield d;
                }
                case 1 -> { // insert a byte
                    byte[] d = new byte[doc.length + 1];
                    System.arraycopy(doc, 0, d, 0, at);
                    d[at] = (byte) (r.nextBoolean() ? r.nextInt(256) : INTERESTING[r.nextInt(INTERESTING.length)]);
                    System.arraycopy(doc, at, d, at + 1, doc.length - at);
                    yield d;
                }
                case 2 -> { // delete a byte
                    byte[] d = new byte[doc.length - 1];
                    System.arraycopy(doc, 0, d, 0, at);
                    System.arraycopy(doc, at + 1, d, at, doc.length - at - 1);
                    yield d;
                }
                case 3 -> java.util.Arrays.copyOf(doc, at); // cut short
                case 4 -> java.util.Arrays.copyOf(doc, doc.length + 1 + r.nextInt(3)); // trailing bytes
                default -> tamperLength(r, doc);
            };
        }
        return doc;
    }

    /** Bytes that start values with headers worth breaking: every length form, float, ext, bin, 0xc1. */
    private static final int[] INTERESTING = {0xc0, 0xc1, 0xc2, 0xc4, 0xc7, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
        0xd0, 0xd3, 0xd4, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xff, 0x7f};

    /** Rewrites the count of a string, array or map header found in the input (its first or a random one). */
    private static byte[] tamperLength(Random r, byte[] doc) {
        byte[] d = doc.clone();
        int start = r.nextInt(d.length);
        for (int k = 0; k < d.length; k++) {
            int i = (start + k) % d.length;
            int t = d[i] & 0xff;
            if (t >= 0x80 && t <= 0x8f || t >= 0x90 && t <= 0x9f) {
                d[i] = (byte) ((t & 0xf0) | r.nextInt(16));
                return d;
            }
            if (t >= 0xa0 && t <= 0xbf) {
                d[i] = (byte) (0xa0 | r.nextInt(32));
                return d;
            }
            int width = switch (t) {
                case 0xd9 -> 1;
                case 0xda, 0xdc, 0xde -> 2;
                case 0xdb, 0xdd, 0xdf -> 4;
                default -> 0;
            };
            if (width > 0 && i + width < d.length) {
                long v = switch (r.nextInt(4)) {
                    case 0 -> -1L; // all ones: beyond 2^31 - 1 for the 32-bit forms
                    case 1 -> 0x7fffffffL;
                    case 2 -> 0x80000000L;
                    default -> r.nextInt(40);
                };
                for (int b = 0; b < width; b++) {
                    d[i + 1 + b] = (byte) (v >>> (8 * (width - 1 - b)));
                }
                return d;
            }
        }
        return d;
    }

    // ---- generation (msgpack-core's packer writes the bytes) ---------------------------------

    /** Random values as msgpack-core packs them, with the odd wider-than-needed header and refused form. */
    static final class Generator {
        private final Random r;
        /** Whether to write forms the readers refuse (bin, ext, non-finite floats, bad UTF-8, non-string keys). */
        private final boolean wild;
        private final MessageBufferPacker p = MessagePack.newDefaultBufferPacker();

        Generator(Random r, boolean wild) {
            this.r = r;
            this.wild = wild;
        }

        byte[] value(int depth) {
            try {
                writeValue(depth);
                return p.toByteArray();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        byte[] envelope() {
            try {
                List<String> names = EnvelopeFields.ALL;
                // Mostly distinct fields with a performative, so most envelopes are valid; now and
                // then a repeated, unknown or non-string key, or a missing performative.
                List<Integer> slots = new java.util.ArrayList<>(java.util.stream.IntStream.range(1, names.size()).boxed().toList());
                java.util.Collections.shuffle(slots, r);
                int n = r.nextInt(8);
                List<Integer> picked = new java.util.ArrayList<>(slots.subList(0, n));
                if (r.nextInt(15) != 0) {
                    picked.add(r.nextInt(picked.size() + 1), 0);
                }
                if (r.nextInt(15) == 0 && !picked.isEmpty()) {
                    picked.add(picked.get(r.nextInt(picked.size()))); // a duplicate
                }
                if (r.nextInt(15) == 0) {
                    picked.add(-1); // an unknown key
                }
                if (wild && r.nextInt(15) == 0) {
                    picked.add(-2); // a key that is no string
                }
                // Now and then a count that disagrees with the entries that follow.
                p.packMapHeader(wild && r.nextInt(10) == 0 ? Math.max(0, picked.size() + r.nextInt(3) - 1) : picked.size());
                for (int slot : picked) {
                    if (slot == -1) {
                        writeString(r.nextBoolean() ? "not_a_field" : "préformatif");
                    } else if (slot == -2) {
                        p.packInt(r.nextInt(5));
                    } else {
                        writeString(names.get(slot));
                    }
                    fieldValue(Math.max(slot, 0));
                }
                return p.toByteArray();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        /** A value that usually fits the field, sometimes not (so the field rules are compared too). */
        private void fieldValue(int slot) throws IOException {
            if (r.nextInt(25) == 0) {
                writeValue(1);
                return;
            }
            switch (slot) {
                case 0 -> writeString(r.nextBoolean() ? "request" : r.nextBoolean() ? "inform" : r.nextInt(10) == 0 ? "query_whether" : "query-if");
                case 4 -> p.packBoolean(r.nextBoolean());
                case 5 -> writeValue(1);
                case 12 -> p.packLong(1_700_000_000_000L + r.nextInt(1000));
                case 13 -> writeString(r.nextBoolean() ? "normal" : "high");
                case 15 -> p.packInt(r.nextInt(20));
                case 16 -> writeString(r.nextInt(10) != 0 ? "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" : "x");
                default -> writeString(text());
            }
        }

        private void writeValue(int depth) throws IOException {
            int kind = r.nextInt(depth >= 6 ? 9 : 12);
            switch (kind) {
                case 0 -> p.packNil();
                case 1 -> p.packBoolean(r.nextBoolean());
                case 2 -> p.packLong(switch (r.nextInt(6)) {
                    case 0 -> r.nextInt(128);
                    case 1 -> -r.nextInt(33);
                    case 2 -> r.nextInt(70_000) - 35_000;
                    case 3 -> r.nextLong();
                    case 4 -> r.nextBoolean() ? Long.MAX_VALUE : Long.MIN_VALUE;
                    default -> r.nextInt();
                });
                case 3 -> p.packBigInteger(BigInteger.valueOf(r.nextLong()).abs().setBit(63)); // uint64 beyond Long
                case 4 -> {
                    // Non-minimal integer forms, as other packers may write them.
                    int form = 0xcc + r.nextInt(8);
                    int width = 1 << (form - 0xcc & 3);
                    p.writePayload(new byte[] {(byte) form});
                    byte[] b = new byte[width];
                    r.nextBytes(b);
                    p.writePayload(b);
                }
                case 5 -> {
                    if (r.nextBoolean()) {
                        p.packFloat(wild && r.nextInt(10) == 0 ? Float.NaN : r.nextFloat() * 1000 - 500);
                    } else {
                        p.packDouble(wild && r.nextInt(10) == 0 ? Double.NEGATIVE_INFINITY : r.nextGaussian() * 1e6);
                    }
                }
                case 6, 7 -> writeString(text());
                case 8 -> {
                    if (wild && r.nextBoolean()) {
                        if (r.nextBoolean()) {
                            p.packBinaryHeader(2).writePayload(new byte[] {1, 2});
                        } else {
                            p.packExtensionTypeHeader((byte) 1, 1).writePayload(new byte[] {7});
                        }
                    } else if (wild) {
                        // Invalid UTF-8: a lone continuation byte, an overlong form, or a cut sequence.
                        byte[][] bad = {{(byte) 0x80}, {(byte) 0xc0, (byte) 0xaf}, {'a', (byte) 0xe2, (byte) 0x82}};
                        byte[] b = bad[r.nextInt(bad.length)];
                        p.packRawStringHeader(b.length).writePayload(b);
                    } else {
                        writeString("\uFFFD genuine replacement char");
                    }
                }
                case 9 -> {
                    int n = r.nextInt(10);
                    p.packArrayHeader(n);
                    for (int i = 0; i < n; i++) {
                        writeValue(depth + 1);
                    }
                }
                default -> {
                    int n = r.nextInt(10);
                    p.packMapHeader(n);
                    for (int i = 0; i < n; i++) {
                        if (wild && r.nextInt(30) == 0) {
                            p.packInt(i);
                        } else {
                            // Few distinct keys, so duplicates happen.
                            writeString(r.nextInt(4) == 0 ? "k" + r.nextInt(3) : text());
                        }
                        writeValue(depth + 1);
                    }
                }
            }
        }

        private void writeString(String s) throws IOException {
            byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            switch (r.nextInt(12)) {
                // Wider headers than needed, as other packers may write them.
                case 0 -> p.writePayload(new byte[] {(byte) 0xd9, (byte) b.length});
                case 1 -> p.writePayload(new byte[] {(byte) 0xda, (byte) (b.length >>> 8), (byte) b.length});
                case 2 -> p.writePayload(new byte[] {(byte) 0xdb, 0, 0, (byte) (b.length >>> 8), (byte) b.length});
                default -> p.packRawStringHeader(b.length);
            }
            p.writePayload(b);
        }

        private String text() {
            String[] parts = {"a", "sender", "ä", "東京", "\uD83D\uDE00", " ", "conversation_id", "x", "é", "\u0000"};
            StringBuilder b = new StringBuilder();
            int n = r.nextInt(r.nextInt(10) == 0 ? 60 : 6);
            for (int i = 0; i < n; i++) {
                b.append(parts[r.nextInt(r.nextInt(3) == 0 ? parts.length : 3)]);
            }
            return b.toString();
        }
    }

    // ---- outcomes --------------------------------------------------------------------------

    private static final class Outcome {
        boolean refused;
        String message;
        Object value;
        Throwable other;

        @Override
        public String toString() {
            return other != null ? "threw " + other : refused ? "refused: " + message : "accepted: " + value;
        }
    }

    private static Outcome outcome(Supplier<Object> read) {
        Outcome o = new Outcome();
        try {
            o.value = read.get();
        } catch (SerializationException e) {
            o.refused = true;
            o.message = e.getMessage();
        } catch (RuntimeException | StackOverflowError e) {
            o.other = e;
        }
        return o;
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
