package dev.caxton.serializer.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.message.Priority;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import dev.caxton.spi.serializer.SerializerProvider;
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

/** What the JSON serializer does beyond the conformance suite: its exact output and its error messages. */
class JsonSerializerTest {

    private final Serializer json = new JsonSerializerProvider()
            .create(ProviderContext.of(ProviderConfig.empty(), Path.of(".")), SerializerLimits.DEFAULT);

    @Test
    @DisplayName("plain text that no JSON value can start with is turned away before a parse, and only that")
    void mayStartValueTurnsAwayPlainTextOnly() {
        for (String text : List.of("hello", "Hello, world", "<xml/>", "  plain", "#", "'single'", "+1", ".5", "\u00e9t\u00e9")) {
            byte[] b = text.getBytes(StandardCharsets.UTF_8);
            assertThat(json.mayStartValue(b, 0, b.length)).as(text).isFalse();
            assertThatThrownBy(() -> json.decodeValue(b)).as(text).isInstanceOf(SerializationException.class);
        }
        for (String text : List.of("{}", " [1]", "\"s\"", "-1", "7", "true", "false", "null", "\ufeff{}", "", "  \n")) {
            byte[] b = text.getBytes(StandardCharsets.UTF_8);
            assertThat(json.mayStartValue(b, 0, b.length)).as(text).isTrue();
        }
        // Only the slice is judged: a value after the slice's start does not make plain text a value.
        byte[] framed = "{}hello".getBytes(StandardCharsets.UTF_8);
        assertThat(json.mayStartValue(framed, 2, 5)).isFalse();
        assertThat(json.mayStartValue(framed, 0, 2)).isTrue();
    }

    @Test
    @DisplayName("the provider is found by ServiceLoader under the name json, with no options")
    void providerIsRegistered() {
        assertThat(ServiceLoader.load(SerializerProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("json")).findFirst())
                .get().isInstanceOf(JsonSerializerProvider.class)
                .satisfies(p -> assertThat(p.options()).isEmpty());
        assertThat(json.mediaType()).isEqualTo("application/json");
    }

    @Test
    @DisplayName("an envelope is written as compact JSON with its keys in EnvelopeFields.ALL order")
    void envelopeOutputIsCompactAndOrdered() {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("n", 3L);
        content.put("x", 1.5d);
        content.put("l", List.of(true, "s"));
        Envelope e = Envelope.builder(Performative.QUERY_REF).messageId("m").priority(Priority.LOW)
                .replyBy(17L).inReplyTo("i").replyWith("w").conversationId("c").protocol("p").ontology("o")
                .language("l").content(content).broadcast(false).capability("cap").receiver("r").sender("s")
                .hops(4).traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").build();
        String text = new String(json.encode(e), StandardCharsets.UTF_8);
        assertThat(text).isEqualTo("{\"performative\":\"query-ref\",\"sender\":\"s\",\"receiver\":\"r\","
                + "\"capability\":\"cap\",\"broadcast\":false,\"content\":{\"n\":3,\"x\":1.5,\"l\":[true,\"s\"]},"
                + "\"language\":\"l\",\"ontology\":\"o\",\"protocol\":\"p\",\"conversation_id\":\"c\","
                + "\"reply_with\":\"w\",\"in_reply_to\":\"i\",\"reply_by\":17,\"priority\":\"low\",\"message_id\":\"m\",\"hops\":4,"
                + "\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"}");
        List<String> keysInOrder = EnvelopeFields.ALL.stream()
                .map(k -> "\"" + k + "\":").toList();
        int last = -1;
        for (String k : keysInOrder) {
            int at = text.indexOf(k);
            assertThat(at).as(k).isGreaterThan(last);
            last = at;
        }
    }

    @Test
    @DisplayName("non-ASCII text is written as raw UTF-8, control characters as escapes")
    void textIsUtf8() {
        byte[] out = json.encodeValue("\u00e9\uD83D\uDE00\n\u0001");
        assertThat(out).isEqualTo("\"\u00e9\uD83D\uDE00\\n\\u0001\"".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("numbers: integers are Long or BigInteger, anything with a fraction or exponent is Double")
    void numbersMapToTheValueModel() {
        assertThat(decode("-0")).isEqualTo(0L);
        assertThat(decode("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
        assertThat(decode("-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
        assertThat(decode("9223372036854775808")).isEqualTo(new BigInteger("9223372036854775808"));
        assertThat(decode("-9223372036854775809")).isEqualTo(new BigInteger("-9223372036854775809"));
        BigInteger huge = new BigInteger("123456789012345678901234567890123456789012345678901234567890");
        assertThat(decode(huge.negate().toString())).isEqualTo(huge.negate());
        assertThat(json.decodeValue(json.encodeValue(huge.negate()))).isEqualTo(huge.negate());
        assertThat(decode("1E2")).isEqualTo(100.0d);
        assertThat(decode("1.0")).isEqualTo(1.0d);
        assertThat(decode("-0.0")).isEqualTo(-0.0d);
        assertThat(decode("2.5e-3")).isEqualTo(0.0025d);
    }

    @Test
    @DisplayName("a number too large for a double is refused rather than read as infinity")
    void overflowingNumberIsRefused() {
        refused("[1, 1e400]").hasMessageContaining("1e400").hasMessageContaining("line 1, column 5");
        refused("-1E999").hasMessageContaining("too large");
    }

    @Test
    @DisplayName("a syntax error names its line and column")
    void syntaxErrorNamesLineAndColumn() {
        refused("{\n  \"a\": tru\n}").hasMessageContaining("line 2, column");
        refused("[1,\n2,\n,3]").hasMessageContaining("line 3, column 1");
        refused("{\"a\" 1}").hasMessageContaining("line 1, column 6");
    }

    @Test
    @DisplayName("duplicate keys are refused, naming the key and where it is")
    void duplicateKeysAreRefused() {
        refused("{\"a\":1,\n \"b\":2,\n \"a\":3}").hasMessageContaining("duplicate key 'a'").hasMessageContaining("line 3, column 2");
        assertThatThrownBy(() -> json.decode(bytes("{\"performative\":\"inform\",\"performative\":\"agree\"}")))
                .isInstanceOf(SerializationException.class).hasMessageContaining("duplicate key 'performative'");
    }

    @Test
    @DisplayName("data after the value is refused")
    void trailingDataIsRefused() {
        refused("{} {}").hasMessageContaining("after the end").hasMessageContaining("line 1, column 4");
        refused("[1] x").hasMessageContaining("line 1, column 5");
        refused("1 2");
        assertThat(decode("  [1]  \n\t ")).isEqualTo(List.of(1L));
    }

    @Test
    @DisplayName("JSON extensions are refused: NaN, comments, single quotes, trailing commas, leading zeros")
    void extensionsAreRefused() {
        for (String bad : List.of("NaN", "[Infinity]", "-Infinity", "[1] // c", "/* c */ 1", "{'a':1}",
                "[1,]", "{\"a\":1,}", "01", "+1", ".5", "1.", "{a:1}", "\"tab\there\"", "\"line\nbreak\"", "[\"\\x41\"]")) {
            refused(bad);
        }
    }

    @Test
    @DisplayName("escaped surrogate pairs decode, an escaped lone surrogate is refused")
    void escapedSurrogates() {
        assertThat(decode("\"\\ud83d\\ude00\"")).isEqualTo("\uD83D\uDE00");
        refused("\"a\\ud800b\"").hasMessageContaining("unpaired surrogate").hasMessageContaining("line 1, column 1");
        refused("{\"\\udc00\":1}").hasMessageContaining("surrogate").hasMessageContaining("line 1");
        refused("{\"a\\ud800\":1}").hasMessageContaining("surrogate").hasMessageContaining("line 1");
    }

    @Test
    @DisplayName("input must be UTF-8: malformed bytes, UTF-16 and UTF-32 are refused; a UTF-8 BOM is skipped")
    void inputMustBeUtf8() {
        assertThatThrownBy(() -> json.decodeValue(new byte[] {'"', (byte) 0xC3, '(', '"'}))
                .isInstanceOf(SerializationException.class).hasMessageContaining("line 1");
        assertThatThrownBy(() -> json.decodeValue(new byte[] {'"', (byte) 0xFF, '"'}))
                .isInstanceOf(SerializationException.class);
        assertThatThrownBy(() -> json.decodeValue("[1]".getBytes(StandardCharsets.UTF_16LE)))
                .isInstanceOf(SerializationException.class).hasMessageContaining("UTF-8");
        assertThatThrownBy(() -> json.decodeValue("[1]".getBytes(StandardCharsets.UTF_16)))
                .isInstanceOf(SerializationException.class).hasMessageContaining("UTF-8");
        assertThatThrownBy(() -> json.decodeValue(new byte[] {0, 0, 0, '1'}))
                .isInstanceOf(SerializationException.class).hasMessageContaining("UTF-8");
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '[', '1', ']'};
        assertThat(json.decodeValue(bom)).isEqualTo(List.of(1L));
    }

    @Test
    @DisplayName("an envelope that is not a JSON object is refused at its first token")
    void envelopeMustBeAnObject() {
        assertThatThrownBy(() -> json.decode(bytes("[{\"performative\":\"inform\"}]")))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("expected a JSON object").hasMessageContaining("got an array")
                .hasMessageContaining("line 1, column 1");
    }

    @Test
    @DisplayName("envelope rule violations keep the message of EnvelopeFields")
    void envelopeRulesKeepTheirMessage() {
        assertThatThrownBy(() -> json.decode(bytes("{\"performative\":\"inform\",\"broadcast\":\"yes\"}")))
                .isInstanceOf(SerializationException.class)
                .hasMessage("field 'broadcast': expected true or false, got a string");
    }

    @Test
    @DisplayName("limit errors say which limit and where")
    void limitErrorsSayWhichAndWhere() {
        Serializer strict = new JsonSerializerProvider().create(ProviderContext.of(ProviderConfig.empty(), Path.of(".")),
                new SerializerLimits(100, 2, 3));
        assertThatThrownBy(() -> strict.decodeValue(bytes("[[[1]]]")))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("limit of 2 levels (maxDepth)").hasMessageContaining("line 1, column 3");
        assertThatThrownBy(() -> strict.decodeValue(bytes("[1,2,3,4]")))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("limit of 3 items (maxItems)").hasMessageContaining("line 1, column 8");
        assertThatThrownBy(() -> strict.decodeValue(bytes("{\"a\":1,\"b\":2,\"c\":3,\"d\":4}")))
                .isInstanceOf(SerializationException.class).hasMessageContaining("3 members (maxItems)");
        assertThatThrownBy(() -> strict.decodeValue(new byte[101]))
                .isInstanceOf(SerializationException.class)
                .hasMessage("input of 101 bytes exceeds the limit of 100 bytes (maxBytes)");
    }

    @Test
    @DisplayName("encoding errors name the type and the path inside the value")
    void encodingErrorsNameTypeAndPath() {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("items", List.of(1L, 2L, new StringBuilder("x")));
        assertThatThrownBy(() -> json.encode(Envelope.builder(Performative.INFORM).content(content).build()))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("java.lang.StringBuilder").hasMessageContaining("content.items[2]");
        assertThatThrownBy(() -> json.encodeValue(List.of(Double.NaN)))
                .isInstanceOf(SerializationException.class).hasMessageContaining("NaN").hasMessageContaining("[0]");
    }

    @Test
    @DisplayName("decoded lists and maps cannot be modified")
    void decodedContainersAreUnmodifiable() {
        Object v = decode("{\"a\":[1,2],\"b\":{}}");
        Map<String, Object> map = cast(v);
        List<Object> list = cast(map.get("a"));
        assertThatThrownBy(() -> map.put("c", 1L)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> list.add(3L)).isInstanceOf(UnsupportedOperationException.class);
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object o) {
        return (T) o;
    }

    private Object decode(String text) {
        return json.decodeValue(bytes(text));
    }

    private AbstractThrowableAssert<?, ? extends Throwable> refused(String text) {
        return assertThatThrownBy(() -> json.decodeValue(bytes(text)))
                .as("decoding %s", text)
                .isInstanceOf(SerializationException.class);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
