package dev.caxton.serializer.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.message.Priority;
import dev.caxton.spi.serializer.EncodeBuffer;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The writer against Jackson's UTF-8 generator, configured as this plugin configured it when it
 * wrote through Jackson: the same bytes for every value of the value model and every envelope, from
 * a seeded generator (the seed is in the failure message), and the same error messages.
 */
class JsonWriterDifferentialTest {

    private static final JsonFactory JACKSON = new JsonFactoryBuilder()
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .build();

    private static final List<Double> DOUBLES = List.of(0.0, -0.0, 1.0, -1.0, 0.1, 1.5, Double.MIN_VALUE, -Double.MIN_VALUE,
            Double.MIN_NORMAL, Double.MAX_VALUE, -Double.MAX_VALUE, 1e300, 1e-300, 1.0E-7, 1.0E-3, 0.001, 1.0E7, 9999999.0,
            10000000.0, 123456789012.0, 2e22, 1e23, 4.35, 100.0, 5e-324, Math.PI, -Math.E, (double) Long.MAX_VALUE);

    private final Serializer json = new JsonSerializerProvider()
            .create(ProviderContext.of(ProviderConfig.empty(), Path.of(".")), SerializerLimits.DEFAULT);

    @Test
    @DisplayName("random values of the whole model: the same bytes as Jackson's generator")
    void randomValuesMatchJackson() {
        for (long seed = 1; seed <= 3000; seed++) {
            Object value = new Values(new Random(seed)).value(0);
            assertThat(json.encodeValue(value)).as("seed %d", seed).isEqualTo(jackson(value));
        }
    }

    @Test
    @DisplayName("random envelopes, into a fresh and into a reused buffer: the same bytes as Jackson writing their map form")
    void randomEnvelopesMatchJackson() {
        EncodeBuffer reused = new EncodeBuffer(16);
        for (long seed = 1; seed <= 1000; seed++) {
            Envelope e = new Values(new Random(seed)).envelope();
            byte[] expected = jackson(EnvelopeFields.toMap(e));
            assertThat(json.encode(e)).as("seed %d", seed).isEqualTo(expected);
            reused.reset();
            json.encode(e, reused);
            assertThat(Arrays.copyOf(reused.array(), reused.length())).as("seed %d, reused", seed).isEqualTo(expected);
        }
    }

    @Test
    @DisplayName("edge cases: every ASCII and control character, pieces of long strings, number extremes, floats")
    void edgeCasesMatchJackson() {
        List<Object> cases = new ArrayList<>();
        StringBuilder ascii = new StringBuilder();
        for (char c = 0; c < 0x100; c++) {
            ascii.append(c);
            cases.add(String.valueOf(c));
        }
        cases.add(ascii.toString());
        for (char c : new char[] {0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0xfffe, 0xffff, 0x2028, 0x2029}) {
            cases.add(String.valueOf(c));
        }
        cases.add("\uD800\uDC00\uDBFF\uDFFF\uD83D\uDE00");
        // A pair, an escape and a two-byte character on every position around the 512-character pieces.
        for (int pad = 500; pad < 530; pad++) {
            String a = "a".repeat(pad);
            cases.add(a + "\uD83D\uDE00" + a + "\uD83D\uDE00");
            cases.add(a + "\u0001\"\\é€");
        }
        cases.add("\u0000".repeat(5000));
        cases.add("\uD83D\uDE00".repeat(3000));
        cases.add("\u6771".repeat(2000));
        cases.addAll(List.of(Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE + 1, 0L, -1L, 9L, 10L, -10L, 99L, 100L,
                1_000_000_000_000_000_000L, -999_999_999_999_999_999L));
        cases.addAll(List.of(Integer.MIN_VALUE, Integer.MAX_VALUE, Short.MIN_VALUE, Short.MAX_VALUE, Byte.MIN_VALUE, Byte.MAX_VALUE));
        cases.addAll(List.of(BigInteger.ZERO, BigInteger.TWO.pow(64), BigInteger.TWO.pow(200).negate(), BigInteger.ONE.negate()));
        cases.addAll(DOUBLES);
        cases.addAll(List.of(0.1f, -0.0f, Float.MIN_VALUE, Float.MAX_VALUE, 1.0E-7f, 3.4028235E38f, 16777217f));
        cases.addAll(Arrays.asList(null, true, false, List.of(), Map.of(), List.of(List.of(List.of())), Map.of("", Map.of())));
        for (Object value : cases) {
            assertThat(json.encodeValue(value)).as("%s", value).isEqualTo(jackson(value));
            assertThat(json.encodeValue(Map.of(value instanceof String s ? s : "k", List.of(value == null ? "" : value))))
                    .as("inside %s", value).isEqualTo(jackson(Map.of(value instanceof String s ? s : "k",
                            List.of(value == null ? "" : value))));
        }
    }

    /**
     * Characters that end a run of plain ASCII, and wide characters whose low byte alone would pass
     * for plain ASCII or for an escape (U+0141 for 'A', U+0122 for a quote, U+015C for a backslash,
     * U+010A for a line feed): the trap of any faster path that copies a string's low bytes in bulk.
     * A question mark, alone and beside a wide character: a Latin-1 copy of a string holds one in
     * place of each wide character, so the writer's bulk path must tell the two apart.
     */
    private static final String[] WORD_EDGES = {"\"", "\\", "\n", "\u0001", "\u001F", " ", "/", "\u007F", "\u0080", "\u00E9", "\u00FF",
        "\u0141", "\u0122", "\u015C", "\u010A", "\u20AC", "\uD83D\uDE00", "?", "?\u0141", "\u0141?", "\u013F", "\u00E9\u20AC?",
        "\u003F\u003F"};

    @Test
    @DisplayName("strings of 0 to 72 characters (the writer copies those of 32 or more in bulk) with an escape, a control, a non-ASCII or a wide character at every offset:"
            + " the same bytes as Jackson's generator, into fresh buffers and into small reused ones that grow")
    void wordEdgesMatchJackson() {
        for (int length = 0; length <= 72; length++) {
            same("p".repeat(length), length);
            for (int at = 0; at < length; at++) {
                for (String edge : WORD_EDGES) {
                    same("a".repeat(at) + edge + "b".repeat(length - at - 1), length);
                    // A second edge after an escape and a plain run of any length, on every offset too.
                    same("a".repeat(at) + "\n" + "c".repeat(length - at) + edge + "d", length);
                }
            }
        }
    }

    private void same(String s, int capacity) {
        assertThat(json.encodeValue(s)).as("%s", s).isEqualTo(jackson(s));
        Envelope e = Envelope.builder(Performative.INFORM).sender("s").content(s).build();
        byte[] expected = jackson(EnvelopeFields.toMap(e));
        // The buffer's start capacity moves where it has to grow, and so whether a word read meets its end.
        EncodeBuffer small = new EncodeBuffer(1 + capacity % 24);
        json.encode(e, small);
        assertThat(Arrays.copyOf(small.array(), small.length())).as("%s in a small buffer", s).isEqualTo(expected);
    }

    @Test
    @DisplayName("an unpaired surrogate at every offset of strings of 1 to 72 characters, ASCII or wide before it:"
            + " refused with its index, as before")
    void unpairedSurrogateAtEveryOffset() {
        for (int length = 1; length <= 72; length++) {
            for (int at = 0; at < length; at++) {
                for (String before : new String[] {"a", "\u0141", "?", "\u00E9"}) {
                    for (char half : new char[] {'\uD800', '\uDFFF'}) {
                        refused(before.repeat(at) + half + "b".repeat(length - at - 1), "cannot encode the string at the top level: "
                                + "unpaired surrogate \\u" + Integer.toHexString(half).toUpperCase() + " at character " + at
                                + " is not valid Unicode and has no UTF-8 form");
                    }
                }
            }
        }
    }

    @Test
    @DisplayName("errors keep their messages: type and path, NaN and infinity, unpaired surrogates with their index, keys, depth")
    void errorsKeepTheirMessages() {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("ok", List.of("a", 1L));
        content.put("items", List.of(1L, 2L, new StringBuilder("x")));
        refused(Envelope.builder(Performative.INFORM).sender("s").content(content).build(), "cannot encode a value of type "
                + "java.lang.StringBuilder at content.items[2]: the value model allows null, Boolean, Long (Integer, Short, Byte), "
                + "BigInteger, Double (Float), String, List and Map with String keys");
        refused(List.of(1L, Map.of("x", List.of(Double.NaN))), "cannot encode NaN at [1].x[0]: JSON has no NaN or infinity, "
                + "only finite numbers");
        refused(Float.NEGATIVE_INFINITY, "cannot encode -Infinity at the top level: JSON has no NaN or infinity, only finite numbers");
        refused(Map.of("k", List.of("ok", "ab\uDC00")), "cannot encode the string at k[1]: unpaired surrogate \\uDC00 at character 2"
                + " is not valid Unicode and has no UTF-8 form");
        refused(List.of("x".repeat(700) + "\uD800"), "cannot encode the string at [0]: unpaired surrogate \\uD800 at character 700"
                + " is not valid Unicode and has no UTF-8 form");
        refused("\uD83D\uDE00\uD83D", "cannot encode the string at the top level: unpaired surrogate \\uD83D at character 2"
                + " is not valid Unicode and has no UTF-8 form");
        refused(Map.of("a", Map.of("b\uDBFFc", 1L)), "cannot encode the map key at a.b\uDBFFc: unpaired surrogate \\uDBFF at "
                + "character 1 is not valid Unicode and has no UTF-8 form");
        Map<Object, Object> badKey = new HashMap<>();
        badKey.put(7L, 1L);
        refused(Map.of("m", badKey), "cannot encode a map key of type java.lang.Long at m: map keys must be strings");
        badKey.clear();
        badKey.put(null, 1L);
        refused(List.of(badKey), "cannot encode a map key of type null at [0]: map keys must be strings");
        List<Object> self = new ArrayList<>();
        self.add(self);
        refused(self, "cannot encode the value at [0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
                + "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
                + "[0][0][0][0]: it nests deeper than the limit of " + SerializerLimits.DEFAULT.maxDepth() + " levels (maxDepth);"
                + " a list or map that contains itself never ends");
    }

    @Test
    @DisplayName("in an envelope, the envelope counts as the first level of depth and its field starts the path")
    void envelopeIsTheFirstLevel() {
        Serializer strict = new JsonSerializerProvider().create(ProviderContext.of(ProviderConfig.empty(), Path.of(".")),
                new SerializerLimits(1 << 20, 3, 1000));
        Envelope twoDeep = Envelope.builder(Performative.INFORM).content(List.of(Map.of("a", 1L))).build();
        assertThat(strict.encode(twoDeep)).isEqualTo(jackson(EnvelopeFields.toMap(twoDeep)));
        assertThatThrownBy(() -> strict.encode(Envelope.builder(Performative.INFORM).sender("s")
                .content(List.of(List.of(List.of()))).build()))
                .isInstanceOf(SerializationException.class)
                .hasMessage("cannot encode the value at content[0][0]: it nests deeper than the limit of 3 levels (maxDepth);"
                        + " a list or map that contains itself never ends");
        assertThatThrownBy(() -> strict.encodeValue(List.of(List.of(List.of(List.of())))))
                .isInstanceOf(SerializationException.class)
                .hasMessage("cannot encode the value at [0][0][0]: it nests deeper than the limit of 3 levels (maxDepth);"
                        + " a list or map that contains itself never ends");
        assertThatThrownBy(() -> json.encode(Envelope.builder(Performative.INFORM).sender("s")
                .conversationId("c\uDFFF").build()))
                .isInstanceOf(SerializationException.class)
                .hasMessage("cannot encode the string at conversation_id: unpaired surrogate \\uDFFF at character 1"
                        + " is not valid Unicode and has no UTF-8 form");
    }

    private void refused(Object value, String message) {
        Object thing = value;
        assertThatThrownBy(() -> {
            if (thing instanceof Envelope e) {
                json.encode(e);
            } else {
                json.encodeValue(thing);
            }
        }).isInstanceOf(SerializationException.class).hasMessage(message);
    }

    private static byte[] jackson(Object value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator g = JACKSON.createGenerator(bytes, JsonEncoding.UTF8)) {
            write(g, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void write(JsonGenerator g, Object v) throws IOException {
        switch (v) {
            case null -> g.writeNull();
            case String s -> g.writeString(s);
            case Boolean b -> g.writeBoolean(b);
            case Long n -> g.writeNumber(n);
            case Integer n -> g.writeNumber(n.longValue());
            case Short n -> g.writeNumber(n.longValue());
            case Byte n -> g.writeNumber(n.longValue());
            case BigInteger n -> g.writeNumber(n);
            case Double n -> g.writeNumber(n);
            case Float n -> g.writeNumber(n.doubleValue());
            case List<?> list -> {
                g.writeStartArray();
                for (Object item : list) {
                    write(g, item);
                }
                g.writeEndArray();
            }
            case Map<?, ?> map -> {
                g.writeStartObject();
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    g.writeFieldName((String) entry.getKey());
                    write(g, entry.getValue());
                }
                g.writeEndObject();
            }
            default -> throw new IllegalArgumentException(v.getClass().getName());
        }
    }

    /** Random values of the model, nested a few levels, and envelopes holding them. */
    private record Values(Random random) {

        Object value(int depth) {
            int kind = random.nextInt(depth < 4 ? 14 : 11);
            return switch (kind) {
                case 0 -> null;
                case 1 -> random.nextBoolean();
                case 2 -> random.nextInt(4) == 0 ? (random.nextBoolean() ? Long.MIN_VALUE : Long.MAX_VALUE)
                        : random.nextLong() >> random.nextInt(64);
                case 3 -> random.nextInt() >> random.nextInt(32);
                case 4 -> random.nextBoolean() ? (short) random.nextInt() : (byte) random.nextInt();
                case 5 -> new BigInteger(64 + random.nextInt(200), random).multiply(BigInteger.valueOf(random.nextBoolean() ? 1 : -1));
                case 6 -> aDouble();
                case 7 -> {
                    float f = Float.intBitsToFloat(random.nextInt());
                    yield Float.isFinite(f) ? f : 1.25f;
                }
                case 8, 9, 10 -> text(random.nextInt(8) == 0 ? 600 + random.nextInt(600) : random.nextInt(24));
                case 11 -> {
                    List<Object> list = new ArrayList<>();
                    for (int i = random.nextInt(6); i > 0; i--) {
                        list.add(value(depth + 1));
                    }
                    yield list;
                }
                default -> {
                    Map<String, Object> map = new LinkedHashMap<>();
                    for (int i = random.nextInt(6); i > 0; i--) {
                        map.put(text(random.nextInt(10)), value(depth + 1));
                    }
                    yield map;
                }
            };
        }

        private double aDouble() {
            return switch (random.nextInt(4)) {
                case 0 -> DOUBLES.get(random.nextInt(DOUBLES.size()));
                case 1 -> random.nextDouble() * Math.pow(10, random.nextInt(40) - 20);
                case 2 -> (double) (random.nextLong() >> random.nextInt(64));
                default -> {
                    double d = Double.longBitsToDouble(random.nextLong());
                    yield Double.isFinite(d) ? d : -0.0;
                }
            };
        }

        /** Valid Unicode of every kind the writer treats apart: ASCII and its escapes, two and three bytes, pairs. */
        String text(int length) {
            StringBuilder sb = new StringBuilder(length);
            while (sb.length() < length) {
                switch (random.nextInt(6)) {
                    case 0 -> sb.append((char) random.nextInt(0x20));
                    case 1 -> sb.append("\"\\/\u007f".charAt(random.nextInt(4)));
                    case 2 -> sb.append((char) (0x80 + random.nextInt(0x780)));
                    case 3 -> {
                        char c = (char) (0x800 + random.nextInt(0x10000 - 0x800));
                        sb.append(Character.isSurrogate(c) ? '\u20ac' : c);
                    }
                    case 4 -> sb.appendCodePoint(0x10000 + random.nextInt(0x100000));
                    default -> sb.append((char) (0x20 + random.nextInt(0x60)));
                }
            }
            return sb.toString();
        }

        Envelope envelope() {
            Performative[] all = Performative.values();
            Envelope.Builder b = Envelope.builder(all[random.nextInt(all.length)]);
            if (random.nextBoolean()) {
                b.sender(text(random.nextInt(20)));
            }
            if (random.nextBoolean()) {
                b.receiver(text(random.nextInt(20)));
            }
            if (random.nextInt(4) == 0) {
                b.capability(text(8));
            }
            if (random.nextInt(4) == 0) {
                b.broadcast(random.nextBoolean());
            }
            if (random.nextInt(5) != 0) {
                b.content(value(0));
            }
            if (random.nextBoolean()) {
                b.conversationId(text(12)).replyWith(text(6)).inReplyTo(text(6));
            }
            if (random.nextInt(3) == 0) {
                b.language(text(4)).ontology(text(5)).protocol(text(6));
            }
            if (random.nextInt(3) == 0) {
                b.replyBy(random.nextLong());
            }
            if (random.nextInt(3) == 0) {
                Priority[] priorities = Priority.values();
                b.priority(priorities[random.nextInt(priorities.length)]);
            }
            if (random.nextBoolean()) {
                b.messageId(text(36));
            }
            b.hops(random.nextInt(3) == 0 ? Integer.MAX_VALUE : random.nextInt(20));
            if (random.nextInt(4) == 0) {
                b.traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
            }
            return b.build();
        }
    }
}
