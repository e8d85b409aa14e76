package dev.caxton.serializer.msgpack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import dev.caxton.spi.serializer.SerializerProvider;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What the MessagePack serializer does beyond the conformance suite: the exact bytes it writes (as
 * the MessagePack specification lays them out), what it accepts from other writers, and its errors.
 */
class MsgpackSerializerTest {

    private final Serializer msgpack = new MsgpackSerializerProvider()
            .create(ProviderContext.of(ProviderConfig.empty(), Path.of(".")), SerializerLimits.DEFAULT);

    @Test
    @DisplayName("the provider is found by ServiceLoader under the name msgpack, with no options")
    void providerIsRegistered() {
        assertThat(ServiceLoader.load(SerializerProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("msgpack")).findFirst())
                .get().isInstanceOf(MsgpackSerializerProvider.class)
                .satisfies(p -> assertThat(p.options()).isEmpty());
        assertThat(msgpack.mediaType()).isEqualTo("application/msgpack");
    }

    @Test
    @DisplayName("a small envelope is a fixmap of fixstr keys and values, in EnvelopeFields order")
    void smallEnvelopeBytes() {
        Envelope e = Envelope.builder(Performative.INFORM).replyBy(300L).sender("a").build();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(0x83);                                   // fixmap, 3 entries
        fixstr(expected, "performative");
        fixstr(expected, "inform");
        fixstr(expected, "sender");
        fixstr(expected, "a");
        fixstr(expected, "reply_by");
        expected.writeBytes(new byte[] {(byte) 0xcd, 0x01, 0x2c}); // uint16 300
        assertThat(msgpack.encode(e)).isEqualTo(expected.toByteArray());
        assertThat(msgpack.decode(expected.toByteArray())).isEqualTo(e);
    }

    @Test
    @DisplayName("integers take the smallest form, BigIntegers up to 2^64 - 1 a uint64, doubles always float64")
    void scalarBytes() {
        assertThat(msgpack.encodeValue(0L)).containsExactly(0x00);
        assertThat(msgpack.encodeValue(127L)).containsExactly(0x7f);
        assertThat(msgpack.encodeValue(-1L)).containsExactly(0xff);
        assertThat(msgpack.encodeValue(-32L)).containsExactly(0xe0);
        assertThat(msgpack.encodeValue(-33L)).containsExactly(0xd0, 0xdf);
        assertThat(msgpack.encodeValue(255L)).containsExactly(0xcc, 0xff);
        assertThat(msgpack.encodeValue(65536L)).containsExactly(0xce, 0x00, 0x01, 0x00, 0x00);
        assertThat(msgpack.encodeValue(Long.MIN_VALUE)).containsExactly(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0);
        assertThat(msgpack.encodeValue(BigInteger.valueOf(5))).containsExactly(0x05);
        assertThat(msgpack.encodeValue(BigInteger.TWO.pow(64).subtract(BigInteger.ONE)))
                .containsExactly(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
        assertThat(msgpack.encodeValue(1.5d)).containsExactly(0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0);
        assertThat(msgpack.encodeValue(1.5f)).containsExactly(0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0);
        assertThat(msgpack.encodeValue(null)).containsExactly(0xc0);
        assertThat(msgpack.encodeValue(true)).containsExactly(0xc3);
        assertThat(msgpack.encodeValue(List.of())).containsExactly(0x90);
        assertThat(msgpack.encodeValue(Map.of())).containsExactly(0x80);
        assertThat(msgpack.encodeValue("x".repeat(32))[0]).isEqualTo((byte) 0xd9);
    }

    @Test
    @DisplayName("strings at every header boundary, ASCII or not to the last character, get the header of their UTF-8 length")
    void stringHeadersAtTheBoundaries() {
        for (int n : new int[] {1, 31, 32, 33, 255, 256, 257, 65535, 65536, 65537}) {
            String ascii = "a".repeat(n);
            // The non-ASCII character last: the writer has copied every other character before it
            // learns the text is not ASCII, and its UTF-8 form is one byte longer than the text,
            // so at 31, 255 and 65535 the header needs one size more than the characters suggested.
            String wide = "a".repeat(n - 1) + "é";
            for (String text : List.of(ascii, wide)) {
                byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
                ByteArrayOutputStream expected = new ByteArrayOutputStream();
                expected.write(0x92);
                strHeader(expected, utf8.length);
                expected.writeBytes(utf8);
                fixstr(expected, "z");
                byte[] encoded = msgpack.encodeValue(List.of(text, "z"));
                assertThat(encoded).as("%d characters, %s", n, text == ascii ? "ASCII" : "not ASCII")
                        .isEqualTo(expected.toByteArray());
                assertThat(msgpack.decodeValue(encoded)).isEqualTo(List.of(text, "z"));
            }
        }
    }

    /**
     * Characters a bulk copy of a string's low bytes gets wrong or must stop at: a question mark
     * (the Latin-1 copy's stand-in for a wide character), Latin-1 above ASCII, wide characters
     * (U+013F's low byte is a question mark), a surrogate pair, and controls.
     */
    private static final String[] EDGES = {"?", "\u00E9", "\u0080", "\u00FF", "\u007F", "\u0000", "\n", "\u0141", "\u013F",
        "\u20AC", "\uD83D\uDE00", "?\u0141", "\u0141?", "??"};

    @Test
    @DisplayName("strings of 0 to 72 characters with a question mark, an accent, a wide character or a pair at every offset:"
            + " the header of their UTF-8 length and their UTF-8, both ways")
    void edgeCharactersAtEveryOffset() {
        for (int length = 0; length <= 72; length++) {
            sameAsUtf8("p".repeat(length));
            for (int at = 0; at < length; at++) {
                for (String edge : EDGES) {
                    sameAsUtf8("a".repeat(at) + edge + "b".repeat(length - at - 1));
                }
            }
        }
    }

    private void sameAsUtf8(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        strHeader(expected, utf8.length);
        expected.writeBytes(utf8);
        byte[] encoded = msgpack.encodeValue(text);
        if (!java.util.Arrays.equals(encoded, expected.toByteArray())) {
            assertThat(encoded).as("%s", text).isEqualTo(expected.toByteArray());
        }
        assertThat(msgpack.decodeValue(encoded)).isEqualTo(text);
    }

    @Test
    @DisplayName("an unpaired surrogate at every offset of strings of 1 to 72 characters, after ASCII, a question mark or an"
            + " accent: refused with its index")
    void unpairedSurrogateAtEveryOffset() {
        for (int length = 1; length <= 72; length++) {
            for (int at = 0; at < length; at++) {
                for (String before : new String[] {"a", "?", "\u00E9"}) {
                    String text = before.repeat(at) + '\uD800' + "b".repeat(length - at - 1);
                    assertThatThrownBy(() -> msgpack.encodeValue(text)).isInstanceOf(SerializationException.class)
                            .hasMessageContaining("unpaired surrogate \\uD800 at character " + at + " ");
                }
            }
        }
    }

    private static void strHeader(ByteArrayOutputStream out, int n) {
        if (n < 32) {
            out.write(0xa0 | n);
        } else if (n < 0x100) {
            out.write(0xd9);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0xda);
            out.write(n >>> 8);
            out.write(n);
        } else {
            out.write(0xdb);
            out.write(n >>> 24);
            out.write(n >>> 16);
            out.write(n >>> 8);
            out.write(n);
        }
    }

    @Test
    @DisplayName("other writers' forms decode: float32 widens to Double, uint64 beyond long is BigInteger, oversized headers")
    void otherWritersFormsDecode() {
        assertThat(msgpack.decodeValue(bytes(0xca, 0x3f, 0xc0, 0x00, 0x00))).isEqualTo(1.5d);
        assertThat(msgpack.decodeValue(bytes(0xcf, 0, 0, 0, 0, 0, 0, 0, 7))).isEqualTo(7L);
        assertThat(msgpack.decodeValue(bytes(0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0))).isEqualTo(BigInteger.TWO.pow(63));
        assertThat(msgpack.decodeValue(bytes(0xd3, 0, 0, 0, 0, 0, 0, 0, 1))).isEqualTo(1L);
        assertThat(msgpack.decodeValue(bytes(0xd9, 0x01, 'a'))).isEqualTo("a");
        assertThat(msgpack.decodeValue(bytes(0xdc, 0x00, 0x01, 0xc2))).isEqualTo(List.of(false));
        assertThat(msgpack.decodeValue(bytes(0xdf, 0, 0, 0, 1, 0xa1, 'k', 0xc0)))
                .isEqualTo(java.util.Collections.singletonMap("k", null));
    }

    @Test
    @DisplayName("BigIntegers outside MessagePack's range cannot be encoded")
    void bigIntegersOutOfRange() {
        assertThatThrownBy(() -> msgpack.encodeValue(BigInteger.TWO.pow(64)))
                .isInstanceOf(SerializationException.class).hasMessageContaining("2^64 - 1");
        assertThatThrownBy(() -> msgpack.encodeValue(List.of(BigInteger.valueOf(Long.MIN_VALUE).subtract(BigInteger.ONE))))
                .isInstanceOf(SerializationException.class).hasMessageContaining("-2^63").hasMessageContaining("[0]");
    }

    @Test
    @DisplayName("a header that declares more than the input holds fails at once, naming its offset")
    void lyingHeadersNameTheirOffset() {
        refused(0x92, 0x01, 0xdb, 0x7f, 0xff, 0xff, 0xff, 'a')
                .hasMessageContaining("offset 2").hasMessageContaining("2147483647 bytes").hasMessageContaining("only 1 remain");
        refused(0x91, 0xdd, 0x00, 0x01, 0x00, 0x00, 0xc0)
                .hasMessageContaining("array at offset 1").hasMessageContaining("65536 elements");
        refused(0xde, 0x00, 0x03, 0xa1, 'a', 0xc0)
                .hasMessageContaining("map at offset 0").hasMessageContaining("3 entries");
        refused(0xdd, 0x80, 0x00, 0x00, 0x00).hasMessageContaining("offset 0");
    }

    @Test
    @DisplayName("maxItems is checked against the header, before any element is read")
    void itemLimitIsCheckedAtTheHeader() {
        Serializer strict = new MsgpackSerializerProvider()
                .create(ProviderContext.of(ProviderConfig.empty(), Path.of(".")), new SerializerLimits(1000, 2, 3));
        assertThatThrownBy(() -> strict.decodeValue(bytes(0x94, 1, 2, 3, 4)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("array at offset 0 declares 4 elements").hasMessageContaining("limit of 3 items (maxItems)");
        assertThatThrownBy(() -> strict.decodeValue(bytes(0x91, 0x91, 0x91, 0xc0)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("array at offset 2").hasMessageContaining("limit of 2 levels (maxDepth)");
    }

    @Test
    @DisplayName("truncated input names the offset of the value that runs past the end")
    void truncationNamesTheOffset() {
        refused(0x92, 0x01, 0xcd, 0x01).hasMessageContaining("truncated").hasMessageContaining("offset 2");
        refused(0x81, 0xa1, 'k').hasMessageContaining("truncated").hasMessageContaining("offset 3");
        refused(0x92, 0x01).hasMessageContaining("array at offset 0 declares 2 elements").hasMessageContaining("only 1 remain");
    }

    @Test
    @DisplayName("strings must be valid UTF-8: malformed, overlong and surrogate encodings are refused with their offset")
    void stringsMustBeValidUtf8() {
        refused(0x91, 0xa2, 0xc3, 0x28).hasMessageContaining("malformed UTF-8").hasMessageContaining("offset 1")
                .hasMessageContaining("offset 2");
        refused(0xa2, 0xc0, 0xaf).hasMessageContaining("malformed UTF-8");               // overlong '/'
        refused(0xa3, 0xed, 0xa0, 0x80).hasMessageContaining("malformed UTF-8");         // encoded surrogate
        refused(0xa4, 0xf4, 0x90, 0x80, 0x80).hasMessageContaining("malformed UTF-8");   // beyond U+10FFFF
        refused(0xa1, 0xe2).hasMessageContaining("malformed UTF-8");                     // cut-off sequence
        refused(0x81, 0xa1, 0xff, 0xc0).hasMessageContaining("map key");
        assertThat(msgpack.decodeValue(bytes(0xa3, 0xef, 0xbf, 0xbd))).isEqualTo("\uFFFD");
        assertThat(msgpack.decodeValue(bytes(0xa4, 0xf0, 0x9f, 0x98, 0x80))).isEqualTo("\uD83D\uDE00");
    }

    @Test
    @DisplayName("bin and ext values are refused: they have no JSON equivalent")
    void binAndExtAreRefused() {
        refused(0xc4, 0x01, 0x00).hasMessageContaining("binary").hasMessageContaining("offset 0");
        refused(0x91, 0xc5, 0x00, 0x01, 0x00).hasMessageContaining("binary").hasMessageContaining("offset 1");
        refused(0xd4, 0x01, 0x00).hasMessageContaining("extension");
        refused(0xd6, 0xff, 0, 0, 0, 0).hasMessageContaining("extension");              // a timestamp
        refused(0xc7, 0x00, 0x05).hasMessageContaining("extension");
    }

    @Test
    @DisplayName("map keys must be strings and unique")
    void mapKeysMustBeUniqueStrings() {
        refused(0x81, 0x01, 0xc0).hasMessageContaining("map key at offset 1 is an integer");
        refused(0x81, 0x90, 0xc0).hasMessageContaining("map key at offset 1 is an array");
        refused(0x82, 0xa1, 'a', 0x01, 0xa1, 'a', 0x02).hasMessageContaining("duplicate key 'a' at offset 4");
    }

    @Test
    @DisplayName("trailing bytes, the unused byte 0xc1 and non-finite floats are refused with their offset")
    void otherMalformedInput() {
        refused(0x01, 0x02, 0x03).hasMessageContaining("2 unexpected bytes").hasMessageContaining("offset 1");
        refused(0x93, 0x01, 0x02, 0xc1).hasMessageContaining("0xc1").hasMessageContaining("offset 3");
        refused(0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0).hasMessageContaining("NaN");
        refused(0xca, 0x7f, 0x80, 0x00, 0x00).hasMessageContaining("Infinity");
    }

    @Test
    @DisplayName("an envelope that is not a map is refused at its first byte; envelope rules keep their message")
    void envelopeErrors() {
        assertThatThrownBy(() -> msgpack.decode(bytes(0x91, 0x81)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("expected a map (the envelope) at offset 0, got an array");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("performative", "inform");
        m.put("reply_by", "soon");
        assertThatThrownBy(() -> msgpack.decode(msgpack.encodeValue(m)))
                .isInstanceOf(SerializationException.class)
                .hasMessage("field 'reply_by': expected an integer (ms since the epoch), got a string");
    }

    @Test
    @DisplayName("input over maxBytes is refused before it is read")
    void sizeLimit() {
        Serializer strict = new MsgpackSerializerProvider()
                .create(ProviderContext.of(ProviderConfig.empty(), Path.of(".")), new SerializerLimits(4, 8, 8));
        assertThatThrownBy(() -> strict.decodeValue(bytes(0x95, 1, 2, 3, 4, 5)))
                .isInstanceOf(SerializationException.class)
                .hasMessage("input of 6 bytes exceeds the limit of 4 bytes (maxBytes)");
    }

    @Test
    @DisplayName("decoded lists and maps cannot be modified")
    void decodedContainersAreUnmodifiable() {
        Map<String, Object> map = cast(msgpack.decodeValue(bytes(0x82, 0xa1, 'a', 0x92, 1, 2, 0xa1, 'b', 0x80)));
        List<Object> list = cast(map.get("a"));
        assertThat(list).containsExactly(1L, 2L);
        assertThatThrownBy(() -> map.put("c", 1L)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> list.add(3L)).isInstanceOf(UnsupportedOperationException.class);
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object o) {
        return (T) o;
    }

    private static void fixstr(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(0xa0 | b.length);
        out.writeBytes(b);
    }

    private AbstractThrowableAssert<?, ? extends Throwable> refused(int... input) {
        return assertThatThrownBy(() -> msgpack.decodeValue(bytes(input)))
                .isInstanceOf(SerializationException.class);
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    @Test
    @DisplayName("encoding errors name the type and the path inside the envelope, and depth counts the envelope as a level")
    void encodingErrorsNameTypeAndPath() {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("items", List.of(1L, 2L, new StringBuilder("x")));
        assertThatThrownBy(() -> msgpack.encode(Envelope.builder(Performative.INFORM).content(content).build()))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("java.lang.StringBuilder").hasMessageContaining("at content.items[2]:");
        assertThatThrownBy(() -> msgpack.encode(Envelope.builder(Performative.INFORM).content(Double.NaN).build()))
                .isInstanceOf(SerializationException.class).hasMessageContaining("NaN at content:");
        assertThatThrownBy(() -> msgpack.encodeValue(List.of(Double.NaN)))
                .isInstanceOf(SerializationException.class).hasMessageContaining("NaN at [0]:");
        assertThatThrownBy(() -> msgpack.encodeValue(Double.NaN))
                .isInstanceOf(SerializationException.class).hasMessageContaining("NaN at the top level:");
        // A list that holds itself never ends: the depth limit stops it, the envelope counting as
        // the first of the limit's levels.
        List<Object> loop = new java.util.ArrayList<>();
        loop.add(loop);
        int limit = SerializerLimits.DEFAULT.maxDepth();
        assertThatThrownBy(() -> msgpack.encode(Envelope.builder(Performative.INFORM).content(loop).build()))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("limit of " + limit + " levels (maxDepth)")
                .hasMessageContaining("at content" + "[0]".repeat(limit - 1) + ":");
        assertThatThrownBy(() -> msgpack.encodeValue(loop))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("at " + "[0]".repeat(limit) + ":");
    }
}
