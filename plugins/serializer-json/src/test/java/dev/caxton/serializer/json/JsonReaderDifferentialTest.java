package dev.caxton.serializer.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonFactory;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.SerializerLimits;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The hand-written {@link JsonReader} against the Jackson-based reader it replaced
 * ({@link JacksonReferenceReader}): seeded random valid documents must decode to equal values, and
 * seeded mutations of them (bytes replaced, inserted, deleted, input cut short) must be accepted or
 * refused alike, and decode alike when accepted. The new reader must never throw anything but a
 * {@link SerializationException}.
 *
 * <p>Deliberate differences, which the mutation comparison excuses:
 * <ul>
 *   <li>Numbers near the {@value JsonReader#MAX_NUMBER_LENGTH}-character bound: the new reader counts
 *       every character but a minus sign and the decimal point; Jackson leaves out a leading
 *       {@code 0} of {@code 0.xxx} too, so it takes one more fraction digit there. The generator
 *       never writes numbers that long, so no mutation reaches the bound.</li>
 *   <li>Which error is reported when input breaks two rules at once (e.g. the maxItems bound is now
 *       checked before the next item is read, not after): only accept/refuse is compared, never the
 *       message.</li>
 * </ul>
 */
class JsonReaderDifferentialTest {

    /** Small bounds, so that mutations also cross the depth and item limits. */
    private static final SerializerLimits TIGHT = new SerializerLimits(1 << 16, 6, 7);
    private static final JsonFactory TIGHT_FACTORY = JacksonReferenceReader.factory(TIGHT);
    private static final SerializerLimits WIDE = SerializerLimits.DEFAULT;
    private static final JsonFactory WIDE_FACTORY = JacksonReferenceReader.factory(WIDE);

    @Test
    @DisplayName("seeded random valid documents decode to the same values as with Jackson")
    void validDocumentsDecodeAlike() {
        Random random = new Random(20261206L);
        for (int i = 0; i < 5_000; i++) {
            byte[] doc = utf8(new Generator(random).value(0));
            sameOutcome(doc, outcome(() -> JacksonReferenceReader.read(WIDE_FACTORY, WIDE, doc, false)),
                    outcome(() -> JsonReader.read(WIDE, doc)));
        }
    }

    @Test
    @DisplayName("seeded random valid envelopes decode to the same envelopes as with Jackson")
    void validEnvelopesDecodeAlike() {
        Random random = new Random(7L);
        for (int i = 0; i < 3_000; i++) {
            byte[] doc = utf8(new Generator(random).envelope());
            int pad = random.nextInt(3);
            byte[] framed = new byte[doc.length + 2 * pad];
            System.arraycopy(doc, 0, framed, pad, doc.length);
            sameOutcome(doc, outcome(() -> JacksonReferenceReader.readEnvelope(WIDE_FACTORY, WIDE, framed, pad, doc.length, null)),
                    outcome(() -> JsonReader.readEnvelope(WIDE, framed, pad, doc.length, null)));
        }
    }

    @Test
    @DisplayName("seeded mutations of valid documents are accepted or refused as with Jackson")
    void mutatedDocumentsAreJudgedAlike() {
        Random random = new Random(42L);
        int refused = 0;
        int total = 40_000;
        for (int i = 0; i < total; i++) {
            boolean envelope = random.nextInt(3) == 0;
            Generator g = new Generator(random);
            byte[] doc = mutate(random, utf8(envelope ? g.envelope() : g.value(0)));
            Outcome expected = outcome(() -> envelope
                    ? JacksonReferenceReader.readEnvelope(TIGHT_FACTORY, TIGHT, doc, 0, doc.length, null)
                    : JacksonReferenceReader.read(TIGHT_FACTORY, TIGHT, doc, false));
            Outcome actual = outcome(() -> envelope
                    ? JsonReader.readEnvelope(TIGHT, doc, 0, doc.length, null)
                    : JsonReader.read(TIGHT, doc));
            if (actual.other != null) {
                fail("not a SerializationException for " + hex(doc), actual.other);
            }
            if (expected.refused != actual.refused) {
                fail((envelope ? "envelope " : "value ") + hex(doc) + " (" + text(doc) + "): Jackson "
                        + expected + ", new reader " + actual);
            }
            if (!expected.refused) {
                assertThat(actual.value).as(text(doc)).isEqualTo(expected.value);
            } else {
                refused++;
            }
        }
        // A mutation test whose mutations never break anything would prove nothing.
        assertThat(refused).isBetween(total / 4, total - total / 20);
    }

    /**
     * Valid text may still break a rule of the value model (an exponent beyond a double's range),
     * so the outcomes are compared, and the document must have been accepted nearly always.
     */
    private void sameOutcome(byte[] doc, Outcome expected, Outcome actual) {
        assertThat(actual.other).as(text(doc)).isNull();
        assertThat(actual.refused).as("refused: " + text(doc) + " Jackson " + expected + ", new reader " + actual)
                .isEqualTo(expected.refused);
        assertThat(actual.value).as(text(doc)).isEqualTo(expected.value);
        if (!actual.refused) {
            accepted++;
        }
    }

    private int accepted;

    @org.junit.jupiter.api.AfterEach
    void mostValidDocumentsWereAccepted() {
        if (accepted > 0) {
            assertThat(accepted).isGreaterThan(2_500);
        }
    }

    private record Outcome(boolean refused, Object value, String message, Throwable other) {
        @Override
        public String toString() {
            return refused ? "refused (" + message + ")" : "accepted " + value;
        }
    }

    private static Outcome outcome(java.util.function.Supplier<Object> read) {
        try {
            return new Outcome(false, read.get(), null, null);
        } catch (SerializationException e) {
            return new Outcome(true, null, e.getMessage(), null);
        } catch (RuntimeException | Error e) {
            return new Outcome(true, null, e.toString(), e);
        }
    }

    /** Bytes that matter to JSON, so replaced and inserted bytes often land on something meaningful. */
    private static final byte[] INTERESTING = "{}[],:\"\\ \n\t0123456789-+.eEtrufalsn/ux".getBytes(StandardCharsets.US_ASCII);

    private static byte[] mutate(Random r, byte[] doc) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(doc);
        byte[] b = out.toByteArray();
        int edits = 1 + r.nextInt(3);
        for (int e = 0; e < edits && b.length > 0; e++) {
            int at = r.nextInt(b.length);
            byte value = r.nextInt(4) == 0 ? (byte) r.nextInt(256) : INTERESTING[r.nextInt(INTERESTING.length)];
            switch (r.nextInt(5)) {
                case 0 -> b[at] = value;
                case 1 -> b[at] = (byte) (b[at] ^ (1 << r.nextInt(8)));
                case 2 -> {
                    byte[] n = new byte[b.length + 1];
                    System.arraycopy(b, 0, n, 0, at);
                    n[at] = value;
                    System.arraycopy(b, at, n, at + 1, b.length - at);
                    b = n;
                }
                case 3 -> {
                    byte[] n = new byte[b.length - 1];
                    System.arraycopy(b, 0, n, 0, at);
                    System.arraycopy(b, at + 1, n, at, b.length - at - 1);
                    b = n;
                }
                default -> b = java.util.Arrays.copyOf(b, at);
            }
        }
        return b;
    }

    /** Writes random valid JSON text, with the spellings a writer may choose (escapes, whitespace, exponents). */
    private static final class Generator {
        private final Random r;
        private final StringBuilder s = new StringBuilder();

        Generator(Random r) {
            this.r = r;
        }

        String value(int depth) {
            ws();
            writeValue(depth);
            ws();
            return s.toString();
        }

        String envelope() {
            s.append('{');
            ws();
            s.append("\"performative\":");
            ws();
            s.append(r.nextBoolean() ? "\"inform\"" : "\"request\"");
            String[] keys = {EnvelopeFields.SENDER, EnvelopeFields.RECEIVER, EnvelopeFields.CONTENT,
                    EnvelopeFields.CONVERSATION_ID, EnvelopeFields.IN_REPLY_TO, EnvelopeFields.MESSAGE_ID,
                    EnvelopeFields.BROADCAST, EnvelopeFields.REPLY_BY, EnvelopeFields.LANGUAGE};
            for (String k : keys) {
                if (r.nextInt(3) == 0) {
                    continue;
                }
                s.append(',');
                ws();
                // Now and then a key spelled with an escape, which must still name the field.
                s.append('"').append(r.nextInt(8) == 0 ? "\\u" + String.format("%04x", (int) k.charAt(0)) + k.substring(1) : k).append('"');
                ws();
                s.append(':');
                ws();
                switch (k) {
                    case EnvelopeFields.CONTENT -> writeValue(1);
                    case EnvelopeFields.BROADCAST -> s.append(r.nextBoolean());
                    case EnvelopeFields.REPLY_BY -> s.append(r.nextLong() >>> 20);
                    default -> string(3 + r.nextInt(20));
                }
                ws();
            }
            s.append('}');
            ws();
            return s.toString();
        }

        private void writeValue(int depth) {
            int kind = r.nextInt(depth >= 4 ? 6 : 8);
            switch (kind) {
                case 0 -> s.append("null");
                case 1 -> s.append(r.nextBoolean());
                case 2 -> integer();
                case 3 -> decimal();
                case 4, 5 -> string(r.nextInt(12));
                case 6 -> {
                    s.append('[');
                    int n = r.nextInt(5);
                    for (int i = 0; i < n; i++) {
                        if (i > 0) {
                            s.append(',');
                        }
                        ws();
                        writeValue(depth + 1);
                        ws();
                    }
                    if (n == 0) {
                        ws();
                    }
                    s.append(']');
                }
                default -> {
                    s.append('{');
                    int n = r.nextInt(5);
                    for (int i = 0; i < n; i++) {
                        if (i > 0) {
                            s.append(',');
                        }
                        ws();
                        s.append("\"k").append(i);
                        if (r.nextInt(4) == 0) {
                            s.append("\\u00e9");
                        }
                        s.append('"');
                        ws();
                        s.append(':');
                        ws();
                        writeValue(depth + 1);
                        ws();
                    }
                    s.append('}');
                }
            }
        }

        private void integer() {
            switch (r.nextInt(5)) {
                case 0 -> s.append(r.nextInt(10));
                case 1 -> s.append(r.nextInt());
                case 2 -> s.append(r.nextLong());
                case 3 -> s.append(r.nextBoolean() ? Long.MIN_VALUE : Long.MAX_VALUE);
                default -> {
                    if (r.nextBoolean()) {
                        s.append('-');
                    }
                    s.append(1 + r.nextInt(9));
                    for (int i = 0, n = 15 + r.nextInt(30); i < n; i++) {
                        s.append(r.nextInt(10));
                    }
                }
            }
        }

        private void decimal() {
            if (r.nextBoolean()) {
                s.append('-');
            }
            s.append(r.nextInt(4) == 0 ? 0 : r.nextInt(100_000));
            if (r.nextBoolean()) {
                s.append('.');
                for (int i = 0, n = 1 + r.nextInt(20); i < n; i++) {
                    s.append(r.nextInt(10));
                }
            }
            if (r.nextInt(3) > 0) {
                s.append(r.nextBoolean() ? 'e' : 'E');
                int sign = r.nextInt(3);
                s.append(sign == 0 ? "" : sign == 1 ? "+" : "-");
                s.append(r.nextInt(r.nextInt(8) == 0 ? 400 : 30));
            } else if (s.charAt(s.length() - 1) != '.' && s.lastIndexOf(".") < 0) {
                s.append(".5");
            }
        }

        private void string(int length) {
            s.append('"');
            for (int i = 0; i < length; i++) {
                switch (r.nextInt(12)) {
                    case 0 -> s.append("\\n\\t\\\"\\\\\\/\\b\\f\\r".substring(2 * r.nextInt(8)).substring(0, 2));
                    case 1 -> s.append(String.format("\\u%04X", r.nextInt(0xD800)));
                    case 2 -> s.append("\\ud83d\\ude00");
                    case 3 -> s.append("\u00e9\u4e16\uD83D\uDE00\u07FF\uFFFD\u0800".charAt(r.nextInt(6)));
                    case 4 -> s.append("\uD83D\uDE00");
                    case 5 -> s.append('\u007f');
                    default -> s.append((char) (' ' + r.nextInt(95) == '"' || ' ' + r.nextInt(95) == '\\' ? 'q' : 'a' + r.nextInt(26)));
                }
            }
            s.append('"');
        }

        private void ws() {
            if (r.nextInt(4) == 0) {
                s.append(" \n\t\r  ".substring(0, 1 + r.nextInt(5)));
            }
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
