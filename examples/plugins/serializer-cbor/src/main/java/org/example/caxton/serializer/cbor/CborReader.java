package org.example.caxton.serializer.cbor;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.SerializerLimits;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads one CBOR data item into the value model. It walks Jackson's token stream with an explicit
 * stack instead of recursion, so hostile nesting costs a refusal, not the thread's stack; it never
 * trusts a declared length (the parser reads what is there), and it counts depth and items itself
 * so that every refusal names the limit that was hit.
 */
final class CborReader {

    private final SerializerLimits limits;
    private final JsonParser in;

    private CborReader(SerializerLimits limits, JsonParser in) {
        this.limits = limits;
        this.in = in;
    }

    /**
     * Decodes exactly one data item.
     *
     * @param factory the configured factory
     * @param limits  the bounds to enforce
     * @param bytes   the input
     * @return the value, with unmodifiable lists and maps
     * @throws SerializationException when the input is malformed, trailing, too large, too deep or
     *         has too many items; the message says what and at which byte offset
     */
    static Object read(CBORFactory factory, SerializerLimits limits, byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length > limits.maxBytes()) {
            throw new SerializationException("input of " + bytes.length + " bytes exceeds the limit of "
                    + limits.maxBytes() + " bytes (maxBytes)");
        }
        if (bytes.length == 0) {
            throw new SerializationException("malformed CBOR: the input is empty");
        }
        JsonParser parser = null;
        try {
            parser = factory.createParser(bytes);
            CborReader reader = new CborReader(limits, parser);
            return reader.document();
        } catch (SerializationException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // Jackson's own refusals (truncation, bad UTF-8, its constraints) and, defensively, any
            // exception a library bug might throw on hostile bytes: both mean "not a valid input".
            String why = e.getMessage() == null ? "unreadable input" : e.getMessage().lines().findFirst().orElse("");
            throw new SerializationException("malformed CBOR: " + why + offset(parser), e);
        } finally {
            if (parser != null) {
                try {
                    parser.close();
                } catch (IOException ignored) {
                    // nothing was written, nothing to lose
                }
            }
        }
    }

    private Object document() throws IOException {
        JsonToken first = in.nextToken();
        if (first == null) {
            throw error("the input holds no data item");
        }
        Object value = tree(first);
        if (in.nextToken() != null) {
            throw error("unexpected data after the end of the first data item");
        }
        return value;
    }

    private Object tree(JsonToken first) throws IOException {
        Deque<Container> open = new ArrayDeque<>();
        JsonToken token = first;
        while (true) {
            Object value;
            switch (token) {
                case START_OBJECT, START_ARRAY -> {
                    if (open.size() >= limits.maxDepth()) {
                        throw error("nesting is deeper than the limit of " + limits.maxDepth() + " levels (maxDepth)");
                    }
                    open.push(new Container(token == JsonToken.START_OBJECT));
                    token = next();
                    continue;
                }
                case FIELD_NAME -> {
                    Container map = open.peek();
                    String key = text(in.currentName(), "key");
                    if (map.count >= limits.maxItems()) {
                        throw error("a map has more than the limit of " + limits.maxItems() + " entries (maxItems)");
                    }
                    if (map.map.containsKey(key)) {
                        throw error("the key '" + Text.brief(key) + "' appears twice in a map");
                    }
                    map.key = key;
                    token = next();
                    continue;
                }
                case END_OBJECT, END_ARRAY -> value = open.pop().close();
                case VALUE_STRING -> value = text(in.getText(), "string");
                case VALUE_NUMBER_INT -> value = integer();
                case VALUE_NUMBER_FLOAT -> value = decimal();
                case VALUE_TRUE -> value = Boolean.TRUE;
                case VALUE_FALSE -> value = Boolean.FALSE;
                case VALUE_NULL -> value = null;
                case VALUE_EMBEDDED_OBJECT -> throw error("byte strings are not part of the value model");
                default -> throw error("unexpected " + token);
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
        JsonToken t = in.nextToken();
        if (t == null) {
            throw error("the input ends inside an array or a map");
        }
        return t;
    }

    private Object integer() throws IOException {
        return switch (in.getNumberType()) {
            case INT, LONG -> in.getLongValue();
            default -> {
                BigInteger big = in.getBigIntegerValue();
                yield big.bitLength() < Long.SIZE ? (Object) big.longValue() : big;
            }
        };
    }

    private Double decimal() throws IOException {
        double d = in.getDoubleValue();
        if (!Double.isFinite(d)) {
            throw error("a floating-point value is NaN or infinite, which the value model does not allow");
        }
        return d;
    }

    private String text(String s, String what) {
        int bad = Text.unpairedSurrogate(s);
        if (bad >= 0) {
            throw error("a " + what + " holds an unpaired surrogate at character " + bad + ", which is not valid Unicode");
        }
        return s;
    }

    private SerializationException error(String message) {
        return new SerializationException("malformed CBOR: " + message + offset(in));
    }

    private static String offset(JsonParser parser) {
        if (parser == null) {
            return "";
        }
        long at = parser.currentTokenLocation().getByteOffset();
        return at < 0 ? "" : " (at byte " + at + ")";
    }

    /** A list or map being filled; its size is counted, never taken from the input's header. */
    private static final class Container {
        final List<Object> list;
        final Map<String, Object> map;
        String key;
        int count;

        Container(boolean isMap) {
            list = isMap ? null : new ArrayList<>();
            map = isMap ? new LinkedHashMap<>() : null;
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

        Object close() {
            if (list != null) {
                return list.isEmpty() ? List.of() : Collections.unmodifiableList(list);
            }
            return map.isEmpty() ? Map.of() : Collections.unmodifiableMap(map);
        }
    }
}
