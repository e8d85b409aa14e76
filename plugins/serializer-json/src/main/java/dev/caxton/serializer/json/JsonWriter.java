package dev.caxton.serializer.json;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.serializer.EncodeBuffer;
import dev.caxton.spi.serializer.SerializationException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Writes a value of the value model as compact UTF-8 JSON, for one call.
 *
 * <p>It writes the bytes itself, straight into an {@link EncodeBuffer}, with no generator object
 * per message: an envelope encoded into an agent's reused buffer allocates the writer and, when it
 * has lists or maps, their stack; and the text of doubles and big integers. The bytes are those Jackson's UTF-8 generator gave with the settings
 * this plugin used: control characters escaped ({@code \n}, {@code \t}, {@code \b}, {@code \f},
 * {@code \r} by letter, the rest as a backslash and {@code u00XX} with upper-case hex), {@code "} and {@code \}
 * escaped, everything else as raw UTF-8 (a surrogate pair as its four bytes), integers in decimal,
 * doubles as {@link Double#toString(double)}.
 *
 * <p>It walks the value with an explicit stack, checking depth as it goes, so a value that contains
 * itself fails with a {@link SerializationException} instead of exhausting the thread's stack. Any
 * value outside the model is refused with its Java type and its path inside the value, such as
 * {@code content.items[3]}.
 */
final class JsonWriter implements EnvelopeFields.FieldSink {

    private static final String MODEL = "the value model allows null, Boolean, Long (Integer, Short, Byte), "
            + "BigInteger, Double (Float), String, List and Map with String keys";

    /** How an ASCII character is written: 0 as itself, a letter after a backslash, or {@link #UNICODE} (six bytes). */
    private static final byte[] ESCAPE = new byte[0x80];
    private static final byte UNICODE = -1;
    private static final byte[] HEX = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
    /**
     * Characters of a string written per {@link EncodeBuffer#reserve}: a long string is written in
     * pieces, so room for the worst case (six bytes a character) is never asked for all at once.
     */
    private static final int CHUNK = 512;
    /**
     * Strings this long or longer are written from a bulk copy of their bytes ({@link #writeLatin1});
     * shorter ones (names, ids) cost less through the character loop than the copy's allocation.
     */
    private static final int BULK_MIN = 32;
    /** A run of plain text shorter than this before an escape or an accent hands the rest to the character loop. */
    private static final int SHORT_RUN = 8;

    static {
        for (int c = 0; c < 0x20; c++) {
            ESCAPE[c] = UNICODE;
        }
        ESCAPE['\b'] = 'b';
        ESCAPE['\t'] = 't';
        ESCAPE['\n'] = 'n';
        ESCAPE['\f'] = 'f';
        ESCAPE['\r'] = 'r';
        ESCAPE['"'] = '"';
        ESCAPE['\\'] = '\\';
    }

    private final EncodeBuffer out;
    private final int maxDepth;
    /**
     * The envelope's field being written, or null outside an envelope. The envelope is the outer
     * object but has no frame: a message with no list or map in it then allocates no stack at all.
     */
    private String field;
    /** The lists and maps being written, innermost first; made at the first one. */
    private ArrayDeque<Frame> open;

    private JsonWriter(EncodeBuffer out, int maxDepth) {
        this.out = out;
        this.maxDepth = maxDepth;
    }

    /**
     * Encodes a value.
     *
     * @param maxDepth the deepest nesting allowed
     * @param value    the value
     * @return its UTF-8 JSON bytes
     * @throws SerializationException when the value is outside the value model or too deep
     */
    static byte[] write(int maxDepth, Object value) {
        EncodeBuffer bytes = new EncodeBuffer(256);
        new JsonWriter(bytes, maxDepth).writeTree(value);
        return bytes.toByteArray();
    }

    /**
     * Encodes an envelope as the object {@link EnvelopeFields#toMap} would give, field by field in
     * the same order (so the bytes are the same), without building the map.
     *
     * @param maxDepth the deepest nesting allowed (the envelope itself is the first level)
     * @param e        the envelope
     * @param into     where the UTF-8 bytes go
     * @throws SerializationException when the content is outside the value model or too deep
     */
    static void writeEnvelope(int maxDepth, Envelope e, EncodeBuffer into) {
        into.write('{');
        EnvelopeFields.forEachPresent(e, new JsonWriter(into, maxDepth));
        into.write('}');
    }

    /**
     * Writes one field of the envelope; only {@link #writeEnvelope} hands this writer to
     * {@link EnvelopeFields#forEachPresent}.
     *
     * @param name  the field's wire name
     * @param value its value
     */
    @Override
    public void field(String name, Object value) {
        if (field != null) {
            out.write(',');
        }
        // The field names the path in errors ("content.items[3]"), and the envelope counts as the
        // first level of depth, as in the map form.
        field = name;
        writeString(name, "map key");
        out.write(':');
        writeTree(value);
    }

    private void writeTree(Object root) {
        writeOne(root);
        while (open != null && !open.isEmpty()) {
            Frame frame = open.peek();
            if (!frame.items.hasNext()) {
                open.pop();
                out.write(frame.object ? '}' : ']');
                continue;
            }
            Object item = frame.items.next();
            if (++frame.index > 0) {
                out.write(',');
            }
            if (frame.object) {
                Map.Entry<?, ?> entry = (Map.Entry<?, ?>) item;
                frame.key = null;
                if (!(entry.getKey() instanceof String key)) {
                    throw new SerializationException("cannot encode a map key of type "
                            + typeOf(entry.getKey()) + " at " + path() + ": map keys must be strings");
                }
                frame.key = key;
                writeString(key, "map key");
                out.write(':');
                writeOne(entry.getValue());
            } else {
                writeOne(item);
            }
        }
    }

    private void writeOne(Object v) {
        if (v == null) {
            ascii("null");
        } else if (v instanceof String s) {
            writeString(s, "string");
        } else if (v instanceof Boolean b) {
            ascii(b ? "true" : "false");
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            writeLong(((Number) v).longValue());
        } else if (v instanceof BigInteger b) {
            ascii(b.toString());
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) {
                throw new SerializationException("cannot encode " + d + " at " + path()
                        + ": JSON has no NaN or infinity, only finite numbers");
            }
            ascii(Double.toString(d));
        } else if (v instanceof List<?> list) {
            enter().push(new Frame(false, list.iterator()));
            out.write('[');
        } else if (v instanceof Map<?, ?> map) {
            enter().push(new Frame(true, map.entrySet().iterator()));
            out.write('{');
        } else {
            throw new SerializationException("cannot encode a value of type " + typeOf(v) + " at " + path() + ": " + MODEL);
        }
    }

    /**
     * A string in quotes: escapes, UTF-8 and the check for unpaired surrogates in one pass, so valid
     * text costs no scan of its own and ASCII costs one table look-up a character.
     */
    private void writeString(String s, String what) {
        int n = s.length();
        out.write('"');
        int i = n < BULK_MIN ? 0 : writeLatin1(s, n);
        while (i < n) {
            int end = Math.min(n, i + CHUNK);
            // Six bytes a character covers the worst, a backslash-u escape; a pair that straddles the
            // piece's end takes four bytes for two characters, within its first character's six.
            byte[] b = out.reserve((end - i) * 6);
            int at = out.length();
            for (; i < end; i++) {
                char c = s.charAt(i);
                if (c < 0x80) {
                    byte escape = ESCAPE[c];
                    if (escape == 0) {
                        b[at++] = (byte) c;
                    } else if (escape != UNICODE) {
                        b[at++] = '\\';
                        b[at++] = escape;
                    } else {
                        b[at++] = '\\';
                        b[at++] = 'u';
                        b[at++] = '0';
                        b[at++] = '0';
                        b[at++] = HEX[c >> 4];
                        b[at++] = HEX[c & 0xf];
                    }
                } else if (c < 0x800) {
                    b[at++] = (byte) (0xc0 | c >> 6);
                    b[at++] = (byte) (0x80 | c & 0x3f);
                } else if (!Character.isSurrogate(c)) {
                    b[at++] = (byte) (0xe0 | c >> 12);
                    b[at++] = (byte) (0x80 | c >> 6 & 0x3f);
                    b[at++] = (byte) (0x80 | c & 0x3f);
                } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(++i));
                    b[at++] = (byte) (0xf0 | cp >> 18);
                    b[at++] = (byte) (0x80 | cp >> 12 & 0x3f);
                    b[at++] = (byte) (0x80 | cp >> 6 & 0x3f);
                    b[at++] = (byte) (0x80 | cp & 0x3f);
                } else {
                    throw new SerializationException("cannot encode the " + what + " at " + path() + ": unpaired surrogate \\u"
                            + Integer.toHexString(c).toUpperCase() + " at character " + i
                            + " is not valid Unicode and has no UTF-8 form");
                }
            }
            out.advance(at - out.length());
        }
        out.write('"');
    }

    /**
     * Writes a string of at most one byte a character from a copy of its bytes: the JDK hands a
     * compact (Latin-1) string's bytes over with one array copy, and eight of them at a time are
     * checked for anything that is not plain text; the runs between are copied in bulk. Only a
     * wide character stops it: the copy holds {@code ?} in its place, so each {@code ?} found is
     * compared with the string's own character. So does a short run of plain text, as in accented
     * or escape-heavy text, where stopping every few bytes costs more than the loop.
     *
     * @return {@code n} when the whole string was written, or the index of its first character
     *         above U+00FF, all before it written, for the character loop to go on from
     */
    private int writeLatin1(String s, int n) {
        byte[] latin = s.getBytes(StandardCharsets.ISO_8859_1);
        if (latin.length != n) {
            // A surrogate pair became one '?': positions no longer match, the loop does it all.
            return 0;
        }
        int i = 0;
        while (i < n) {
            int stop = PlainAscii.endOrQuestionMark(latin, i, n);
            out.write(latin, i, stop - i);
            if (stop == n) {
                return n;
            }
            if (stop - i < SHORT_RUN) {
                // Text dense with escapes or accents: the character loop takes it in its stride.
                return stop;
            }
            int c = latin[stop] & 0xff;
            if (c == '?') {
                if (s.charAt(stop) != '?') {
                    return stop;
                }
                out.write('?');
            } else if (c >= 0x80) {
                out.write(0xc0 | c >> 6);
                out.write(0x80 | c & 0x3f);
            } else {
                byte escape = ESCAPE[c];
                if (escape != UNICODE) {
                    out.write('\\');
                    out.write(escape);
                } else {
                    byte[] b = out.reserve(6);
                    int at = out.length();
                    b[at] = '\\';
                    b[at + 1] = 'u';
                    b[at + 2] = '0';
                    b[at + 3] = '0';
                    b[at + 4] = HEX[c >> 4];
                    b[at + 5] = HEX[c & 0xf];
                    out.advance(6);
                }
            }
            i = stop + 1;
        }
        return n;
    }

    /** An integer in decimal, digit by digit into the buffer, with no string in between. */
    private void writeLong(long v) {
        // Negative values cover Long.MIN_VALUE, whose magnitude has no positive long.
        long neg = v < 0 ? v : -v;
        int digits = 1;
        for (long rest = neg / 10; rest != 0; rest /= 10) {
            digits++;
        }
        int size = v < 0 ? digits + 1 : digits;
        byte[] b = out.reserve(size);
        int at = out.length();
        if (v < 0) {
            b[at] = '-';
        }
        for (int p = at + size - 1; p >= at + size - digits; p--) {
            b[p] = (byte) ('0' - (int) (neg % 10));
            neg /= 10;
        }
        out.advance(size);
    }

    /** Text known to be ASCII with nothing to escape: literals and numbers. */
    private void ascii(String s) {
        int n = s.length();
        byte[] b = out.reserve(n);
        int at = out.length();
        for (int i = 0; i < n; i++) {
            b[at + i] = (byte) s.charAt(i);
        }
        out.advance(n);
    }

    /** Checks the depth before a list or map is opened, and gives the stack to push it on. */
    private ArrayDeque<Frame> enter() {
        int depth = (open == null ? 0 : open.size()) + (field == null ? 0 : 1);
        if (depth >= maxDepth) {
            throw new SerializationException("cannot encode the value at " + path() + ": it nests deeper than the limit of "
                    + maxDepth + " levels (maxDepth); a list or map that contains itself never ends");
        }
        if (open == null) {
            open = new ArrayDeque<>(4);
        }
        return open;
    }

    /** Where the walk is, as {@code content.items[3]}, or {@code the top level}. */
    private String path() {
        StringBuilder sb = new StringBuilder(field == null ? "" : field);
        for (Iterator<Frame> it = open == null ? Collections.emptyIterator() : open.descendingIterator(); it.hasNext(); ) {
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
        /** The item or member being written, from 0; it also says whether a comma goes first. */
        int index = -1;
        String key;

        Frame(boolean object, Iterator<?> items) {
            this.object = object;
            this.items = items;
        }
    }
}
