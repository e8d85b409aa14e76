package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigInteger;
import java.util.Map;

/**
 * JSON text to and from Jackson's tree without an {@code ObjectMapper}.
 *
 * <p>A client command parses one answer and writes at most one request body. Building the
 * databind mapper for that (its type factory, serializer and deserializer caches) is a large part
 * of a command's start, even from the AOT cache; the tree classes alone are cheap. The trees built
 * here are equal to what {@code ObjectMapper.readTree} gives (ints, longs, big integers, doubles),
 * and the text written is what {@code writeValueAsString} writes, which {@code JsonTextTest}
 * checks against Jackson itself. Values this writer does not know (binary, POJO nodes) go to the
 * mapper.
 */
final class JsonText {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
    private static final int MAX_DEPTH = 1000;

    private final String s;
    private int i;

    private JsonText(String s) {
        this.s = s;
    }

    /**
     * Parses one JSON value (surrounding white space allowed).
     *
     * @param text the text
     * @return the tree, or null when the text is not one well-formed JSON value
     */
    static JsonNode parse(String text) {
        JsonText p = new JsonText(text);
        try {
            p.space();
            JsonNode n = p.value(0);
            p.space();
            return p.i == text.length() ? n : null;
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            return null;
        }
    }

    /**
     * One-line JSON, as Jackson's default writer formats it.
     *
     * @param node the value
     * @return its text
     */
    static String write(JsonNode node) {
        StringBuilder out = new StringBuilder();
        return write(node, out) ? out.toString() : Json.viaMapper(node);
    }

    private static boolean write(JsonNode n, StringBuilder out) {
        switch (n.getNodeType()) {
            case OBJECT -> {
                out.append('{');
                boolean first = true;
                for (Map.Entry<String, JsonNode> e : n.properties()) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    string(e.getKey(), out);
                    out.append(':');
                    if (!write(e.getValue(), out)) {
                        return false;
                    }
                }
                out.append('}');
            }
            case ARRAY -> {
                out.append('[');
                for (int k = 0; k < n.size(); k++) {
                    if (k > 0) {
                        out.append(',');
                    }
                    if (!write(n.get(k), out)) {
                        return false;
                    }
                }
                out.append(']');
            }
            case STRING -> string(n.textValue(), out);
            case BOOLEAN -> out.append(n.booleanValue());
            case NULL -> out.append("null");
            case NUMBER -> {
                if (n.isInt() || n.isLong() || n.isShort() || n.isBigInteger()) {
                    out.append(n.numberValue());
                } else if (n.isDouble() && Double.isFinite(n.doubleValue())) {
                    out.append(n.doubleValue());
                } else {
                    // Floats, decimals and non-finite values have formatting rules of their own.
                    return false;
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private static void string(String v, StringBuilder out) {
        out.append('"');
        for (int k = 0; k < v.length(); k++) {
            char c = v.charAt(k);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\f' -> out.append("\\f");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c < 0x20) {
                        out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private JsonNode value(int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("nested too deep");
        }
        char c = s.charAt(i);
        switch (c) {
            case '{' -> {
                i++;
                ObjectNode o = NODES.objectNode();
                space();
                if (peek('}')) {
                    return o;
                }
                do {
                    space();
                    expect('"');
                    String key = string();
                    space();
                    expect(':');
                    space();
                    // The last of repeated keys wins, as with readTree.
                    o.set(key, value(depth + 1));
                    space();
                } while (peek(','));
                expect('}');
                return o;
            }
            case '[' -> {
                i++;
                ArrayNode a = NODES.arrayNode();
                space();
                if (peek(']')) {
                    return a;
                }
                do {
                    space();
                    a.add(value(depth + 1));
                    space();
                } while (peek(','));
                expect(']');
                return a;
            }
            case '"' -> {
                i++;
                return NODES.textNode(string());
            }
            case 't' -> {
                word("true");
                return NODES.booleanNode(true);
            }
            case 'f' -> {
                word("false");
                return NODES.booleanNode(false);
            }
            case 'n' -> {
                word("null");
                return NODES.nullNode();
            }
            default -> {
                return number();
            }
        }
    }

    private JsonNode number() {
        int start = i;
        peek('-');
        int digits = i;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
        }
        if (i == digits || (s.charAt(digits) == '0' && i - digits > 1)) {
            throw new IllegalArgumentException("bad number");
        }
        boolean integral = true;
        if (i < s.length() && s.charAt(i) == '.') {
            integral = false;
            i++;
            int f = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
            }
            if (i == f) {
                throw new IllegalArgumentException("bad fraction");
            }
        }
        if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            integral = false;
            i++;
            if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            int e = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
            }
            if (i == e) {
                throw new IllegalArgumentException("bad exponent");
            }
        }
        String text = s.substring(start, i);
        if (!integral) {
            return NODES.numberNode(Double.parseDouble(text));
        }
        BigInteger big = new BigInteger(text);
        if (big.bitLength() < 32) {
            return NODES.numberNode(big.intValue());
        }
        if (big.bitLength() < 64) {
            return NODES.numberNode(big.longValue());
        }
        return NODES.numberNode(big);
    }

    /** The rest of a string whose opening quote was taken. */
    private String string() {
        StringBuilder b = null;
        int run = i;
        while (true) {
            char c = s.charAt(i);
            if (c == '"') {
                String tail = s.substring(run, i++);
                return b == null ? tail : b.append(tail).toString();
            }
            if (c < 0x20) {
                throw new IllegalArgumentException("control character in a string");
            }
            if (c != '\\') {
                i++;
                continue;
            }
            if (b == null) {
                b = new StringBuilder();
            }
            b.append(s, run, i);
            char e = s.charAt(i + 1);
            i += 2;
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (s.charAt(i) == '+' || s.charAt(i) == '-') {
                        throw new IllegalArgumentException("bad escape");
                    }
                    b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    i += 4;
                }
                default -> throw new IllegalArgumentException("bad escape");
            }
            run = i;
        }
    }

    private void word(String w) {
        if (!s.startsWith(w, i)) {
            throw new IllegalArgumentException("expected " + w);
        }
        i += w.length();
    }

    private boolean peek(char c) {
        if (i < s.length() && s.charAt(i) == c) {
            i++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!peek(c)) {
            throw new IllegalArgumentException("expected " + c);
        }
    }

    private void space() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            i++;
        }
    }

}
