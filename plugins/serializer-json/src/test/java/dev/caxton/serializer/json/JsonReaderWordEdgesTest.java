package dev.caxton.serializer.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.SerializerLimits;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The reader's strings with what ends plain text (a quote, an escape, a control character,
 * non-ASCII and invalid UTF-8) at every offset of strings of 0 to 40 bytes, so on every byte of
 * the eight-byte words it reads and across their ends: the same values, and the same messages at
 * the same columns, as the byte-by-byte reader gave.
 */
class JsonReaderWordEdgesTest {

    private static final SerializerLimits LIMITS = SerializerLimits.DEFAULT;

    /** Valid text that ends a plain run, as its JSON bytes and the string it stands for. */
    private static final List<Map.Entry<String, String>> VALID = List.of(
            Map.entry("\\n", "\n"), Map.entry("\\\"", "\""), Map.entry("\\\\", "\\"), Map.entry("\\/", "/"),
            Map.entry("\\u00e9", "\u00E9"), Map.entry("\\uD83D\\uDE00", "\uD83D\uDE00"), Map.entry("\u00E9", "\u00E9"),
            Map.entry("\u20AC", "\u20AC"), Map.entry("\uD83D\uDE00", "\uD83D\uDE00"), Map.entry("\u007F", "\u007F"),
            Map.entry(" ", " "), Map.entry("!", "!"), Map.entry("#", "#"), Map.entry("[", "["), Map.entry("]", "]"));

    @Test
    @DisplayName("plain strings of 0 to 40 bytes, and one escape or non-ASCII character at every offset, with plain text after")
    void validAtEveryOffset() {
        for (int length = 0; length <= 40; length++) {
            assertThat(JsonReader.read(LIMITS, utf8("\"" + "p".repeat(length) + "\""))).isEqualTo("p".repeat(length));
            for (int at = 0; at <= length; at++) {
                for (Map.Entry<String, String> edge : VALID) {
                    String a = "a".repeat(at);
                    String b = "b".repeat(length - at);
                    assertThat(JsonReader.read(LIMITS, utf8("\"" + a + edge.getKey() + b + "\"")))
                            .as("%s", a + edge.getKey() + b).isEqualTo(a + edge.getValue() + b);
                    // After an escape, the rest is read as runs between escapes: a second edge at every offset too.
                    assertThat(JsonReader.read(LIMITS, utf8("[\"" + a + "\\t" + b + edge.getKey() + "c\"]")))
                            .isEqualTo(List.of(a + "\t" + b + edge.getValue() + "c"));
                    // A key of an object, and an envelope's field that is not an envelope key.
                    assertThat(JsonReader.read(LIMITS, utf8("{\"" + a + edge.getKey() + b + "\":1}")))
                            .isEqualTo(Map.of(a + edge.getValue() + b, 1L));
                }
            }
        }
    }

    @Test
    @DisplayName("an envelope key spelled with an escape at any offset is still its field; an unknown one is named")
    void envelopeKeys() {
        String key = "conversation_id";
        for (int at = 0; at < key.length(); at++) {
            String spelled = key.substring(0, at) + "\\u00" + Integer.toHexString(key.charAt(at)) + key.substring(at + 1);
            Envelope e = envelope("{\"performative\":\"inform\",\"sender\":\"s\",\"" + spelled + "\":\"c\"}");
            assertThat(e.conversationId()).isEqualTo("c");
        }
        for (int length = 1; length <= 40; length++) {
            String unknown = "k".repeat(length);
            assertThatThrownBy(() -> envelope("{\"" + unknown + "\":1}")).isInstanceOf(SerializationException.class)
                    .hasMessageContaining("'" + unknown.substring(0, Math.min(length, 40)));
        }
    }

    @Test
    @DisplayName("control characters, invalid UTF-8 and bad escapes at every offset: the same message at the same column")
    void errorsAtEveryOffset() {
        for (int length = 0; length <= 40; length++) {
            for (int at = 0; at <= length; at++) {
                byte[] a = ascii("a".repeat(at));
                byte[] b = ascii("b".repeat(length - at));
                int column = at + 2; // the quote is column 1
                refused("control character U+0001 in a string must be escaped at line 1, column " + column, a, bytes(0x01), b);
                refused("control character U+001F in a string must be escaped at line 1, column " + column, a, bytes(0x1F), b);
                refused("invalid UTF-8: byte 0xFF cannot start a character at line 1, column " + column, a, bytes(0xFF), b);
                refused("invalid UTF-8: byte 0x80 cannot start a character at line 1, column " + column, a, bytes(0x80), b);
                refused("invalid UTF-8: byte 0x28 cannot follow 0xC3 at line 1, column " + (column + 1), a, bytes(0xC3, 0x28), b);
                refused("invalid UTF-8: byte 0xA0 cannot follow 0xED (an encoded surrogate) at line 1, column " + (column + 1),
                        a, bytes(0xED, 0xA0, 0x80), b);
                refused("invalid UTF-8: byte 0xC0 cannot start a character at line 1, column " + column, a, bytes(0xC0, 0x80), b);
                refused("invalid UTF-8: byte 0x8F cannot follow 0xF0 (an overlong form) at line 1, column " + (column + 1),
                        a, bytes(0xF0, 0x8F, 0xBF, 0xBF), b);
                refused("invalid escape \\x in a string at line 1, column " + column, a, ascii("\\x"), b);
                refused("string holds an unpaired surrogate \\uD800 at character " + at + ", which is not valid Unicode at line 1, column 1",
                        a, ascii("\\uD800"), b);
                // The same after an escape, where the reader has left its first plain run.
                refused("control character U+0001 in a string must be escaped at line 1, column " + (column + 2 + length - at),
                        ascii("\\n"), a, b, bytes(0x01));
                refused("invalid UTF-8: byte 0xFF cannot start a character at line 1, column " + (column + 2 + length - at),
                        ascii("\\n"), a, b, bytes(0xFF));
            }
        }
    }

    @Test
    @DisplayName("a string cut off at every length, also when the array goes on past the input with quotes and valid text")
    void endOfInputAtEveryLength() {
        for (int length = 0; length <= 40; length++) {
            for (String tail : new String[] {"", "\u00E9", "\\n"}) {
                byte[] doc = utf8("\"" + "a".repeat(length) + tail);
                assertThatThrownBy(() -> JsonReader.read(LIMITS, doc)).isInstanceOf(SerializationException.class)
                        .hasMessage("malformed JSON: unexpected end of input inside a string at line 1, column 1");
                // An envelope read from part of an array must not see the quote just past its end.
                byte[] inside = utf8("{\"sender\":\"" + "a".repeat(length) + tail);
                byte[] framed = concat(bytes(' '), inside, ascii("\"\"\"\"\"\"\"\"\"}"));
                assertThatThrownBy(() -> JsonReader.readEnvelope(LIMITS, framed, 1, inside.length, null))
                        .isInstanceOf(SerializationException.class)
                        .hasMessage("malformed JSON: unexpected end of input inside a string at line 1, column 11");
            }
            byte[] cut = concat(ascii("\"" + "a".repeat(length)), bytes(0xE2, 0x82));
            assertThatThrownBy(() -> JsonReader.read(LIMITS, cut)).isInstanceOf(SerializationException.class)
                    .hasMessage("malformed JSON: invalid UTF-8: a character is cut off by the end of the input at line 1, column "
                            + (length + 2));
        }
    }

    private static void refused(String message, byte[]... inner) {
        byte[] doc = concat(bytes('"'), concat(inner), bytes('"'));
        assertThatThrownBy(() -> JsonReader.read(LIMITS, doc)).as("%s", new String(doc, StandardCharsets.ISO_8859_1))
                .isInstanceOf(SerializationException.class).hasMessage("malformed JSON: " + message);
    }

    private static Envelope envelope(String text) {
        byte[] b = utf8(text);
        return JsonReader.readEnvelope(LIMITS, b, 0, b.length, null);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
