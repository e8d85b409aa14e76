package dev.caxton.serializer.msgpack;

import dev.caxton.spi.serializer.SerializationException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * Writes a value of the value model as MessagePack, for one call, always in the smallest form the
 * format allows for integers, strings and container headers; doubles are always float64, so no
 * precision is lost.
 *
 * <p>It walks the value with an explicit stack, checking depth as it goes, so a value that contains
 * itself fails with a {@link SerializationException} instead of exhausting the thread's stack. Any
 * value outside the model is refused with its Java type and its path inside the value, such as
 * {@code content.items[3]}.
 */
final class MsgpackWriter {

    /**
     * Shared and never modified. A small first buffer suits envelopes, which are mostly a few hundred
     * bytes; the packer adds buffers as a value needs them.
     */
    private static final MessagePack.PackerConfig CONFIG = new MessagePack.PackerConfig().withBufferSize(512);

    private static final String MODEL = "the value model allows null, Boolean, Long (Integer, Short, Byte), "
            + "BigInteger, Double (Float), String, List and Map with String keys";

    private static final BigInteger MAX_UINT64 = BigInteger.TWO.pow(64).subtract(BigInteger.ONE);

    private final MessageBufferPacker out;
    private final int maxDepth;
    private final ArrayDeque<Frame> open = new ArrayDeque<>();

    private MsgpackWriter(MessageBufferPacker out, int maxDepth) {
        this.out = out;
        this.maxDepth = maxDepth;
    }

    /**
     * Encodes a value.
     *
     * @param maxDepth the deepest nesting allowed
     * @param value    the value
     * @return its MessagePack bytes
     * @throws SerializationException when the value is outside the value model, too deep, or an
     *         integer beyond MessagePack's range
     */
    static byte[] write(int maxDepth, Object value) {
        try (MessageBufferPacker packer = CONFIG.newBufferPacker()) {
            new MsgpackWriter(packer, maxDepth).writeTree(value);
            return packer.toByteArray();
        } catch (IOException e) {
            throw new SerializationException("cannot write MessagePack: " + e.getMessage(), e);
        }
    }

    private void writeTree(Object root) throws IOException {
        writeOne(root);
        while (!open.isEmpty()) {
            Frame frame = open.peek();
            boolean more = frame.items.hasNext();
            if (more != frame.remaining > 0) {
                // The header already promised a count; a collection that changed size (another thread,
                // or a size() that lies) would make the bytes unreadable.
                throw new SerializationException("cannot encode the " + (frame.map ? "map" : "list") + " at "
                        + path() + ": its size changed while it was being encoded");
            }
            if (!more) {
                open.pop();
                continue;
            }
            Object item = frame.items.next();
            frame.remaining--;
            if (frame.map) {
                Map.Entry<?, ?> entry = (Map.Entry<?, ?>) item;
                frame.key = null;
                if (!(entry.getKey() instanceof String key)) {
                    throw new SerializationException("cannot encode a map key of type "
                            + typeOf(entry.getKey()) + " at " + path() + ": map keys must be strings");
                }
                frame.key = key;
                writeString(key, "map key");
                writeOne(entry.getValue());
            } else {
                frame.index++;
                writeOne(item);
            }
        }
    }

    private void writeOne(Object v) throws IOException {
        if (v == null) {
            out.packNil();
        } else if (v instanceof String s) {
            writeString(s, "string");
        } else if (v instanceof Boolean b) {
            out.packBoolean(b);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            out.packLong(((Number) v).longValue());
        } else if (v instanceof BigInteger b) {
            if (b.bitLength() < Long.SIZE) {
                out.packLong(b.longValue());
            } else if (b.signum() > 0 && b.compareTo(MAX_UINT64) <= 0) {
                out.packBigInteger(b);
            } else {
                throw new SerializationException("cannot encode the integer " + b + " at " + path()
                        + ": MessagePack integers range from -2^63 to 2^64 - 1");
            }
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) {
                throw new SerializationException("cannot encode " + d + " at " + path()
                        + ": content holds only finite numbers, as JSON does");
            }
            out.packDouble(d);
        } else if (v instanceof List<?> list) {
            enter();
            int size = list.size();
            out.packArrayHeader(size);
            open.push(new Frame(false, list.iterator(), size));
        } else if (v instanceof Map<?, ?> map) {
            enter();
            int size = map.size();
            out.packMapHeader(size);
            open.push(new Frame(true, map.entrySet().iterator(), size));
        } else {
            throw new SerializationException("cannot encode a value of type " + typeOf(v) + " at " + path() + ": " + MODEL);
        }
    }

    private void writeString(String s, String what) throws IOException {
        int bad = unpairedSurrogate(s);
        if (bad >= 0) {
            throw new SerializationException("cannot encode the " + what + " at " + path() + ": unpaired surrogate \\u"
                    + Integer.toHexString(s.charAt(bad)).toUpperCase() + " at character " + bad
                    + " is not valid Unicode and has no UTF-8 form");
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.packRawStringHeader(utf8.length);
        out.writePayload(utf8);
    }

    private void enter() {
        if (open.size() >= maxDepth) {
            throw new SerializationException("cannot encode the value at " + path() + ": it nests deeper than the limit of "
                    + maxDepth + " levels (maxDepth); a list or map that contains itself never ends");
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
            if (f.map && f.key != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(f.key);
            } else if (!f.map && f.index >= 0) {
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
        final boolean map;
        final Iterator<?> items;
        int remaining;
        int index = -1;
        String key;

        Frame(boolean map, Iterator<?> items, int size) {
            this.map = map;
            this.items = items;
            this.remaining = size;
        }
    }
}
