package dev.caxton.serializer.json;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.message.InvalidEnvelopeException;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.SerializerLimits;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Turns UTF-8 JSON bytes into the value model, strictly (RFC 8259), for one call, reading the
 * caller's array in place.
 *
 * <p>It is written by hand rather than on a general parser because it sits on every routed message:
 * an agent's reply is decoded straight from the bytes the guest wrote, with no parser object, token
 * stream or pre-scan per message, and ASCII text (almost all of an envelope) becomes a string with
 * one copy. The tree is built with an explicit stack rather than recursion, so that no limit
 * setting can turn deep input into a {@link StackOverflowError}. Every rule the input breaks
 * becomes a {@link SerializationException} naming what was wrong and its line and column (a column
 * counts bytes from the start of its line, as Jackson's did); nothing else escapes.
 *
 * <p>Rules beyond the grammar: no duplicate keys; UTF-8 only, validated strictly (no overlong
 * forms, no encoded surrogates, nothing beyond U+10FFFF); a UTF-8 byte-order mark before the value
 * is skipped; an escaped surrogate must be half of a pair; numbers are at most
 * {@value #MAX_NUMBER_LENGTH} characters (not counting a minus sign or the decimal point), which
 * keeps a hostile megabyte of digits from costing quadratic time in {@link BigInteger}.
 */
final class JsonReader {

    /** The longest number accepted, in characters without its sign and decimal point. */
    static final int MAX_NUMBER_LENGTH = 1000;

    /** The envelope fields' wire names as bytes, indexed as {@link EnvelopeFields#ALL}. */
    private static final byte[][] FIELD_NAMES = EnvelopeFields.ALL.stream()
            .map(k -> k.getBytes(StandardCharsets.US_ASCII)).toArray(byte[][]::new);

    /** Marks a field given as null while reading, so a repeated key is still caught. */
    private static final Object NULL = new Object();

    private final SerializerLimits limits;
    private final byte[] b;
    /** Where the text starts, after any byte-order mark: lines and columns count from here. */
    private final int start;
    private final int end;
    private int pos;
    /** Levels of nesting outside the value being read: 1 for an envelope's fields. */
    private int outer;

    /**
     * The open containers (ArrayList or LinkedHashMap), innermost last; empty whenever a value is
     * complete. Made at the first container, as most envelopes (the echo reply) have none.
     */
    private Object[] open;
    /** For each open object, the key whose value comes next. */
    private String[] keys;
    private int depth;
    /** Scratch for strings that hold escapes or non-ASCII text. */
    private char[] chars;

    private JsonReader(SerializerLimits limits, byte[] b, int offset, int length) {
        if (length > limits.maxBytes()) {
            throw new SerializationException("input of " + length + " bytes exceeds the limit of "
                    + limits.maxBytes() + " bytes (maxBytes)");
        }
        requireUtf8(b, offset, length);
        this.limits = limits;
        this.b = b;
        int from = offset;
        // A UTF-8 byte-order mark says nothing JSON needs, and some writers put one first.
        if (length >= 3 && b[from] == (byte) 0xEF && b[from + 1] == (byte) 0xBB && b[from + 2] == (byte) 0xBF) {
            from += 3;
        }
        this.start = from;
        this.end = offset + length;
        this.pos = from;
    }

    /**
     * Reads one JSON value that must make up the whole input.
     *
     * @param limits the bounds to enforce
     * @param bytes  the input
     * @return the value: null, Boolean, Long, BigInteger, Double, String, or unmodifiable List and Map
     * @throws SerializationException when the input is not one well-formed JSON value within the limits
     */
    static Object read(SerializerLimits limits, byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        JsonReader r = new JsonReader(limits, bytes, 0, bytes.length);
        r.firstValue();
        Object value = r.readValue();
        r.requireEnd();
        return value;
    }

    /** {@link #readEnvelope(SerializerLimits, byte[], int, int, Performative, EnvelopeFields.Completion)} without a completion. */
    static Envelope readEnvelope(SerializerLimits limits, byte[] bytes, int offset, int length,
                                 Performative absentPerformative) {
        return readEnvelope(limits, bytes, offset, length, absentPerformative, null);
    }

    /**
     * Reads an envelope from part of an array, field by field into its slots, with no map in
     * between; the field rules and their messages are {@link EnvelopeFields#fromValues}'. A root
     * that is not an object is refused at its first character, before anything else is read.
     *
     * @param limits             the bounds to enforce
     * @param bytes              the array
     * @param offset             where the input starts
     * @param length             how many bytes it has
     * @param absentPerformative the performative when none is given, or null to refuse that
     * @param completion         what completes the checked fields before the one build, or null
     * @return the envelope
     * @throws SerializationException when the input is not one well-formed envelope within the limits
     */
    static Envelope readEnvelope(SerializerLimits limits, byte[] bytes, int offset, int length,
                                 Performative absentPerformative, EnvelopeFields.Completion completion) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        JsonReader r = new JsonReader(limits, bytes, offset, length);
        Object[] fields = new Object[FIELD_NAMES.length];
        r.readFields(fields);
        try {
            return EnvelopeFields.fromValues(fields, absentPerformative, completion);
        } catch (InvalidEnvelopeException e) {
            throw new SerializationException(e.getMessage(), e);
        }
    }

    /**
     * Refuses the byte patterns that would say UTF-16 or UTF-32: a NUL byte among the first two,
     * or a UTF-16 byte-order mark. JSON exchanged between systems is UTF-8 (RFC 8259, section 8.1),
     * and in UTF-8 JSON those bytes can never appear there anyway; naming the encoding is more
     * helpful than "unexpected character".
     */
    private static void requireUtf8(byte[] b, int offset, int length) {
        if (length >= 2 && ((b[offset] == (byte) 0xFE && b[offset + 1] == (byte) 0xFF)
                || (b[offset] == (byte) 0xFF && b[offset + 1] == (byte) 0xFE))) {
            throw new SerializationException("malformed JSON: the input starts with a UTF-16 byte-order mark at line 1, column 1; JSON must be UTF-8");
        }
        for (int i = 0; i < Math.min(2, length); i++) {
            if (b[offset + i] == 0) {
                throw new SerializationException("malformed JSON: NUL byte at line 1, column " + (i + 1)
                        + "; JSON must be UTF-8 (UTF-16 and UTF-32 are not accepted)");
            }
        }
    }

    /** Skips whitespace to the first value, refusing input that has none. */
    private void firstValue() {
        skipWhitespace();
        if (pos >= end) {
            throw new SerializationException("malformed JSON: the input holds no value (it is empty or only whitespace)");
        }
    }

    private void requireEnd() {
        skipWhitespace();
        if (pos < end) {
            throw error("unexpected " + describe(pos) + " after the end of the JSON value", pos);
        }
    }

    private void readFields(Object[] fields) {
        firstValue();
        if (b[pos] != '{') {
            throw error("expected a JSON object (the envelope), got " + describeValue(pos), pos);
        }
        pos++;
        outer = 1;
        int count = 0;
        skipWhitespace();
        if (pos < end && b[pos] == '}') {
            pos++;
        } else {
            while (true) {
                skipWhitespace();
                int keyAt = pos;
                expectKeyStart();
                int slot = fieldSlot(keyAt);
                if (count >= limits.maxItems()) {
                    throw error("an object has more than the limit of " + limits.maxItems() + " members (maxItems)", keyAt);
                }
                if (fields[slot] != null) {
                    throw error("duplicate key '" + abbreviate(EnvelopeFields.ALL.get(slot)) + "' in an object", keyAt);
                }
                expectColon();
                skipWhitespace();
                Object value = readValue();
                fields[slot] = value == null ? NULL : value;
                count++;
                if (endOfMembers()) {
                    break;
                }
            }
        }
        for (int i = 0; i < fields.length; i++) {
            if (fields[i] == NULL) {
                fields[i] = null;
            }
        }
        requireEnd();
    }

    /**
     * Reads an envelope key at {@link #pos} (its opening quote) and returns its slot; a plain ASCII
     * key is matched on its bytes, so the usual envelope makes no key strings at all.
     */
    private int fieldSlot(int keyAt) {
        int p = plainEnd(keyAt + 1);
        if (p < end && b[p] == '"') {
            int len = p - keyAt - 1;
            for (int i = 0; i < FIELD_NAMES.length; i++) {
                byte[] name = FIELD_NAMES[i];
                if (name.length == len && Arrays.equals(b, keyAt + 1, p, name, 0, len)) {
                    pos = p + 1;
                    return i;
                }
            }
        }
        String key = readString("key");
        int slot = EnvelopeFields.indexOf(key);
        if (slot < 0) {
            throw new SerializationException(EnvelopeFields.unknownField(key).getMessage());
        }
        return slot;
    }

    /**
     * Reads one value starting at {@link #pos} (not whitespace), arrays and objects with the
     * explicit stack, and leaves {@link #pos} just after it.
     */
    private Object readValue() {
        while (true) {
            Object value;
            if (pos >= end) {
                throw endOfInput();
            }
            int at = pos;
            switch (b[at]) {
                case '{', '[' -> {
                    boolean object = b[at] == '{';
                    if (outer + depth >= limits.maxDepth()) {
                        throw error("nesting is deeper than the limit of " + limits.maxDepth() + " levels (maxDepth)", at);
                    }
                    pos++;
                    skipWhitespace();
                    if (pos < end && b[pos] == (object ? '}' : ']')) {
                        pos++;
                        value = object ? Collections.emptyMap() : Collections.emptyList();
                        break;
                    }
                    push(object ? new LinkedHashMap<String, Object>() : new ArrayList<>());
                    if (object) {
                        objectKey();
                    }
                    skipWhitespace();
                    continue;
                }
                case '"' -> value = readString("string");
                case 't' -> value = literal("true", Boolean.TRUE);
                case 'f' -> value = literal("false", Boolean.FALSE);
                case 'n' -> value = literal("null", null);
                case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' -> value = readNumber();
                default -> throw error("unexpected " + describe(at) + ", expected a value", at);
            }
            // The value is complete: hand it to its container, closing as many containers as end here.
            while (true) {
                if (depth == 0) {
                    return value;
                }
                Object container = open[depth - 1];
                if (container instanceof ArrayList<?> l) {
                    @SuppressWarnings("unchecked") List<Object> list = (List<Object>) l;
                    list.add(value);
                } else {
                    @SuppressWarnings("unchecked") Map<String, Object> map = (Map<String, Object>) container;
                    map.put(keys[depth - 1], value);
                    keys[depth - 1] = null;
                }
                if (!endOfMembers()) {
                    skipWhitespace();
                    if (container instanceof ArrayList<?> l) {
                        if (l.size() >= limits.maxItems()) {
                            throw error("an array has more than the limit of " + limits.maxItems() + " items (maxItems)", pos);
                        }
                    } else {
                        objectKey();
                        skipWhitespace();
                    }
                    break;
                }
                open[--depth] = null;
                value = finish(container);
            }
        }
    }

    /**
     * After a member or item: true (and past the bracket) when its container closes here, false
     * (and past the comma) when another follows. The closing bracket must match the open container.
     */
    private boolean endOfMembers() {
        skipWhitespace();
        if (pos >= end) {
            throw endOfInput();
        }
        byte c = b[pos];
        boolean inObject = depth == 0 || open[depth - 1] instanceof Map;
        if (c == ',') {
            pos++;
            return false;
        }
        if (c == (inObject ? '}' : ']')) {
            pos++;
            return true;
        }
        throw error("unexpected " + describe(pos) + ", expected ',' or '" + (inObject ? '}' : ']')
                + "' after " + (inObject ? "an object member" : "an array item"), pos);
    }

    /** Reads the key of the next member of the innermost open object, and the colon after it. */
    private void objectKey() {
        skipWhitespace();
        int keyAt = pos;
        expectKeyStart();
        String key = readString("key");
        @SuppressWarnings("unchecked") Map<String, Object> map = (Map<String, Object>) open[depth - 1];
        if (map.size() >= limits.maxItems()) {
            throw error("an object has more than the limit of " + limits.maxItems() + " members (maxItems)", keyAt);
        }
        if (map.containsKey(key)) {
            throw error("duplicate key '" + abbreviate(key) + "' in an object", keyAt);
        }
        keys[depth - 1] = key;
        expectColon();
    }

    private void expectKeyStart() {
        if (pos >= end) {
            throw endOfInput();
        }
        if (b[pos] != '"') {
            throw error("unexpected " + describe(pos) + ", expected a key (a string in double quotes)", pos);
        }
    }

    private void expectColon() {
        skipWhitespace();
        if (pos >= end) {
            throw endOfInput();
        }
        if (b[pos] != ':') {
            throw error("unexpected " + describe(pos) + ", expected ':' after a key", pos);
        }
        pos++;
        skipWhitespace();
    }

    private void push(Object container) {
        if (open == null) {
            open = new Object[8];
            keys = new String[8];
        } else if (depth == open.length) {
            open = Arrays.copyOf(open, depth * 2);
            keys = Arrays.copyOf(keys, depth * 2);
        }
        open[depth++] = container;
    }

    private static Object finish(Object container) {
        if (container instanceof List<?> list) {
            return Collections.unmodifiableList(list);
        }
        return Collections.unmodifiableMap((Map<?, ?>) container);
    }

    private Object literal(String word, Object value) {
        int at = pos;
        int n = word.length();
        for (int i = 0; i < n; i++) {
            if (at + i >= end || b[at + i] != word.charAt(i)) {
                throw error("unexpected " + describe(at) + ", expected a value (not a valid true, false or null)", at);
            }
        }
        pos = at + n;
        return value;
    }

    private Object readNumber() {
        int at = pos;
        int p = at;
        boolean negative = b[p] == '-';
        if (negative) {
            p++;
        }
        if (p >= end || !digit(b[p])) {
            throw error("a number has no digits after its minus sign", at);
        }
        if (b[p] == '0') {
            p++;
            if (p < end && digit(b[p])) {
                throw error("a number has a leading zero", at);
            }
        } else {
            while (p < end && digit(b[p])) {
                p++;
            }
        }
        int integerEnd = p;
        boolean point = false;
        boolean exponent = false;
        if (p < end && b[p] == '.') {
            point = true;
            p++;
            if (p >= end || !digit(b[p])) {
                throw error("a number has no digits after its decimal point", at);
            }
            while (p < end && digit(b[p])) {
                p++;
            }
        }
        if (p < end && (b[p] == 'e' || b[p] == 'E')) {
            exponent = true;
            p++;
            if (p < end && (b[p] == '+' || b[p] == '-')) {
                p++;
            }
            if (p >= end || !digit(b[p])) {
                throw error("a number has no digits in its exponent", at);
            }
            while (p < end && digit(b[p])) {
                p++;
            }
        }
        int length = p - at - (negative ? 1 : 0) - (point ? 1 : 0);
        if (length > MAX_NUMBER_LENGTH) {
            throw error("a number of " + length + " characters is longer than the limit of " + MAX_NUMBER_LENGTH, at);
        }
        pos = p;
        if (!point && !exponent) {
            int digits = integerEnd - at - (negative ? 1 : 0);
            if (digits <= 18) {
                long v = 0;
                for (int i = negative ? at + 1 : at; i < integerEnd; i++) {
                    v = v * 10 + (b[i] - '0');
                }
                return negative ? -v : v;
            }
            BigInteger big = new BigInteger(new String(b, at, p - at, StandardCharsets.ISO_8859_1));
            return big.bitLength() < Long.SIZE ? (Object) big.longValue() : big;
        }
        String text = new String(b, at, p - at, StandardCharsets.ISO_8859_1);
        double d = Double.parseDouble(text);
        if (!Double.isFinite(d)) {
            throw error("number " + abbreviate(text) + " is too large for a 64-bit floating-point value", at);
        }
        return d;
    }

    private static boolean digit(byte c) {
        return c >= '0' && c <= '9';
    }

    /**
     * Reads a string at {@link #pos} (its opening quote). Plain ASCII is copied once into a string;
     * escapes and non-ASCII text go through {@link #slowString}.
     */
    private String readString(String what) {
        int at = pos;
        int p = plainEnd(at + 1);
        if (p >= end) {
            throw error("unexpected end of input inside a " + what, at);
        }
        if (b[p] == '"') {
            pos = p + 1;
            // Every byte before p is ASCII, so ISO-8859-1 decodes it exactly, as one copy into a compact string.
            return new String(b, at + 1, p - at - 1, StandardCharsets.ISO_8859_1);
        }
        return slowString(what, at, p);
    }

    /** Where the plain ASCII text from {@code p} ends: {@link PlainAscii#end} within the input. */
    private int plainEnd(int p) {
        return PlainAscii.end(b, p, end);
    }

    /**
     * Decodes the rest of a string from {@code p}, validating UTF-8 and escapes. A high surrogate
     * from an escape must be followed at once by a low one from an escape; a lone half could not be
     * written as UTF-8 or MessagePack again.
     */
    private String slowString(String what, int at, int p) {
        int plain = p - at - 1;
        char[] out = chars;
        if (out == null || out.length < plain + 16) {
            out = new char[Math.max(64, plain * 2 + 16)];
        }
        for (int i = 0; i < plain; i++) {
            out[i] = (char) b[at + 1 + i];
        }
        int n = plain;
        int pendingHigh = -1;
        while (true) {
            if (p >= end) {
                throw error("unexpected end of input inside a " + what, at);
            }
            if (out.length - n < 2) {
                out = Arrays.copyOf(out, out.length * 2);
            }
            int c = b[p] & 0xFF;
            if (c == '"') {
                break;
            }
            int unit;
            if (c == '\\') {
                if (p + 1 >= end) {
                    throw error("unexpected end of input inside a " + what, at);
                }
                switch (b[p + 1]) {
                    case '"' -> unit = '"';
                    case '\\' -> unit = '\\';
                    case '/' -> unit = '/';
                    case 'b' -> unit = '\b';
                    case 'f' -> unit = '\f';
                    case 'n' -> unit = '\n';
                    case 'r' -> unit = '\r';
                    case 't' -> unit = '\t';
                    case 'u' -> unit = hex4(p, at, what);
                    default -> throw error("invalid escape \\" + printable(b[p + 1]) + " in a " + what, p);
                }
                p += b[p + 1] == 'u' ? 6 : 2;
                if (Character.isLowSurrogate((char) unit) && pendingHigh == n - 1 && pendingHigh >= 0) {
                    pendingHigh = -1;
                } else if (pendingHigh >= 0) {
                    throw unpaired(what, out, pendingHigh, at);
                } else if (Character.isHighSurrogate((char) unit)) {
                    pendingHigh = n;
                } else if (Character.isLowSurrogate((char) unit)) {
                    throw unpaired(what, out, n, at, (char) unit);
                }
                out[n++] = (char) unit;
                continue;
            }
            if (pendingHigh >= 0) {
                throw unpaired(what, out, pendingHigh, at);
            }
            if (c < 0x20) {
                throw error("control character U+" + hex(c) + " in a " + what + " must be escaped", p);
            }
            if (c < 0x80) {
                // A run of plain ASCII between escapes or non-ASCII characters is found a word at a time
                // and widened to chars in one loop.
                int runEnd = plainEnd(p);
                int run = runEnd - p;
                if (out.length - n < run + 2) {
                    out = Arrays.copyOf(out, Math.max(out.length * 2, n + run + 2));
                }
                for (int i = 0; i < run; i++) {
                    out[n + i] = (char) b[p + i];
                }
                n += run;
                p = runEnd;
                continue;
            }
            int cp = utf8(p);
            p += cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (cp < 0x10000) {
                out[n++] = (char) cp;
            } else {
                out[n++] = Character.highSurrogate(cp);
                out[n++] = Character.lowSurrogate(cp);
            }
        }
        if (pendingHigh >= 0) {
            throw unpaired(what, out, pendingHigh, at);
        }
        chars = out;
        pos = p + 1;
        return new String(out, 0, n);
    }

    /** The four hex digits after the backslash-u at {@code p}, as a UTF-16 unit. */
    private int hex4(int p, int at, String what) {
        if (p + 6 > end) {
            throw error("unexpected end of input inside a " + what, at);
        }
        int v = 0;
        for (int i = p + 2; i < p + 6; i++) {
            int c = b[i];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) {
                throw error("invalid \\u escape in a " + what + ": expected four hex digits", p);
            }
            v = v << 4 | d;
        }
        return v;
    }

    /**
     * The code point of the multi-byte UTF-8 sequence at {@code p}, refusing what Java's own
     * decoder refuses: bad lead or continuation bytes, truncation, overlong forms, encoded
     * surrogates, and code points beyond U+10FFFF.
     */
    private int utf8(int p) {
        int c = b[p] & 0xFF;
        int need;
        int min;
        int max;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            min = 0x80;
            max = 0xBF;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            min = c == 0xE0 ? 0xA0 : 0x80;
            max = c == 0xED ? 0x9F : 0xBF;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            min = c == 0xF0 ? 0x90 : 0x80;
            max = c == 0xF4 ? 0x8F : 0xBF;
        } else {
            throw error("invalid UTF-8: byte 0x" + hex2(c) + " cannot start a character", p);
        }
        int cp = c & (0x3F >> need);
        for (int i = 1; i <= need; i++) {
            if (p + i >= end) {
                throw error("invalid UTF-8: a character is cut off by the end of the input", p);
            }
            int d = b[p + i] & 0xFF;
            if (d < (i == 1 ? min : 0x80) || d > (i == 1 ? max : 0xBF)) {
                throw error("invalid UTF-8: byte 0x" + hex2(d) + " cannot follow 0x" + hex2(c)
                        + (c == 0xED ? " (an encoded surrogate)" : c == 0xE0 || c == 0xF0 ? " (an overlong form)" : c == 0xF4 ? " (beyond U+10FFFF)" : ""), p + i);
            }
            cp = cp << 6 | (d & 0x3F);
        }
        return cp;
    }

    private SerializationException unpaired(String what, char[] text, int index, int at) {
        return unpaired(what, text, index, at, text[index]);
    }

    private SerializationException unpaired(String what, char[] text, int index, int at, char unit) {
        return error(what + " holds an unpaired surrogate \\u" + hex(unit) + " at character " + index
                + ", which is not valid Unicode", at);
    }

    private void skipWhitespace() {
        int p = pos;
        while (p < end) {
            byte c = b[p];
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                break;
            }
            p++;
        }
        pos = p;
    }

    private SerializationException endOfInput() {
        return error("unexpected end of input inside an array or object", end);
    }

    /** The error for a rule broken at byte {@code at}, with its line and column. */
    private SerializationException error(String message, int at) {
        int line = 1;
        int lineStart = start;
        for (int i = start; i < at && i < end; i++) {
            byte c = b[i];
            // A line ends at LF, at CR, and at CR LF (counted once).
            if (c == '\n' || (c == '\r' && (i + 1 >= end || b[i + 1] != '\n'))) {
                line++;
                lineStart = i + 1;
            }
        }
        return new SerializationException("malformed JSON: " + message + " at line " + line + ", column " + (at - lineStart + 1));
    }

    /** What the first character of a value says it is, for the envelope's error. */
    private String describeValue(int at) {
        return switch (b[at]) {
            case '[' -> "an array";
            case '"' -> "a string";
            case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' -> "a number";
            case 't', 'f' -> "a boolean";
            case 'n' -> "null";
            default -> describe(at);
        };
    }

    /** The character at {@code at}, for messages: quoted when printable ASCII, else by its code. */
    private String describe(int at) {
        int c = b[at] & 0xFF;
        if (c > 0x20 && c < 0x7F) {
            return "'" + (char) c + "'";
        }
        if (c < 0x80) {
            return "character U+" + hex(c);
        }
        return "byte 0x" + hex2(c);
    }

    private static String printable(byte c) {
        int u = c & 0xFF;
        return u > 0x20 && u < 0x7F ? String.valueOf((char) u) : "(byte 0x" + hex2(u) + ")";
    }

    private static String hex(int unit) {
        String h = Integer.toHexString(unit).toUpperCase();
        return "0".repeat(Math.max(0, 4 - h.length())) + h;
    }

    private static String hex2(int c) {
        String h = Integer.toHexString(c).toUpperCase();
        return h.length() < 2 ? "0" + h : h;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
