package dev.caxton.serializer.json;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.serializer.SerializationException;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Writes a value of the value model as compact UTF-8 JSON, for one call.
 *
 * <p>It walks the value with an explicit stack, checking depth as it goes, so a value that contains
 * itself fails with a {@link SerializationException} instead of exhausting the thread's stack. Any
 * value outside the model is refused with its Java type and its path inside the value, such as
 * {@code content.items[3]}.
 */
final class JsonWriter {

    private static final String MODEL = "the value model allows null, Boolean, Long (Integer, Short, Byte), "
            + "BigInteger, Double (Float), String, List and Map with String keys";

    private final JsonGenerator out;
    private final int maxDepth;
    private final ArrayDeque<Frame> open = new ArrayDeque<>();

    private JsonWriter(JsonGenerator out, int maxDepth) {
        this.out = out;
        this.maxDepth = maxDepth;
    }

    /**
     * Encodes a value.
     *
     * @param factory  the configured factory
     * @param maxDepth the deepest nesting allowed
     * @param value    the value
     * @return its UTF-8 JSON bytes
     * @throws SerializationException when the value is outside the value model or too deep
     */
    static byte[] write(JsonFactory factory, int maxDepth, Object value) {
        ByteArrayBuilder bytes = new ByteArrayBuilder();
        try (JsonGenerator generator = factory.createGenerator(bytes, JsonEncoding.UTF8)) {
            new JsonWriter(generator, maxDepth).writeTree(value);
        } catch (IOException e) {
            throw new SerializationException("cannot write JSON: " + e.getMessage(), e);
        }
        return bytes.toByteArray();
    }

    /**
     * Encodes an envelope as the object {@link EnvelopeFields#toMap} would give, field by field in
     * the same order (so the bytes are the same), without building the map.
     *
     * @param factory  the configured factory
     * @param maxDepth the deepest nesting allowed (the envelope itself is the first level)
     * @param e        the envelope
     * @param into     where the UTF-8 bytes go; not closed
     * @throws SerializationException when the content is outside the value model or too deep
     */
    static void writeEnvelope(JsonFactory factory, int maxDepth, Envelope e, OutputStream into) {
        try (JsonGenerator generator = factory.createGenerator(into, JsonEncoding.UTF8)) {
            JsonWriter w = new JsonWriter(generator, maxDepth);
            generator.writeStartObject();
            // The envelope's frame names the field being written in errors ("content.items[3]") and
            // counts as the first level of depth, as in the map form.
            w.open.push(new Frame(true, java.util.Collections.emptyIterator()));
            EnvelopeFields.forEachPresent(e, w::envelopeField);
            generator.writeEndObject();
        } catch (IOException ex) {
            throw new SerializationException("cannot write JSON: " + ex.getMessage(), ex);
        }
    }

    private void envelopeField(String key, Object value) {
        try {
            out.writeFieldName(key);
            open.peek().key = key;
            writeTree(value);
        } catch (IOException ex) {
            throw new SerializationException("cannot write JSON: " + ex.getMessage(), ex);
        }
    }

    private void writeTree(Object root) throws IOException {
        // Frames below this depth belong to whoever called (the envelope): not ours to finish.
        int base = open.size();
        writeOne(root);
        while (open.size() > base) {
            Frame frame = open.peek();
            if (!frame.items.hasNext()) {
                open.pop();
                if (frame.object) {
                    out.writeEndObject();
                } else {
                    out.writeEndArray();
                }
                continue;
            }
            Object item = frame.items.next();
            if (frame.object) {
                Map.Entry<?, ?> entry = (Map.Entry<?, ?>) item;
                frame.key = null;
                if (!(entry.getKey() instanceof String key)) {
                    throw new SerializationException("cannot encode a map key of type "
                            + typeOf(entry.getKey()) + " at " + path() + ": map keys must be strings");
                }
                frame.key = key;
                checkUnicode(key, "map key");
                out.writeFieldName(key);
                writeOne(entry.getValue());
            } else {
                frame.index++;
                writeOne(item);
            }
        }
    }

    private void writeOne(Object v) throws IOException {
        if (v == null) {
            out.writeNull();
        } else if (v instanceof String s) {
            checkUnicode(s, "string");
            out.writeString(s);
        } else if (v instanceof Boolean b) {
            out.writeBoolean(b);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            out.writeNumber(((Number) v).longValue());
        } else if (v instanceof BigInteger b) {
            out.writeNumber(b);
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) {
                throw new SerializationException("cannot encode " + d + " at " + path()
                        + ": JSON has no NaN or infinity, only finite numbers");
            }
            out.writeNumber(d);
        } else if (v instanceof List<?> list) {
            enter();
            out.writeStartArray();
            open.push(new Frame(false, list.iterator()));
        } else if (v instanceof Map<?, ?> map) {
            enter();
            out.writeStartObject();
            open.push(new Frame(true, map.entrySet().iterator()));
        } else {
            throw new SerializationException("cannot encode a value of type " + typeOf(v) + " at " + path() + ": " + MODEL);
        }
    }

    private void enter() {
        if (open.size() >= maxDepth) {
            throw new SerializationException("cannot encode the value at " + path() + ": it nests deeper than the limit of "
                    + maxDepth + " levels (maxDepth); a list or map that contains itself never ends");
        }
    }

    private void checkUnicode(String s, String what) {
        int bad = unpairedSurrogate(s);
        if (bad >= 0) {
            throw new SerializationException("cannot encode the " + what + " at " + path() + ": unpaired surrogate \\u"
                    + Integer.toHexString(s.charAt(bad)).toUpperCase() + " at character " + bad
                    + " is not valid Unicode and has no UTF-8 form");
        }
    }

    /**
     * Finds the first UTF-16 surrogate that is not half of a proper pair.
     *
     * @param s the string
     * @return its index, or -1 when the string is valid Unicode
     */
    static int unpairedSurrogate(String s) {
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

    /** Where the walk is, as {@code content.items[3]}, or {@code the top level}. */
    private String path() {
        StringBuilder sb = new StringBuilder();
        for (Iterator<Frame> it = open.descendingIterator(); it.hasNext(); ) {
            Frame f = it.next();
            if (f.object && f.key != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(f.key);
            } else if (!f.object && f.index >= 0) {
                sb.append('[').append(f.index).append(']');
            }
        }
        return sb.isEmpty() ? "the top level" : sb.toString();
    }

    private static String typeOf(Object v) {
        return v == null ? "null" : v.getClass().getTypeName();
    }

    /** A list or map being written: what is left of it and where the walk is inside it. */
    private static final class Frame {
        final boolean object;
        final Iterator<?> items;
        int index = -1;
        String key;

        Frame(boolean object, Iterator<?> items) {
            this.object = object;
            this.items = items;
        }
    }
}
