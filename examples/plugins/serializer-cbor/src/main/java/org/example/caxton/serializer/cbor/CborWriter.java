package org.example.caxton.serializer.cbor;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import dev.caxton.spi.serializer.SerializationException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * Writes a value of the value model as CBOR. Containers get definite lengths (the shortest form
 * for what is known up front), integers the smallest head that holds them, doubles eight bytes so
 * that a whole double never comes back as an integer.
 */
final class CborWriter {

    private final JsonGenerator out;
    private final int maxDepth;

    private CborWriter(JsonGenerator out, int maxDepth) {
        this.out = out;
        this.maxDepth = maxDepth;
    }

    /**
     * Encodes a value.
     *
     * @param factory  the configured factory
     * @param maxDepth the deepest nesting of lists and maps allowed
     * @param value    the value
     * @return its CBOR bytes
     * @throws SerializationException when the value is outside the value model or nested too deep,
     *         naming the offending type and its path
     */
    static byte[] write(CBORFactory factory, int maxDepth, Object value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try {
            JsonGenerator generator = factory.createGenerator(bytes);
            new CborWriter(generator, maxDepth).value(value, 0, "$");
            generator.close();
        } catch (IOException e) {
            throw new SerializationException("cannot write CBOR: " + e.getMessage(), e);
        }
        return bytes.toByteArray();
    }

    private void value(Object v, int depth, String path) throws IOException {
        switch (v) {
            case null -> out.writeNull();
            case Boolean b -> out.writeBoolean(b);
            case Long l -> out.writeNumber(l);
            case Integer i -> out.writeNumber(i.longValue());
            case Short s -> out.writeNumber(s.longValue());
            case Byte b -> out.writeNumber(b.longValue());
            case BigInteger big -> {
                if (big.bitLength() < Long.SIZE) {
                    out.writeNumber(big.longValue());
                } else {
                    out.writeNumber(big);
                }
            }
            case Double d -> out.writeNumber(finite(d, path));
            case Float f -> out.writeNumber(finite(f.doubleValue(), path));
            case String s -> out.writeString(unicode(s, path));
            case List<?> list -> {
                enter(depth, path);
                out.writeStartArray(list, list.size());
                int i = 0;
                for (Object item : list) {
                    value(item, depth + 1, path + "[" + i++ + "]");
                }
                out.writeEndArray();
            }
            case Map<?, ?> map -> {
                enter(depth, path);
                out.writeStartObject(map, map.size());
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!(e.getKey() instanceof String key)) {
                        throw new SerializationException("cannot encode a map key of type "
                                + (e.getKey() == null ? "null" : e.getKey().getClass().getSimpleName())
                                + " at " + path + ": keys must be strings");
                    }
                    out.writeFieldName(unicode(key, path));
                    value(e.getValue(), depth + 1, path + "." + key);
                }
                out.writeEndObject();
            }
            default -> throw new SerializationException("cannot encode a value of type "
                    + v.getClass().getSimpleName() + " at " + path
                    + ": only null, booleans, integers, doubles, strings, lists and maps are allowed");
        }
    }

    private void enter(int depth, String path) {
        // A list that contains itself also ends here, as a value of unbounded depth.
        if (depth >= maxDepth) {
            throw new SerializationException("cannot encode " + path + ": nesting is deeper than the limit of "
                    + maxDepth + " levels (maxDepth)");
        }
    }

    private static double finite(double d, String path) {
        if (!Double.isFinite(d)) {
            throw new SerializationException("cannot encode " + d + " at " + path + ": only finite numbers are allowed");
        }
        return d;
    }

    private static String unicode(String s, String path) {
        int bad = Text.unpairedSurrogate(s);
        if (bad >= 0) {
            throw new SerializationException("cannot encode the string '" + Text.brief(s.substring(0, bad))
                    + "...' at " + path + ": it holds an unpaired surrogate at character " + bad);
        }
        return s;
    }
}
