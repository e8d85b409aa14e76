package dev.caxton.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.runtime.plugin.Spi;
import dev.caxton.runtime.routing.EncodedSizeBound;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.message.Priority;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import dev.caxton.spi.serializer.SerializerProvider;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The size bound the node checks messages with before encoding them must never be below what a
 * codec actually produces, or an oversized message would slip through: checked against both
 * shipped codecs on random content built to be expensive to encode (control characters, non-ASCII,
 * extreme numbers, deep nesting), and for the values the bound must leave to the codec.
 */
class EncodedSizeBoundTest {

    @TempDir
    Path data;

    private List<Serializer> codecs() {
        PluginCatalog catalog = PluginCatalog.discover(null);
        List<Serializer> out = new ArrayList<>();
        for (String name : List.of("json", "msgpack")) {
            out.add(catalog.select(Spi.SERIALIZER, name, SerializerProvider.class)
                    .create(ProviderContext.of(ProviderConfig.empty(), data), new SerializerLimits(64 << 20, 64, 1_000_000)));
        }
        return out;
    }

    @Test
    void theBoundIsNeverBelowAnyCodecsEncoding() {
        Random random = new Random(42);
        List<Serializer> codecs = codecs();
        int bounded = 0;
        for (int i = 0; i < 2_000; i++) {
            Envelope e = Envelope.builder(Performative.values()[random.nextInt(Performative.values().length)])
                    .sender(text(random, 1 + random.nextInt(40))).receiver(text(random, 1 + random.nextInt(40)))
                    .conversationId(random.nextBoolean() ? text(random, 256) : null)
                    .replyWith(random.nextBoolean() ? text(random, 30) : null)
                    .inReplyTo(random.nextBoolean() ? text(random, 30) : null)
                    .language("json").ontology(random.nextBoolean() ? "o" : null).protocol("fipa-request")
                    .replyBy(random.nextBoolean() ? Long.MIN_VALUE : null).priority(Priority.values()[random.nextInt(4)])
                    .messageId(text(random, 1 + random.nextInt(256)))
                    .content(value(random, 0)).build();
            long bound = EncodedSizeBound.of(e);
            if (bound < 0) {
                continue;
            }
            bounded++;
            for (Serializer codec : codecs) {
                assertThat(bound).as("%s encoding of message %d", codec.name(), i).isGreaterThanOrEqualTo(codec.encode(e).length);
            }
        }
        assertThat(bounded).as("most random messages get a bound").isGreaterThan(1_500);
    }

    @Test
    void theWorstCasesStayWithinTheBound() {
        String controls = "\u0001".repeat(9_000);
        List<Object> numbers = new ArrayList<>();
        for (int i = 0; i < 4_000; i++) {
            numbers.add(i % 2 == 0 ? (Object) Long.MIN_VALUE : (Object) (-Double.MIN_NORMAL));
        }
        Map<String, Object> keys = new LinkedHashMap<>();
        for (int i = 0; i < 200; i++) {
            keys.put("\u001f".repeat(40) + i, "\u0002".repeat(40));
        }
        for (Object content : List.of(controls, numbers, keys, List.of(controls, keys))) {
            Envelope e = Envelope.builder(Performative.INFORM).receiver("\u0003".repeat(256))
                    .sender("\u0004".repeat(256)).messageId("\u0005".repeat(256)).content(content).build();
            long bound = EncodedSizeBound.of(e);
            for (Serializer codec : codecs()) {
                assertThat(bound).as("%s, content %s", codec.name(), content.getClass().getSimpleName())
                        .isGreaterThanOrEqualTo(codec.encode(e).length);
            }
        }
    }

    @Test
    void valuesOnlyTheCodecCanJudgeGetNoBound() {
        Map<String, Object> deep = new LinkedHashMap<>();
        Map<String, Object> inner = deep;
        for (int i = 0; i < 20; i++) {
            Map<String, Object> next = new LinkedHashMap<>();
            inner.put("k", next);
            inner = next;
        }
        List<Object> many = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            many.add((long) i);
        }
        for (Object content : List.of(Double.NaN, Double.POSITIVE_INFINITY, Float.NaN, "lone \uD800 surrogate",
                BigInteger.TEN.pow(40), Map.of(1L, "x"), deep, many, new Object())) {
            Envelope e = Envelope.builder(Performative.INFORM).receiver("r").content(content).build();
            assertThat(EncodedSizeBound.of(e)).as("content %s", content.getClass().getSimpleName())
                    .isEqualTo(EncodedSizeBound.UNKNOWN);
        }
        assertThat(EncodedSizeBound.of(Envelope.builder(Performative.INFORM).receiver("a\uDC00").build()))
                .isEqualTo(EncodedSizeBound.UNKNOWN);
    }

    @Test
    void everySurrogateIsFoundWhereverItStandsAndNoOtherCharacterIsTakenForOne() {
        // The scan has no branch per character: each character must still count on its own.
        for (int code = 0; code <= 0xFFFF; code++) {
            char c = (char) code;
            boolean surrogate = Character.isSurrogate(c);
            for (String text : List.of(String.valueOf(c), "abc" + c, c + "abcdefghijklmnopqrstuvwxyz0123456789")) {
                long bound = EncodedSizeBound.of(Envelope.builder(Performative.INFORM).receiver("r").content(text).build());
                assertThat(bound == EncodedSizeBound.UNKNOWN).as("U+%04X in \"%s\"", (int) c, text).isEqualTo(surrogate);
            }
        }
        String ascii = "x".repeat(200);
        for (int i = 0; i < ascii.length(); i++) {
            for (char c : new char[] {'\uD800', '\uDBFF', '\uDC00', '\uDFFF'}) {
                String text = ascii.substring(0, i) + c + ascii.substring(i + 1);
                assertThat(EncodedSizeBound.of(Envelope.builder(Performative.INFORM).receiver("r").content(text).build()))
                        .as("U+%04X at %d", (int) c, i).isEqualTo(EncodedSizeBound.UNKNOWN);
            }
        }
    }

    @Test
    void everyFixedWidthNumberGetsABoundThatHoldsForEveryCodec() {
        // Integer content used to send every message through the codec twice (once only to measure it).
        List<Object> numbers = List.of(1, Integer.MIN_VALUE, (short) -32768, (byte) -128, -Float.MIN_VALUE,
                -Float.MAX_VALUE, BigInteger.valueOf(Long.MIN_VALUE), Long.MIN_VALUE, -Double.MIN_VALUE);
        for (Object content : List.of(numbers, Map.of("n", 1), 7, 1.5f)) {
            Envelope e = Envelope.builder(Performative.INFORM).receiver("r").sender("s").messageId("m")
                    .content(content).build();
            long bound = EncodedSizeBound.of(e);
            assertThat(bound).as("content %s", content).isNotEqualTo(EncodedSizeBound.UNKNOWN);
            for (Serializer codec : codecs()) {
                assertThat(bound).as("%s, content %s", codec.name(), content).isGreaterThanOrEqualTo(codec.encode(e).length);
            }
        }
    }

    private static String text(Random random, int length) {
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            b.append(switch (random.nextInt(4)) {
                case 0 -> (char) random.nextInt(0x20);            // escaped in JSON with six bytes
                case 1 -> (char) (0x800 + random.nextInt(0xD000)); // three bytes in UTF-8
                case 2 -> '"';
                default -> (char) ('a' + random.nextInt(26));
            });
        }
        return b.toString();
    }

    private static Object value(Random random, int depth) {
        int kind = random.nextInt(depth > 6 ? 6 : 8);
        return switch (kind) {
            case 0 -> null;
            case 1 -> random.nextBoolean();
            case 2 -> random.nextBoolean() ? Long.MIN_VALUE : random.nextLong();
            case 3 -> random.nextBoolean() ? -Double.MIN_VALUE * 3 : -random.nextDouble() * 1e-300;
            case 4, 5 -> text(random, random.nextInt(64));
            case 6 -> {
                List<Object> list = new ArrayList<>();
                for (int i = random.nextInt(8); i > 0; i--) {
                    list.add(value(random, depth + 1));
                }
                yield list;
            }
            default -> {
                Map<String, Object> map = new LinkedHashMap<>();
                for (int i = random.nextInt(8); i > 0; i--) {
                    map.put(text(random, random.nextInt(12)), value(random, depth + 1));
                }
                yield map;
            }
        };
    }
}
