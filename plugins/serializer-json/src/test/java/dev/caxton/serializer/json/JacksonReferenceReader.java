package dev.caxton.serializer.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.message.InvalidEnvelopeException;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.SerializerLimits;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The reader this plugin used before its hand-written {@link JsonReader}: Jackson's streaming parser
 * with the plugin's rules on top, kept here unchanged (but for its name and factory) as the oracle
 * the differential test compares the new reader against.
 *
 * <p>Original description: turns JSON bytes into the value model, strictly, for one call.
 *
 * <p>The tree is built with an explicit stack rather than recursion, so that no limit setting can
 * turn deep input into a {@link StackOverflowError}. Every rule the input breaks becomes a
 * {@link SerializationException} naming the line and column.
 */
final class JacksonReferenceReader {

    private final SerializerLimits limits;
    private final JsonParser parser;
    /** Levels of nesting outside the value being read: 1 for an envelope's fields. */
    private int outer;
    private final ArrayDeque<Container> stack = new ArrayDeque<>(8);

    private JacksonReferenceReader(SerializerLimits limits, JsonParser parser) {
        this.limits = limits;
        this.parser = parser;
    }

    /**
     * Reads one JSON value that must make up the whole input.
     *
     * @param factory    the configured factory
     * @param limits     the bounds to enforce
     * @param bytes      the input
     * @param wantObject whether the value must be an object (an envelope); checked at its first
     *                   token, before anything else is read
     * @return the value: null, Boolean, Long, BigInteger, Double, String, or unmodifiable List and Map
     * @throws SerializationException when the input is not one well-formed JSON value within the limits
     */
    static Object read(JsonFactory factory, SerializerLimits limits, byte[] bytes, boolean wantObject) {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length > limits.maxBytes()) {
            throw new SerializationException("input of " + bytes.length + " bytes exceeds the limit of "
                    + limits.maxBytes() + " bytes (maxBytes)");
        }
        requireUtf8(bytes, 0, bytes.length);
        JsonParser parser;
        try {
            parser = factory.createParser(bytes);
        } catch (IOException e) {
            throw new SerializationException("cannot read JSON: " + e.getMessage(), e);
        }
        try (parser) {
            return new JacksonReferenceReader(limits, parser).readDocument(wantObject);
        } catch (JsonProcessingException e) {
            JsonLocation where = e.getLocation() != null ? e.getLocation() : parser.currentLocation();
            throw new SerializationException("malformed JSON: " + Objects.toString(e.getOriginalMessage(), e.toString()) + at(where), e);
        } catch (IOException e) {
            throw new SerializationException("cannot read JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Reads an envelope from part of an array, field by field into its slots, with no map in
     * between; the field rules and their messages are {@link EnvelopeFields#fromValues}'.
     *
     * @param factory            the configured factory
     * @param limits             the bounds to enforce
     * @param bytes              the array
     * @param offset             where the input starts
     * @param length             how many bytes it has
     * @param absentPerformative the performative when none is given, or null to refuse that
     * @return the envelope
     * @throws SerializationException when the input is not one well-formed envelope within the limits
     */
    static Envelope readEnvelope(JsonFactory factory, SerializerLimits limits, byte[] bytes, int offset, int length,
                                 Performative absentPerformative) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        if (length > limits.maxBytes()) {
            throw new SerializationException("input of " + length + " bytes exceeds the limit of "
                    + limits.maxBytes() + " bytes (maxBytes)");
        }
        requireUtf8(bytes, offset, length);
        Object[] fields = new Object[EnvelopeFields.ALL.size()];
        JsonParser parser;
        try {
            parser = factory.createParser(bytes, offset, length);
        } catch (IOException e) {
            throw new SerializationException("cannot read JSON: " + e.getMessage(), e);
        }
        try (parser) {
            new JacksonReferenceReader(limits, parser).readFields(fields);
        } catch (JsonProcessingException e) {
            JsonLocation where = e.getLocation() != null ? e.getLocation() : parser.currentLocation();
            throw new SerializationException("malformed JSON: " + Objects.toString(e.getOriginalMessage(), e.toString()) + at(where), e);
        } catch (IOException e) {
            throw new SerializationException("cannot read JSON: " + e.getMessage(), e);
        }
        try {
            return EnvelopeFields.fromValues(fields, absentPerformative);
        } catch (InvalidEnvelopeException e) {
            throw new SerializationException(e.getMessage(), e);
        }
    }

    /** The factory configured as {@code JsonSerializer} configured it for reading. */
    static JsonFactory factory(SerializerLimits limits) {
        int jacksonDepth = limits.maxDepth() == Integer.MAX_VALUE ? Integer.MAX_VALUE : limits.maxDepth() + 1;
        return new JsonFactoryBuilder()
                .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(jacksonDepth)
                        .maxDocumentLength(limits.maxBytes())
                        .maxStringLength(limits.maxBytes())
                        .maxNameLength(limits.maxBytes())
                        .build())
                .build();
    }

    private static int unpairedSurrogate(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return i;
                }
            }
        }
        return -1;
    }

    /** Marks a field given as null while reading, so a repeated key is still caught. */
    private static final Object NULL = new Object();

    private void readFields(Object[] fields) throws IOException {
        JsonToken first = parser.nextToken();
        if (first == null) {
            throw new SerializationException("malformed JSON: the input holds no value (it is empty or only whitespace)");
        }
        if (first != JsonToken.START_OBJECT) {
            throw error("expected a JSON object (the envelope), got " + describe(first));
        }
        outer = 1;
        int count = 0;
        JsonToken token = next();
        while (token == JsonToken.FIELD_NAME) {
            String key = checkedText(parser.currentName(), "key");
            if (count >= limits.maxItems()) {
                throw error("an object has more than the limit of " + limits.maxItems() + " members (maxItems)");
            }
            int slot = EnvelopeFields.indexOf(key);
            if (slot < 0) {
                throw new SerializationException(EnvelopeFields.unknownField(key).getMessage());
            }
            if (fields[slot] != null) {
                throw error("duplicate key '" + abbreviate(key) + "' in an object");
            }
            Object value = readTree(next());
            fields[slot] = value == null ? NULL : value;
            count++;
            token = next();
        }
        if (token != JsonToken.END_OBJECT) {
            throw error("unexpected " + describe(token));
        }
        for (int i = 0; i < fields.length; i++) {
            if (fields[i] == NULL) {
                fields[i] = null;
            }
        }
        JsonToken extra = parser.nextToken();
        if (extra != null) {
            throw error("unexpected " + describe(extra) + " after the end of the JSON value");
        }
    }

    /**
     * Refuses the byte patterns that would make Jackson guess UTF-16 or UTF-32: a NUL byte among the
     * first two, or a UTF-16 byte-order mark. JSON exchanged between systems is UTF-8 (RFC 8259,
     * section 8.1), and in UTF-8 JSON those bytes can never appear there anyway.
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

    private Object readDocument(boolean wantObject) throws IOException {
        JsonToken first = parser.nextToken();
        if (first == null) {
            throw new SerializationException("malformed JSON: the input holds no value (it is empty or only whitespace)");
        }
        if (wantObject && first != JsonToken.START_OBJECT) {
            throw error("expected a JSON object (the envelope), got " + describe(first));
        }
        Object value = readTree(first);
        JsonToken extra = parser.nextToken();
        if (extra != null) {
            throw error("unexpected " + describe(extra) + " after the end of the JSON value");
        }
        return value;
    }

    private Object readTree(JsonToken first) throws IOException {
        // One stack for every value of the input: it is empty again whenever a value is complete.
        ArrayDeque<Container> open = stack;
        JsonToken token = first;
        while (true) {
            Object value;
            switch (token) {
                case START_OBJECT, START_ARRAY -> {
                    if (outer + open.size() >= limits.maxDepth()) {
                        throw error("nesting is deeper than the limit of " + limits.maxDepth() + " levels (maxDepth)");
                    }
                    open.push(new Container(token == JsonToken.START_OBJECT));
                    token = next();
                    continue;
                }
                case FIELD_NAME -> {
                    Container object = open.peek();
                    String key = checkedText(parser.currentName(), "key");
                    if (object.count >= limits.maxItems()) {
                        throw error("an object has more than the limit of " + limits.maxItems() + " members (maxItems)");
                    }
                    if (object.map.containsKey(key)) {
                        throw error("duplicate key '" + abbreviate(key) + "' in an object");
                    }
                    object.key = key;
                    token = next();
                    continue;
                }
                case END_OBJECT, END_ARRAY -> value = open.pop().finish();
                case VALUE_STRING -> value = checkedText(parser.getText(), "string");
                case VALUE_NUMBER_INT -> value = integer();
                case VALUE_NUMBER_FLOAT -> value = decimal();
                case VALUE_TRUE -> value = Boolean.TRUE;
                case VALUE_FALSE -> value = Boolean.FALSE;
                case VALUE_NULL -> value = null;
                default -> throw error("unexpected " + describe(token));
            }
            Container parent = open.peek();
            if (parent == null) {
                return value;
            }
            if (parent.list != null && parent.count >= limits.maxItems()) {
                throw error("an array has more than the limit of " + limits.maxItems() + " items (maxItems)");
            }
            parent.add(value);
            token = next();
        }
    }

    private JsonToken next() throws IOException {
        JsonToken t = parser.nextToken();
        if (t == null) {
            // Jackson reports an unclosed container itself; this only guards against a silent end.
            throw error("unexpected end of input inside an array or object");
        }
        return t;
    }

    private Object integer() throws IOException {
        return switch (parser.getNumberType()) {
            case INT, LONG -> parser.getLongValue();
            default -> {
                BigInteger big = parser.getBigIntegerValue();
                yield big.bitLength() < Long.SIZE ? (Object) big.longValue() : big;
            }
        };
    }

    private Double decimal() throws IOException {
        double d = parser.getDoubleValue();
        if (!Double.isFinite(d)) {
            throw error("number " + abbreviate(parser.getText()) + " is too large for a 64-bit floating-point value");
        }
        return d;
    }

    /**
     * Returns the text if it is valid Unicode. An escaped lone surrogate (backslash, u, D800) is
     * well-formed JSON but no Unicode text; it could not be written as UTF-8 or MessagePack again.
     */
    private String checkedText(String text, String what) {
        int bad = unpairedSurrogate(text);
        if (bad >= 0) {
            throw error(what + " holds an unpaired surrogate \\u" + Integer.toHexString(text.charAt(bad)).toUpperCase()
                    + " at character " + bad + ", which is not valid Unicode");
        }
        return text;
    }

    private SerializationException error(String message) {
        return new SerializationException("malformed JSON: " + message + at(parser.currentTokenLocation()));
    }

    private static String at(JsonLocation where) {
        if (where == null || where.getLineNr() < 0) {
            return "";
        }
        return " at line " + where.getLineNr() + ", column " + where.getColumnNr();
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case START_OBJECT -> "an object";
            case END_OBJECT -> "'}'";
            case START_ARRAY -> "an array";
            case END_ARRAY -> "']'";
            case FIELD_NAME -> "a key";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.name();
        };
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    /** An array or object being filled. */
    private static final class Container {
        final List<Object> list;
        final Map<String, Object> map;
        /** The key whose value comes next, for objects. */
        String key;
        int count;

        Container(boolean object) {
            list = object ? null : new ArrayList<>();
            map = object ? new LinkedHashMap<>() : null;
        }

        void add(Object value) {
            if (list != null) {
                list.add(value);
            } else {
                map.put(key, value);
                key = null;
            }
            count++;
        }

        Object finish() {
            if (list != null) {
                return list.isEmpty() ? Collections.emptyList() : Collections.unmodifiableList(list);
            }
            return map.isEmpty() ? Collections.emptyMap() : Collections.unmodifiableMap(map);
        }
    }
}
