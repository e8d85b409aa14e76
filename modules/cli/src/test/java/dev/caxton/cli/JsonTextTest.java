package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The mapper-free JSON path reads and writes exactly what Jackson's mapper does. */
class JsonTextTest {

    private static final ObjectMapper JACKSON = new ObjectMapper();

    private static final List<String> SAMPLES = List.of(
            "{}", "[]", "[ ]", "{ }", "null", "true", "false", "0", "-0", "7", "-12",
            "2147483647", "2147483648", "-2147483648", "-2147483649",
            "9223372036854775807", "9223372036854775808", "-9223372036854775809", "123456789012345678901234567890",
            "1.5", "-0.0", "1e3", "1E-7", "2.5e+10", "0.1", "1.7976931348623157E308", "4.9e-324", "123456.789e3",
            "\"\"", "\"a\\\"b\\\\c\\/d\"", "\"\\b\\f\\n\\r\\t\"", "\"\\u00e9\\u0001\\u001F\\uD83D\\uDE00\"", "\"über ☃ 😀\"",
            " {\"a\" : 1 , \"b\" : [ true , null , { } ] } ",
            "{\"a\":1,\"a\":2}",
            "{\"agents\":[{\"name\":\"echo\",\"state\":\"running\",\"messages\":12,\"memory\":1048576,"
                    + "\"started\":1765000000000,\"load\":0.25,\"capabilities\":[\"echo\",\"x\"],\"meta\":{}}]}",
            "{\"error\":\"no agent 'x'\",\"details\":{\"name\":\"x\",\"limit\":3}}");

    private static final List<String> NOT_JSON = List.of(
            "", "{", "}", "[1,]", "{\"a\":}", "{\"a\" 1}", "{a:1}", "01", "1.", ".5", "-", "1e", "+1",
            "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u+123\"", "\"a\u0001b\"", "[1] [2]", "{} x",
            "<html>Bad Gateway</html>", "'a'");

    @Test
    void parsesToTheTreeJacksonBuilds() throws Exception {
        for (String s : SAMPLES) {
            JsonNode expected = JACKSON.readTree(s);
            JsonNode actual = JsonText.parse(s);
            assertThat(actual).as(s).isEqualTo(expected);
            assertThat(actual.getNodeType()).as(s).isEqualTo(expected.getNodeType());
            if (expected.isNumber()) {
                assertThat(actual.numberType()).as(s).isEqualTo(expected.numberType());
            }
        }
    }

    @Test
    void refusesWhatIsNotOneJsonValue() {
        for (String s : NOT_JSON) {
            assertThat(JsonText.parse(s)).as(s).isNull();
        }
    }

    @Test
    void refusesNestingDeepEnoughToExhaustTheStack() {
        assertThat(JsonText.parse("[".repeat(100_000))).isNull();
    }

    @Test
    void writesWhatJacksonWrites() throws Exception {
        for (String s : SAMPLES) {
            JsonNode n = JACKSON.readTree(s);
            assertThat(JsonText.write(n)).as(s).isEqualTo(JACKSON.writeValueAsString(n));
        }
        StringBuilder every = new StringBuilder();
        for (char c = 0; c < 0x300; c++) {
            every.append(c);
        }
        every.append("\u2028\u2029\uFFFF\uD83D\uDE00");
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("all chars " + every, every.toString())
                .put("float", 1.25f).put("decimal", new BigDecimal("1.10")).put("big", new BigInteger("99999999999999999999"))
                .put("short", (short) 3).put("nan", Double.NaN).put("inf", Double.NEGATIVE_INFINITY)
                .put("bytes", new byte[] {1, 2, 3}).putPOJO("pojo", List.of(1, "two"));
        o.putArray("arr").add(1).add(2L).add(3.5).addNull().add(false).addObject().putArray("x");
        assertThat(JsonText.write(o)).isEqualTo(JACKSON.writeValueAsString(o));
    }

    @Test
    void randomTreesRoundTripLikeJackson() throws Exception {
        Random r = new Random(16);
        for (int k = 0; k < 300; k++) {
            JsonNode n = random(r, 0);
            String jackson = JACKSON.writeValueAsString(n);
            assertThat(JsonText.write(n)).isEqualTo(jackson);
            assertThat(JsonText.parse(jackson)).isEqualTo(JACKSON.readTree(jackson));
        }
    }

    private static JsonNode random(Random r, int depth) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        int kind = depth > 3 ? 2 + r.nextInt(6) : r.nextInt(8);
        return switch (kind) {
            case 0 -> {
                ObjectNode o = f.objectNode();
                for (int i = r.nextInt(4); i > 0; i--) {
                    o.set(randomText(r), random(r, depth + 1));
                }
                yield o;
            }
            case 1 -> {
                var a = f.arrayNode();
                for (int i = r.nextInt(4); i > 0; i--) {
                    a.add(random(r, depth + 1));
                }
                yield a;
            }
            case 2 -> f.textNode(randomText(r));
            case 3 -> f.numberNode(r.nextInt());
            case 4 -> f.numberNode(r.nextLong());
            case 5 -> f.numberNode(r.nextDouble() * Math.pow(10, r.nextInt(40) - 20));
            case 6 -> f.booleanNode(r.nextBoolean());
            default -> f.nullNode();
        };
    }

    private static String randomText(Random r) {
        StringBuilder b = new StringBuilder();
        for (int i = r.nextInt(8); i > 0; i--) {
            b.append((char) (r.nextBoolean() ? r.nextInt(0x80) : r.nextInt(0xD800)));
        }
        return b.toString();
    }
}
