package dev.caxton.serializer.msgpack;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.message.InvalidEnvelopeException;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.SerializerLimits;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Turns MessagePack bytes into the value model, strictly, for one call, straight from the array:
 * no unpacker, buffer or stream object per message, and no library at run time.
 *
 * <p>Every length a header declares is compared with what the input still holds before anything is
 * read or allocated, and containers are filled with growing lists rather than ones presized to the
 * declared count, so the memory spent is proportional to the input actually present. The tree is
 * built with an explicit stack, so no limit setting can turn deep input into a
 * {@link StackOverflowError}. Every error names the byte offset (from the start of the input) of the
 * value at fault. An envelope's keys are matched against the field names on their bytes, and ASCII
 * text becomes a string with one copy, so the usual envelope decodes without a detour through
 * {@link java.nio.charset.CharsetDecoder}.
 */
final class MsgpackReader {

    /** The envelope's wire names as bytes, indexed as {@link EnvelopeFields#ALL}: keys are matched on these. */
    private static final byte[][] FIELD_NAMES = EnvelopeFields.ALL.stream()
            .map(k -> k.getBytes(StandardCharsets.US_ASCII)).toArray(byte[][]::new);

    private final byte[] in;
    /** Where the input starts in {@link #in}; every offset in messages counts from here. */
    private final int base;
    /** How many bytes of {@link #in} from {@link #base} are the input. */
    private final int size;
    /** {@code base + size}: the first index past the input. */
    private final int end;
    private final SerializerLimits limits;
    /** The index in {@link #in} of the next byte to read. */
    private int pos;
    /** The offset of the value (or key) being read, for error messages. */
    private int at;
    /** Levels of nesting outside the value being read: 1 for an envelope's fields. */
    private int outer;
    /** Created at the first container: an envelope of scalars never needs one. */
    private ArrayDeque<Container> stack;

    private MsgpackReader(byte[] in, int base, int size, SerializerLimits limits) {
        this.in = in;
        this.base = base;
        this.size = size;
        this.end = base + size;
        this.limits = limits;
        this.pos = base;
    }

    /**
     * Reads one MessagePack value that must make up the whole input.
     *
     * @param limits  the bounds to enforce
     * @param bytes   the input
     * @param wantMap whether the value must be a map (an envelope); checked at its first byte
     * @return the value: null, Boolean, Long, BigInteger, Double, String, or unmodifiable List and Map
     * @throws SerializationException when the input is not one well-formed value within the limits
     */
    static Object read(SerializerLimits limits, byte[] bytes, boolean wantMap) {
        Objects.requireNonNull(bytes, "bytes");
        checkSize(limits, bytes.length);
        MsgpackReader r = new MsgpackReader(bytes, 0, bytes.length, limits);
        if (wantMap) {
            r.requireMap();
        }
        Object value = r.readTree();
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
     * between; the field rules and their messages are {@link EnvelopeFields#fromValues}'.
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
        checkSize(limits, length);
        Object[] fields = new Object[FIELD_NAMES.length];
        new MsgpackReader(bytes, offset, length, limits).readFields(fields);
        try {
            return EnvelopeFields.fromValues(fields, absentPerformative, completion);
        } catch (InvalidEnvelopeException e) {
            throw new SerializationException(e.getMessage(), e);
        }
    }

    private static void checkSize(SerializerLimits limits, int length) {
        if (length > limits.maxBytes()) {
            throw new SerializationException("input of " + length + " bytes exceeds the limit of "
                    + limits.maxBytes() + " bytes (maxBytes)");
        }
        if (length == 0) {
            throw new SerializationException("malformed MessagePack: the input is empty");
        }
    }

    /** Marks a field given as nil while reading, so a repeated key is still caught. */
    private static final Object NIL = new Object();

    private void readFields(Object[] fields) {
        int n = openContainer(requireMap(), 0).remaining;
        outer = 1;
        for (int i = 0; i < n; i++) {
            at = pos - base;
            int tag = peek();
            if (!isString(tag)) {
                throw error("map key at offset " + at + " is " + describe(tag) + ": keys must be strings");
            }
            int slot = fieldSlot();
            if (fields[slot] != null) {
                throw error("duplicate key '" + EnvelopeFields.ALL.get(slot) + "' at offset " + at);
            }
            Object value = readTree();
            // A nil value counts as absent, but a second key of the same name is still a duplicate.
            fields[slot] = value == null ? NIL : value;
        }
        for (int i = 0; i < fields.length; i++) {
            if (fields[i] == NIL) {
                fields[i] = null;
            }
        }
        requireEnd();
    }

    /**
     * Reads an envelope key (a string, its header at {@link #pos}) and returns its slot. A key whose
     * bytes are a field name is matched on them, so the usual envelope makes no key strings at all;
     * anything else is decoded (and checked) as any string is, for the message that names it.
     */
    private int fieldSlot() {
        int length = stringHeader();
        if (length <= end - pos) {
            for (int i = 0; i < FIELD_NAMES.length; i++) {
                byte[] name = FIELD_NAMES[i];
                if (name.length == length && Arrays.equals(in, pos, pos + length, name, 0, length)) {
                    pos += length;
                    return i;
                }
            }
        }
        String key = stringBody(length, "map key");
        int slot = EnvelopeFields.indexOf(key);
        if (slot < 0) {
            throw new SerializationException(EnvelopeFields.unknownField(key).getMessage());
        }
        return slot;
    }

    /** Checks the input starts with a map (the envelope), before reading the rest; returns its first byte. */
    private int requireMap() {
        int first = peek();
        if (!isMap(first)) {
            throw error("expected a map (the envelope) at offset 0, got " + describe(first));
        }
        return first;
    }

    private void requireEnd() {
        if (pos < end) {
            int offset = pos - base;
            throw error((size - offset) + " unexpected bytes after the end of the value, from offset " + offset);
        }
    }

    private Object readTree() {
        // One stack for every value of the input: it is empty again whenever a value is complete.
        ArrayDeque<Container> open = stack;
        while (true) {
            at = pos - base;
            Container parent = open == null ? null : open.peek();
            if (parent != null && parent.map != null && parent.key == null) {
                parent.key = readKey(parent);
                continue;
            }
            Object value;
            int tag = peek();
            if (tag <= 0x7f) {
                pos++;
                value = (long) tag;
            } else if (tag >= 0xe0) {
                pos++;
                value = (long) (byte) tag;
            } else if (tag >= 0xa0 && tag <= 0xbf || tag >= 0xd9 && tag <= 0xdb) {
                value = readString("string");
            } else if (tag <= 0x9f || tag >= 0xdc) {
                if (open == null) {
                    open = stack = new ArrayDeque<>(8);
                }
                Container c = openContainer(tag, outer + open.size());
                if (c.remaining > 0) {
                    open.push(c);
                    continue;
                }
                value = c.finish();
            } else {
                value = scalar(tag);
            }
            // Hand the value to its container; a container that is now full is itself a finished value.
            while (true) {
                Container c = open == null ? null : open.peek();
                if (c == null) {
                    return value;
                }
                c.add(value);
                if (c.remaining > 0) {
                    break;
                }
                open.pop();
                value = c.finish();
            }
        }
    }

    /** Reads a value whose first byte {@code tag} is in 0xc0–0xd8: nil, booleans, numbers, or what is refused. */
    private Object scalar(int tag) {
        return switch (tag) {
            case 0xc0 -> {
                pos++;
                yield null;
            }
            case 0xc2 -> {
                pos++;
                yield Boolean.FALSE;
            }
            case 0xc3 -> {
                pos++;
                yield Boolean.TRUE;
            }
            case 0xc4, 0xc5, 0xc6 -> throw error("binary data (MessagePack bin) at offset " + at
                    + " is not accepted: it has no JSON equivalent; carry bytes as a string (base64, say)");
            case 0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8 -> throw error(
                    "extension value (MessagePack ext, timestamps included) at offset " + at
                    + " is not accepted: it has no JSON equivalent");
            case 0xca -> finite(Float.intBitsToFloat((int) fixed(4)));
            case 0xcb -> finite(Double.longBitsToDouble(fixed(8)));
            case 0xcc -> fixed(1);
            case 0xcd -> fixed(2);
            case 0xce -> fixed(4);
            case 0xcf -> {
                long u64 = fixed(8);
                yield u64 >= 0 ? (Object) u64 : BigInteger.valueOf(u64 & Long.MAX_VALUE).setBit(63);
            }
            case 0xd0 -> (long) (byte) fixed(1);
            case 0xd1 -> (long) (short) fixed(2);
            case 0xd2 -> (long) (int) fixed(4);
            case 0xd3 -> fixed(8);
            default -> throw error("byte 0x" + hex(tag) + " at offset " + at
                    + " is not a MessagePack value (the format never uses it)");
        };
    }

    /**
     * Reads the {@code n} big-endian bytes after the byte at {@link #pos} as an unsigned number
     * (all 64 bits for 8), and leaves {@link #pos} after them.
     */
    private long fixed(int n) {
        int p = pos + 1;
        if (n > end - p) {
            throw truncated();
        }
        long v = 0;
        for (int i = 0; i < n; i++) {
            v = v << 8 | (in[p + i] & 0xff);
        }
        pos = p + n;
        return v;
    }

    /**
     * Reads a 32-bit length after the byte at {@link #pos}; no input can hold more than 2^31 - 1
     * bytes, so a larger one is refused as such rather than as a count of what is missing.
     */
    private int length32() {
        long n = fixed(4);
        if (n > Integer.MAX_VALUE) {
            throw error("the header at offset " + at + " declares a length beyond 2^31 - 1, which no input can hold");
        }
        return (int) n;
    }

    private Container openContainer(int tag, int depth) {
        boolean map = isMap(tag);
        String kind = map ? "map" : "array";
        if (depth >= limits.maxDepth()) {
            throw error(kind + " at offset " + at + " nests deeper than the limit of " + limits.maxDepth() + " levels (maxDepth)");
        }
        int n = switch (tag) {
            case 0xdc, 0xde -> (int) fixed(2);
            case 0xdd, 0xdf -> length32();
            default -> {
                pos++;
                yield tag & 0x0f;
            }
        };
        long left = end - pos;
        // Every element takes at least one byte, every map entry two: a count beyond that is a lie.
        long needed = map ? 2L * n : n;
        if (needed > left) {
            throw error(kind + " at offset " + at + " declares " + n + (map ? " entries" : " elements")
                    + ", which need at least " + needed + " bytes, but only " + left + " remain");
        }
        if (n > limits.maxItems()) {
            throw error(kind + " at offset " + at + " declares " + n + (map ? " entries" : " elements")
                    + ", more than the limit of " + limits.maxItems() + " items (maxItems)");
        }
        return new Container(map, n);
    }

    private String readKey(Container map) {
        int tag = peek();
        if (!isString(tag)) {
            throw error("map key at offset " + at + " is " + describe(tag) + ": keys must be strings");
        }
        String key = readString("map key");
        if (map.map.containsKey(key)) {
            throw error("duplicate key '" + abbreviate(key) + "' at offset " + at);
        }
        return key;
    }

    private String readString(String what) {
        return stringBody(stringHeader(), what);
    }

    /** Reads the header of the string at {@link #pos} and returns its declared length. */
    private int stringHeader() {
        int tag = in[pos] & 0xff;
        return switch (tag) {
            case 0xd9 -> (int) fixed(1);
            case 0xda -> (int) fixed(2);
            case 0xdb -> length32();
            default -> {
                pos++;
                yield tag & 0x1f;
            }
        };
    }

    /** Reads the {@code length} bytes of text at {@link #pos}, after its header. */
    private String stringBody(int length, String what) {
        int start = pos;
        int left = end - start;
        if (length > left) {
            throw error(what + " at offset " + at + " declares " + length + " bytes but only " + left + " remain");
        }
        pos = start + length;
        for (int i = start; i < pos; i++) {
            if (in[i] < 0) {
                return utf8(start, length, what);
            }
        }
        // Plain ASCII: each byte is its char, one copy into a compact string.
        return new String(in, start, length, StandardCharsets.ISO_8859_1);
    }

    private String utf8(int start, int length, String what) {
        String s = new String(in, start, length, StandardCharsets.UTF_8);
        // The JDK replaces malformed UTF-8 with U+FFFD; only then is a strict second look needed,
        // since the input may also hold a genuine, correctly encoded U+FFFD.
        if (s.indexOf('\uFFFD') >= 0) {
            CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            ByteBuffer bytes = ByteBuffer.wrap(in, start, length);
            CoderResult result = decoder.decode(bytes, CharBuffer.allocate(length), true);
            if (result.isError()) {
                int bad = bytes.position();
                throw error("malformed UTF-8 in the " + what + " at offset " + at + ": byte 0x" + hex(in[bad] & 0xff)
                        + " at offset " + (bad - base) + " does not fit; MessagePack strings must be valid UTF-8");
            }
        }
        return s;
    }

    private Double finite(double d) {
        if (!Double.isFinite(d)) {
            throw error("float " + d + " at offset " + at + " is not accepted: content holds only finite "
                    + "numbers, as JSON does");
        }
        return d;
    }

    /** The byte at {@link #pos}, which must exist: a value or key starts there. */
    private int peek() {
        if (pos >= end) {
            throw truncated();
        }
        return in[pos] & 0xff;
    }

    private SerializationException truncated() {
        return new SerializationException("malformed MessagePack: truncated input: the value at offset " + at
                + " needs more bytes than the " + size + " the input holds");
    }

    private static boolean isString(int tag) {
        return tag >= 0xa0 && tag <= 0xbf || tag >= 0xd9 && tag <= 0xdb;
    }

    private static boolean isMap(int tag) {
        return tag >= 0x80 && tag <= 0x8f || tag == 0xde || tag == 0xdf;
    }

    private static SerializationException error(String message) {
        return new SerializationException("malformed MessagePack: " + message);
    }

    /** What a value's first byte says it is, for messages. */
    private static String describe(int tag) {
        if (tag <= 0x7f || tag >= 0xe0 || tag >= 0xcc && tag <= 0xd3) {
            return "an integer";
        }
        if (isMap(tag)) {
            return "a map";
        }
        if (tag <= 0x9f || tag == 0xdc || tag == 0xdd) {
            return "an array";
        }
        if (isString(tag)) {
            return "a string";
        }
        return switch (tag) {
            case 0xc0 -> "nil";
            case 0xc1 -> "the never-used byte 0xc1";
            case 0xc2, 0xc3 -> "a boolean";
            case 0xc4, 0xc5, 0xc6 -> "binary data";
            case 0xca, 0xcb -> "a float";
            default -> "an extension value";
        };
    }

    private static String hex(int b) {
        return String.format("%02x", b);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    /** An array or map being filled, with the number of elements (or entries) still to come. */
    private static final class Container {
        final List<Object> list;
        final Map<String, Object> map;
        /** The key whose value comes next, for maps. */
        String key;
        int remaining;

        Container(boolean map, int declared) {
            // Not presized to the declared count: nested headers could each claim the whole input.
            this.list = map ? null : new ArrayList<>(Math.min(declared, 16));
            this.map = map ? new LinkedHashMap<>(Math.min(declared, 16) * 2) : null;
            this.remaining = declared;
        }

        void add(Object value) {
            if (list != null) {
                list.add(value);
            } else {
                map.put(key, value);
                key = null;
            }
            remaining--;
        }

        Object finish() {
            if (list != null) {
                return list.isEmpty() ? Collections.emptyList() : Collections.unmodifiableList(list);
            }
            return map.isEmpty() ? Collections.emptyMap() : Collections.unmodifiableMap(map);
        }
    }
}
