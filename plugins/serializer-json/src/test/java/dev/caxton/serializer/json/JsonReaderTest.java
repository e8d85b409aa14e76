package dev.caxton.serializer.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.SerializerLimits;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The rules of the hand-written {@link JsonReader}, one by one, with where each refusal points. */
class JsonReaderTest {

    private static final SerializerLimits LIMITS = SerializerLimits.DEFAULT;

    @Test
    @DisplayName("envelope keys are matched on their bytes, and a key spelled with an escape still names its field")
    void envelopeKeys() {
        Envelope e = envelope("{\"performativ\\u0065\":\"inform\",\"sender\":\"a\",\"content\":\"x\"}");
        assertThat(e.performative()).isEqualTo(Performative.INFORM);
        assertThat(e.sender()).isEqualTo("a");
        assertThat(e.content()).isEqualTo("x");
        for (String unknown : List.of("sende", "senderx", "Sender", "s\\u00e9nder")) {
            assertThatThrownBy(() -> envelope("{\"performative\":\"inform\",\"" + unknown + "\":1}"))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageStartingWith("field '").hasMessageContaining("unknown envelope field");
        }
        assertThatThrownBy(() -> envelope("{\"sender\":\"a\",\"sende\\u0072\":\"b\"}"))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("duplicate key 'sender'").hasMessageContaining("line 1, column 15");
    }

    @Test
    @DisplayName("an envelope is read only within its offset and length, and positions count from its offset")
    void envelopeWithinItsFrame() {
        byte[] framed = bytes("xx{\"performative\":\"agree\"}{garbage");
        assertThat(JsonReader.readEnvelope(LIMITS, framed, 2, 24, null).performative()).isEqualTo(Performative.AGREE);
        assertThatThrownBy(() -> JsonReader.readEnvelope(LIMITS, framed, 2, 23, null))
                .isInstanceOf(SerializationException.class).hasMessageContaining("unexpected end of input");
        byte[] bad = bytes("xx{\"performative\" 1}");
        assertThatThrownBy(() -> JsonReader.readEnvelope(LIMITS, bad, 2, bad.length - 2, null))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("expected ':' after a key").hasMessageContaining("line 1, column 17");
        byte[] bom = {'x', (byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'};
        assertThat(JsonReader.readEnvelope(LIMITS, bom, 1, 5, Performative.INFORM).performative()).isEqualTo(Performative.INFORM);
        byte[] utf16 = {'x', (byte) 0xFF, (byte) 0xFE, '{', 0};
        assertThatThrownBy(() -> JsonReader.readEnvelope(LIMITS, utf16, 1, 4, null))
                .isInstanceOf(SerializationException.class).hasMessageContaining("UTF-16 byte-order mark");
    }

    @Test
    @DisplayName("UTF-8 is decoded at every length boundary and validated strictly, naming the bad byte's column")
    void strictUtf8() {
        String all = "\u0080\u07FF\u0800\uFFFF\uD800\uDC00\uDBFF\uDFFF\u00e9\u4e16";
        assertThat(JsonReader.read(LIMITS, bytes("\"" + all + "\""))).isEqualTo(all);
        refusedRaw("invalid UTF-8", "column 2", '"', 0xC0, 0x80, '"');               // overlong 2-byte
        refusedRaw("invalid UTF-8", "column 2", '"', 0xC1, 0xBF, '"');
        refusedRaw("overlong", "column 3", '"', 0xE0, 0x80, 0x80, '"');              // overlong 3-byte
        refusedRaw("overlong", "column 3", '"', 0xF0, 0x80, 0x80, 0x80, '"');        // overlong 4-byte
        refusedRaw("encoded surrogate", "column 3", '"', 0xED, 0xA0, 0x80, '"');     // U+D800 as bytes
        refusedRaw("encoded surrogate", "column 3", '"', 0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80, '"'); // CESU-8 pair
        refusedRaw("beyond U+10FFFF", "column 3", '"', 0xF4, 0x90, 0x80, 0x80, '"');
        refusedRaw("cannot start", "column 2", '"', 0xF8, 0x80, 0x80, 0x80, '"');
        refusedRaw("cannot start", "column 3", '"', 'a', 0x80, '"');                 // a lone continuation byte
        refusedRaw("cannot follow", "column 3", '"', 0xE2, 0x28, 0xA1, '"');
        refusedRaw("cut off", "column 2", '"', 0xE2, 0x82);
        refusedRaw("byte 0xC3", "column 3", '[', '1', 0xC3, 0xA9, ']');               // non-ASCII outside a string
    }

    @Test
    @DisplayName("numbers: Long, BigInteger or Double as before, and at most 1,000 characters")
    void numbers() {
        assertThat(read("999999999999999999")).isEqualTo(999_999_999_999_999_999L);
        assertThat(read("1000000000000000000")).isEqualTo(1_000_000_000_000_000_000L);
        assertThat(read("-0")).isEqualTo(0L);
        assertThat(read("-0.0")).isEqualTo(-0.0d);
        assertThat(read("1e-400")).isEqualTo(0.0d);
        assertThat(read("1E+2")).isEqualTo(100.0d);
        assertThat(read("0e0")).isEqualTo(0.0d);
        assertThat(read("1".repeat(1000))).isEqualTo(new BigInteger("1".repeat(1000)));
        assertThat(read("-" + "1".repeat(1000))).isEqualTo(new BigInteger("-" + "1".repeat(1000)));
        assertThat(read("1." + "1".repeat(998))).isEqualTo(1.1111111111111112d);
        refused("[" + "1".repeat(1001) + "]").hasMessageContaining("a number of 1001 characters is longer than the limit of 1000")
                .hasMessageContaining("line 1, column 2");
        refused("1." + "1".repeat(1000)).hasMessageContaining("longer than the limit of 1000");
        // A megabyte of digits is refused by its length, before any BigInteger is built from it.
        SerializerLimits big = LIMITS.withMaxBytes(2 << 20);
        assertThatThrownBy(() -> JsonReader.read(big, bytes("1".repeat(1 << 20))))
                .isInstanceOf(SerializationException.class).hasMessageContaining("longer than the limit of 1000");
        refused("1e" + "9".repeat(900)).hasMessageContaining("too large for a 64-bit floating-point value");
        refused("[0, 01]").hasMessageContaining("leading zero").hasMessageContaining("column 5");
        refused("[-]").hasMessageContaining("no digits after its minus sign").hasMessageContaining("column 2");
        refused("[-x]").hasMessageContaining("no digits after its minus sign");
        refused("1.e5").hasMessageContaining("no digits after its decimal point");
        refused("1e").hasMessageContaining("no digits in its exponent");
        refused("1e+").hasMessageContaining("no digits in its exponent");
        refused("[1x]").hasMessageContaining("expected ',' or ']'").hasMessageContaining("column 3");
    }

    @Test
    @DisplayName("strings: every escape, escaped surrogate pairs, and lone halves refused wherever they stand")
    void strings() {
        assertThat(read("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u00E9\u007f\"")).isEqualTo("\"\\/\b\f\n\r\tA\u00e9\u00e9\u007f");
        assertThat(read("\"a\\ud83d\\ude00b\"")).isEqualTo("a\uD83D\uDE00b");
        refused("\"\\ud800\"").hasMessageContaining("string holds an unpaired surrogate \\uD800 at character 0");
        refused("\"ab\\ud800\\u0041\"").hasMessageContaining("unpaired surrogate \\uD800 at character 2");
        refused("\"\\udc00\"").hasMessageContaining("unpaired surrogate \\uDC00 at character 0");
        refused("\"\\ud83d\uD83D\uDE00\"").hasMessageContaining("unpaired surrogate \\uD83D at character 0");
        refused("\"\uD83D\uDE00\\ude00\"").hasMessageContaining("unpaired surrogate \\uDE00 at character 2");
        refused("\"\\ud83d\\ud83d\"").hasMessageContaining("unpaired surrogate \\uD83D at character 0");
        refused("{\"k\\udfff\":1}").hasMessageContaining("key holds an unpaired surrogate");
        refused("[\"\\u12G4\"]").hasMessageContaining("expected four hex digits").hasMessageContaining("column 3");
        refused("\"\\u12\"").isInstanceOf(SerializationException.class);
        refused("\"\\a\"").hasMessageContaining("invalid escape \\a");
        refused("[\"ab\u001f\"]").hasMessageContaining("control character U+001F").hasMessageContaining("column 5");
        refused("\"abc").hasMessageContaining("unexpected end of input inside a string").hasMessageContaining("column 1");
        refused("\"abc\\").hasMessageContaining("unexpected end of input inside a string");
    }

    @Test
    @DisplayName("structure errors say what was expected and where; CR, LF and CR LF each end a line")
    void structureErrors() {
        refused("[1 2]").hasMessageContaining("expected ',' or ']' after an array item").hasMessageContaining("column 4");
        refused("{\"a\":1 \"b\":2}").hasMessageContaining("expected ',' or '}' after an object member").hasMessageContaining("column 8");
        refused("[1}").hasMessageContaining("unexpected '}'").hasMessageContaining("column 3");
        refused("{\"a\":1]").hasMessageContaining("unexpected ']'");
        refused("{\"a\"}").hasMessageContaining("expected ':' after a key").hasMessageContaining("column 5");
        refused("{1:2}").hasMessageContaining("expected a key").hasMessageContaining("column 2");
        refused("[tru]").hasMessageContaining("not a valid true, false or null").hasMessageContaining("column 2");
        refused("[true1]").hasMessageContaining("expected ',' or ']'").hasMessageContaining("column 6");
        refused("nul").hasMessageContaining("column 1");
        refused("[1,").hasMessageContaining("unexpected end of input");
        refused("{\"a\":").hasMessageContaining("unexpected end of input");
        refused("").hasMessage("malformed JSON: the input holds no value (it is empty or only whitespace)");
        refused(" \n\t\r ").hasMessage("malformed JSON: the input holds no value (it is empty or only whitespace)");
        refused("[\u000b1]").hasMessageContaining("character U+000B").hasMessageContaining("column 2");
        refused("{}{}").hasMessageContaining("unexpected '{' after the end of the JSON value").hasMessageContaining("column 3");
        refused("[1,\r\n2,\r\n,3]").hasMessageContaining("line 3, column 1");
        refused("[1,\r2,\r,3]").hasMessageContaining("line 3, column 1");
        refused("[1,\n\n\n  x]").hasMessageContaining("line 4, column 3");
        refused("1 \u0000").hasMessageContaining("character U+0000").hasMessageContaining("column 3");
        byte[] bomThenSpace = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, ' ', '1'};
        assertThat(JsonReader.read(LIMITS, bomThenSpace)).isEqualTo(1L);
        byte[] spaceThenBom = {' ', (byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '1'};
        assertThatThrownBy(() -> JsonReader.read(LIMITS, spaceThenBom)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("byte 0xEF").hasMessageContaining("column 2");
    }

    @Test
    @DisplayName("nesting far deeper than the Java stack is read without recursion, and limits are kept with an unbounded depth")
    void deepNestingWithoutRecursion() {
        SerializerLimits unbounded = new SerializerLimits(1 << 22, Integer.MAX_VALUE, 3);
        int deep = 200_000;
        Object v = JsonReader.read(unbounded, bytes("[".repeat(deep) + "]".repeat(deep)));
        assertThat(v).isInstanceOf(List.class);
        assertThatThrownBy(() -> JsonReader.read(unbounded, bytes("[".repeat(deep))))
                .isInstanceOf(SerializationException.class).hasMessageContaining("unexpected end of input");
        assertThatThrownBy(() -> JsonReader.read(unbounded, bytes("{\"a\":".repeat(deep / 5) + "1")))
                .isInstanceOf(SerializationException.class).hasMessageContaining("unexpected end of input");
        assertThatThrownBy(() -> JsonReader.read(unbounded, bytes("[[[[1,2,3,[4]]]]]")))
                .isInstanceOf(SerializationException.class).hasMessageContaining("limit of 3 items (maxItems)")
                .hasMessageContaining("column 11");
    }

    @Test
    @DisplayName("depth is counted from the envelope: its content may nest one level less than maxDepth")
    void depthCountsTheEnvelope() {
        SerializerLimits two = new SerializerLimits(1000, 2, 10);
        byte[] nested = bytes("{\"performative\":\"inform\",\"content\":{\"a\":1}}");
        Map<?, ?> content = (Map<?, ?>) JsonReader.readEnvelope(two, nested, 0, nested.length, null).content();
        assertThat(content).isEqualTo(Map.of("a", 1L));
        byte[] deeper = bytes("{\"performative\":\"inform\",\"content\":{\"a\":[]}}");
        assertThatThrownBy(() -> JsonReader.readEnvelope(two, deeper, 0, deeper.length, null))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("limit of 2 levels (maxDepth)")
                .hasMessageContaining("column " + (new String(deeper, StandardCharsets.UTF_8).indexOf('[') + 1));
    }

    private static Envelope envelope(String text) {
        byte[] b = bytes(text);
        return JsonReader.readEnvelope(LIMITS, b, 0, b.length, null);
    }

    private static Object read(String text) {
        return JsonReader.read(LIMITS, bytes(text));
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> refused(String text) {
        return assertThatThrownBy(() -> read(text)).as("decoding %s", text).isInstanceOf(SerializationException.class);
    }

    private static void refusedRaw(String what, String where, int... input) {
        byte[] b = new byte[input.length];
        for (int i = 0; i < input.length; i++) {
            b[i] = (byte) input[i];
        }
        assertThatThrownBy(() -> JsonReader.read(LIMITS, b)).isInstanceOf(SerializationException.class)
                .hasMessageContaining(what).hasMessageContaining("line 1, " + where);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
