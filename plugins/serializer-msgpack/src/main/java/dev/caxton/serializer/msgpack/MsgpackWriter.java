package dev.caxton.serializer.msgpack;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.serializer.EncodeBuffer;
import dev.caxton.spi.serializer.SerializationException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Writes a value of the value model as MessagePack, for one call, always in the smallest form the
 * format allows for integers, strings and container headers; doubles are always float64, so no
 * precision is lost. Positive integers take the unsigned forms, as msgpack-core writes them, so the
 * bytes are those any msgpack-core packer gives.
 *
 * <p>It writes the format's bytes itself, straight into an {@link EncodeBuffer}: an envelope
 * encoded into an agent's reused buffer allocates nothing but what UTF-8 conversion of non-ASCII
 * text needs.
 *
 * <p>It walks the value with an explicit stack, checking depth as it goes, so a value that contains
 * itself fails with a {@link SerializationException} instead of exhausting the thread's stack. Any
 * value outside the model is refused with its Java type and its path inside the value, such as
 * {@code content.items[3]}.
 */
final class MsgpackWriter implements EnvelopeFields.FieldSink {

    /** Eight bytes of an array as one little-endian long, the first byte lowest. */
    private static final VarHandle WORD = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /**
     * Strings this long or longer are written from the JDK's Latin-1 copy of their bytes; shorter
     * ones (names, ids) cost less through the character loop than the copy's allocation.
     */
    private static final int BULK_MIN = 32;

    private static final String MODEL = "the value model allows null, Boolean, Long (Integer, Short, Byte), "
            + "BigInteger, Double (Float), String, List and Map with String keys";

    private static final BigInteger MAX_UINT64 = BigInteger.TWO.pow(64).subtract(BigInteger.ONE);

    private final EncodeBuffer out;
    private final int maxDepth;
    /**
     * The lists and maps being written, innermost first; made at the first one, so an envelope whose
     * content is a plain value (most messages) costs no stack.
     */
    private ArrayDeque<Frame> open;
    /**
     * The envelope field being written, or null outside an envelope. The envelope is the outermost
     * map: it names the field in errors ("content.items[3]") and counts as the first level of depth,
     * as in the map form, without a frame of its own.
     */
    private String field;
    private final int envelopeLevel;

    private MsgpackWriter(EncodeBuffer out, int maxDepth, boolean envelope) {
        this.out = out;
        this.maxDepth = maxDepth;
        this.envelopeLevel = envelope ? 1 : 0;
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
        EncodeBuffer bytes = new EncodeBuffer(256);
        new MsgpackWriter(bytes, maxDepth, false).writeTree(value);
        return bytes.toByteArray();
    }

    /**
     * Encodes an envelope as the map {@link EnvelopeFields#toMap} would give, field by field in the
     * same order, without building the map.
     *
     * @param maxDepth the deepest nesting allowed (the envelope itself is the first level)
     * @param e        the envelope
     * @param into     where the bytes go
     * @throws SerializationException when the content is outside the value model or too deep
     */
    static void writeEnvelope(int maxDepth, Envelope e, EncodeBuffer into) {
        MsgpackWriter w = new MsgpackWriter(into, maxDepth, true);
        w.mapHeader(EnvelopeFields.presentCount(e));
        EnvelopeFields.forEachPresent(e, w);
    }

    /**
     * One field of the envelope being written: its key, then its value.
     *
     * @param key   the field's key
     * @param value the field's value
     */
    @Override
    public void field(String key, Object value) {
        asciiKey(key);
        field = key;
        writeTree(value);
    }

    private int openCount() {
        return open == null ? 0 : open.size();
    }

    /** A field name: always short ASCII, so its bytes are its characters. */
    private void asciiKey(String key) {
        int n = key.length();
        byte[] b = out.reserve(n + 1);
        int at = out.length();
        b[at] = (byte) (0xa0 | n);
        for (int i = 0; i < n; i++) {
            b[at + 1 + i] = (byte) key.charAt(i);
        }
        out.advance(n + 1);
    }

    private void writeTree(Object root) {
        // Frames below this depth belong to whoever called (the envelope): not ours to finish.
        int base = openCount();
        writeOne(root);
        while (openCount() > base) {
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

    private void writeOne(Object v) {
        if (v == null) {
            out.write(0xc0);
        } else if (v instanceof String s) {
            writeString(s, "string");
        } else if (v instanceof Boolean b) {
            out.write(b ? 0xc3 : 0xc2);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            writeLong(((Number) v).longValue());
        } else if (v instanceof BigInteger b) {
            if (b.bitLength() < Long.SIZE) {
                writeLong(b.longValue());
            } else if (b.signum() > 0 && b.compareTo(MAX_UINT64) <= 0) {
                // uint 64: the low 64 bits are the value, read back as unsigned.
                typed(0xcf, b.longValue(), 8);
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
            typed(0xcb, Double.doubleToRawLongBits(d), 8);
        } else if (v instanceof List<?> list) {
            enter();
            int size = list.size();
            header(size, 0x90, 0xdc, 0xdd);
            push(new Frame(false, list.iterator(), size));
        } else if (v instanceof Map<?, ?> map) {
            enter();
            int size = map.size();
            mapHeader(size);
            push(new Frame(true, map.entrySet().iterator(), size));
        } else {
            throw new SerializationException("cannot encode a value of type " + typeOf(v) + " at " + path() + ": " + MODEL);
        }
    }

    private void writeString(String s, String what) {
        int n = s.length();
        if (n >= BULK_MIN) {
            // Long text (content) from the JDK's Latin-1 copy of its bytes: one array copy for a
            // compact string, then eight bytes at a time checked to be ASCII. A wide character is
            // a '?' in the copy, told apart from a real one by the string itself.
            byte[] latin = s.getBytes(StandardCharsets.ISO_8859_1);
            if (latin.length == n && ascii(s, latin)) {
                stringHeader(n);
                out.write(latin, 0, n);
                return;
            }
        }
        // ASCII text, the usual case for ids, names and much content, is its own UTF-8: written
        // without a copy, in one pass that copies and checks at once (a check first and a copy after
        // read every character twice, on every message). The characters go after the room the
        // header will take; text that turns out not to be ASCII is left there unclaimed and written
        // the long way.
        int header = n < 32 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
        byte[] b = out.reserve(header + n);
        int at = out.length() + header;
        int seen = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            seen |= c;
            b[at + i] = (byte) c;
        }
        if (seen < 0x80) {
            // Fits in the room reserved: the header lands in front of the characters.
            stringHeader(n);
            out.advance(n);
            return;
        }
        int bad = unpairedSurrogate(s);
        if (bad >= 0) {
            throw new SerializationException("cannot encode the " + what + " at " + path() + ": unpaired surrogate \\u"
                    + Integer.toHexString(s.charAt(bad)).toUpperCase() + " at character " + bad
                    + " is not valid Unicode and has no UTF-8 form");
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        stringHeader(utf8.length);
        out.write(utf8, 0, utf8.length);
    }

    private void stringHeader(int n) {
        if (n < 32) {
            out.write(0xa0 | n);
        } else if (n < 0x100) {
            typed(0xd9, n, 1);
        } else if (n < 0x10000) {
            typed(0xda, n, 2);
        } else {
            typed(0xdb, n, 4);
        }
    }

    private void mapHeader(int n) {
        header(n, 0x80, 0xde, 0xdf);
    }

    private void header(int n, int fix, int b16, int b32) {
        if (n < 16) {
            out.write(fix | n);
        } else if (n < 0x10000) {
            typed(b16, n, 2);
        } else {
            typed(b32, n, 4);
        }
    }

    /** An integer in the smallest form: fixints, then unsigned forms for positives, signed for negatives. */
    private void writeLong(long v) {
        if (v >= 0) {
            if (v < 0x80) {
                out.write((int) v);
            } else if (v < 0x100) {
                typed(0xcc, v, 1);
            } else if (v < 0x10000) {
                typed(0xcd, v, 2);
            } else if (v < 0x1_0000_0000L) {
                typed(0xce, v, 4);
            } else {
                typed(0xcf, v, 8);
            }
        } else if (v >= -32) {
            out.write((int) v & 0xff);
        } else if (v >= Byte.MIN_VALUE) {
            typed(0xd0, v, 1);
        } else if (v >= Short.MIN_VALUE) {
            typed(0xd1, v, 2);
        } else if (v >= Integer.MIN_VALUE) {
            typed(0xd2, v, 4);
        } else {
            typed(0xd3, v, 8);
        }
    }

    /** A type byte and the low {@code size} bytes of a value, big-endian as the format has them. */
    private void typed(int type, long value, int size) {
        byte[] b = out.reserve(size + 1);
        int at = out.length();
        b[at] = (byte) type;
        for (int i = size; i >= 1; i--) {
            b[at + i] = (byte) value;
            value >>>= 8;
        }
        out.advance(size + 1);
    }

    private void push(Frame frame) {
        if (open == null) {
            open = new ArrayDeque<>(4);
        }
        open.push(frame);
    }

    private void enter() {
        if (envelopeLevel + openCount() >= maxDepth) {
            throw new SerializationException("cannot encode the value at " + path() + ": it nests deeper than the limit of "
                    + maxDepth + " levels (maxDepth); a list or map that contains itself never ends");
        }
    }

    /**
     * Whether a string's Latin-1 copy is its UTF-8: every byte ASCII, and each {@code ?} the
     * string's own (the copy puts one where a character has no Latin-1 byte).
     */
    static boolean ascii(String s, byte[] latin) {
        int n = latin.length;
        int p = 0;
        for (; p <= n - Long.BYTES; p += Long.BYTES) {
            long w = (long) WORD.get(latin, p);
            long question = w ^ 0x3F3F3F3F3F3F3F3FL;
            // The high bit of a non-ASCII byte, or of a zero byte of question (a '?'); a borrow can
            // mark a byte wrongly only above a rightly marked one, and then this word is looked at byte by byte.
            if (((w | (question - 0x0101010101010101L) & ~question) & 0x8080808080808080L) != 0) {
                for (int i = p; i < p + Long.BYTES; i++) {
                    if (!ascii(s, latin, i)) {
                        return false;
                    }
                }
            }
        }
        for (; p < n; p++) {
            if (!ascii(s, latin, p)) {
                return false;
            }
        }
        return true;
    }

    private static boolean ascii(String s, byte[] latin, int i) {
        byte c = latin[i];
        return c >= 0 && (c != '?' || s.charAt(i) == '?');
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
        if (field != null) {
            sb.append(field);
        }
        for (Iterator<Frame> it = open == null ? java.util.Collections.emptyIterator() : open.descendingIterator();
             it.hasNext(); ) {
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
