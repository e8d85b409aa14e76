package dev.caxton.serializer.msgpack;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.message.InvalidEnvelopeException;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.SerializerLimits;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessageInsufficientBufferException;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageSizeException;
import org.msgpack.core.MessageUnpacker;

/**
 * The reference for {@link MsgpackReader}: the plugin's reader as it was while msgpack-core read the
 * headers, kept word for word (only renamed) so the differential tests can hold the hand-written
 * reader to the same accept/refuse decisions, values and messages.
 *
 * <p>Turns MessagePack bytes into the value model, strictly, for one call.
 *
 * <p>msgpack-core reads the headers; this class decides what they may claim. Every length a header
 * declares is compared with what the input still holds before anything is read or allocated, and
 * containers are filled with growing lists rather than ones presized to the declared count, so the
 * memory spent is proportional to the input actually present. The tree is built with an explicit
 * stack, so no limit setting can turn deep input into a {@link StackOverflowError}. Every error
 * names the byte offset of the value at fault.
 */
final class MsgpackCoreReferenceReader {

    /** Shared and never modified: {@code newUnpacker} only reads it. */
    private static final MessagePack.UnpackerConfig CONFIG = new MessagePack.UnpackerConfig();

    private final byte[] in;
    /** Where the input starts in {@link #in}; every offset in messages counts from here. */
    private final int base;
    /** How many bytes of {@link #in} from {@link #base} are the input. */
    private final int size;
    private final SerializerLimits limits;
    private final MessageUnpacker unpacker;
    /** The offset of the value (or key) being read, for error messages. */
    private long at;
    /** Levels of nesting outside the value being read: 1 for an envelope's fields. */
    private int outer;
    private final ArrayDeque<Container> stack = new ArrayDeque<>(8);

    private MsgpackCoreReferenceReader(byte[] in, int base, int size, SerializerLimits limits, MessageUnpacker unpacker) {
        this.in = in;
        this.base = base;
        this.size = size;
        this.limits = limits;
        this.unpacker = unpacker;
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
        if (bytes.length > limits.maxBytes()) {
            throw new SerializationException("input of " + bytes.length + " bytes exceeds the limit of "
                    + limits.maxBytes() + " bytes (maxBytes)");
        }
        if (bytes.length == 0) {
            throw new SerializationException("malformed MessagePack: the input is empty");
        }
        try (MessageUnpacker unpacker = CONFIG.newUnpacker(bytes)) {
            return new MsgpackCoreReferenceReader(bytes, 0, bytes.length, limits, unpacker).readDocument(wantMap);
        } catch (IOException e) {
            throw new SerializationException("cannot read MessagePack: " + e.getMessage(), e);
        }
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
        if (length > limits.maxBytes()) {
            throw new SerializationException("input of " + length + " bytes exceeds the limit of "
                    + limits.maxBytes() + " bytes (maxBytes)");
        }
        if (length == 0) {
            throw new SerializationException("malformed MessagePack: the input is empty");
        }
        Object[] fields = new Object[EnvelopeFields.ALL.size()];
        try (MessageUnpacker unpacker = CONFIG.newUnpacker(bytes, offset, length)) {
            new MsgpackCoreReferenceReader(bytes, offset, length, limits, unpacker).readFields(fields);
        } catch (IOException e) {
            throw new SerializationException("cannot read MessagePack: " + e.getMessage(), e);
        }
        try {
            return EnvelopeFields.fromValues(fields, absentPerformative, completion);
        } catch (InvalidEnvelopeException e) {
            throw new SerializationException(e.getMessage(), e);
        }
    }

    private void readFields(Object[] fields) throws IOException {
        guarded(() -> {
            int n = openContainer(requireMap(), 0).remaining;
            outer = 1;
            for (int i = 0; i < n; i++) {
                at = unpacker.getTotalReadBytes();
                MessageFormat format = unpacker.getNextFormat();
                if (format != MessageFormat.FIXSTR && format != MessageFormat.STR8 && format != MessageFormat.STR16
                        && format != MessageFormat.STR32) {
                    throw error("map key at offset " + at + " is " + describe(format) + ": keys must be strings");
                }
                String key = readString("map key");
                int slot = EnvelopeFields.indexOf(key);
                if (slot < 0) {
                    throw new SerializationException(EnvelopeFields.unknownField(key).getMessage());
                }
                if (fields[slot] != null) {
                    throw error("duplicate key '" + abbreviate(key) + "' at offset " + at);
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
            return null;
        });
    }

    /** Marks a field given as nil while reading, so a repeated key is still caught. */
    private static final Object NIL = new Object();

    private Object readDocument(boolean wantMap) throws IOException {
        return guarded(() -> {
            if (wantMap) {
                requireMap();
            }
            Object value = readTree();
            requireEnd();
            return value;
        });
    }

    /** Checks the input starts with a map (the envelope), before reading the rest. */
    private MessageFormat requireMap() throws IOException {
        MessageFormat first = unpacker.getNextFormat();
        if (first != MessageFormat.FIXMAP && first != MessageFormat.MAP16 && first != MessageFormat.MAP32) {
            throw error("expected a map (the envelope) at offset 0, got " + describe(first));
        }
        return first;
    }

    private void requireEnd() throws IOException {
        if (unpacker.hasNext()) {
            long end = unpacker.getTotalReadBytes();
            throw error((size - end) + " unexpected bytes after the end of the value, from offset " + end);
        }
    }

    /** A step of reading that msgpack-core may abort. */
    private interface Step {
        Object run() throws IOException;
    }

    /** Runs a step, turning msgpack-core's complaints into messages that name the offset. */
    private Object guarded(Step step) throws IOException {
        try {
            return step.run();
        } catch (MessageInsufficientBufferException e) {
            throw new SerializationException("malformed MessagePack: truncated input: the value at offset " + at
                    + " needs more bytes than the " + size + " the input holds", e);
        } catch (MessageSizeException e) {
            throw new SerializationException("malformed MessagePack: the header at offset " + at
                    + " declares a length beyond 2^31 - 1, which no input can hold", e);
        } catch (MessagePackException e) {
            throw new SerializationException("malformed MessagePack at offset " + at + ": " + e.getMessage(), e);
        }
    }

    private Object readTree() throws IOException {
        // One stack for every value of the input: it is empty again whenever a value is complete.
        ArrayDeque<Container> open = stack;
        while (true) {
            at = unpacker.getTotalReadBytes();
            Container parent = open.peek();
            if (parent != null && parent.map != null && parent.key == null) {
                parent.key = readKey(parent);
                continue;
            }
            Object value;
            MessageFormat format = unpacker.getNextFormat();
            switch (format) {
                case NIL -> {
                    unpacker.unpackNil();
                    value = null;
                }
                case BOOLEAN -> value = unpacker.unpackBoolean();
                case POSFIXINT, NEGFIXINT, INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32 -> value = unpacker.unpackLong();
                case UINT64 -> {
                    BigInteger big = unpacker.unpackBigInteger();
                    value = big.bitLength() < Long.SIZE ? (Object) big.longValue() : big;
                }
                case FLOAT32, FLOAT64 -> value = readDouble();
                case FIXSTR, STR8, STR16, STR32 -> value = readString("string");
                case FIXARRAY, ARRAY16, ARRAY32, FIXMAP, MAP16, MAP32 -> {
                    Container c = openContainer(format, outer + open.size());
                    if (c.remaining > 0) {
                        open.push(c);
                        continue;
                    }
                    value = c.finish();
                }
                case BIN8, BIN16, BIN32 -> throw error("binary data (MessagePack bin) at offset " + at
                        + " is not accepted: it has no JSON equivalent; carry bytes as a string (base64, say)");
                case EXT8, EXT16, EXT32, FIXEXT1, FIXEXT2, FIXEXT4, FIXEXT8, FIXEXT16 -> throw error(
                        "extension value (MessagePack ext, timestamps included) at offset " + at
                        + " is not accepted: it has no JSON equivalent");
                default -> throw error("byte 0x" + hex(in[base + (int) at]) + " at offset " + at
                        + " is not a MessagePack value (the format never uses it)");
            }
            // Hand the value to its container; a container that is now full is itself a finished value.
            while (true) {
                Container c = open.peek();
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

    private Container openContainer(MessageFormat format, int depth) throws IOException {
        boolean map = format == MessageFormat.FIXMAP || format == MessageFormat.MAP16 || format == MessageFormat.MAP32;
        String kind = map ? "map" : "array";
        if (depth >= limits.maxDepth()) {
            throw error(kind + " at offset " + at + " nests deeper than the limit of " + limits.maxDepth() + " levels (maxDepth)");
        }
        int n = map ? unpacker.unpackMapHeader() : unpacker.unpackArrayHeader();
        long left = size - unpacker.getTotalReadBytes();
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

    private String readKey(Container map) throws IOException {
        MessageFormat format = unpacker.getNextFormat();
        if (format != MessageFormat.FIXSTR && format != MessageFormat.STR8 && format != MessageFormat.STR16
                && format != MessageFormat.STR32) {
            throw error("map key at offset " + at + " is " + describe(format) + ": keys must be strings");
        }
        String key = readString("map key");
        if (map.map.containsKey(key)) {
            throw error("duplicate key '" + abbreviate(key) + "' at offset " + at);
        }
        return key;
    }

    private String readString(String what) throws IOException {
        int length = unpacker.unpackRawStringHeader();
        int start = (int) unpacker.getTotalReadBytes();
        int left = size - start;
        if (length > left) {
            throw error(what + " at offset " + at + " declares " + length + " bytes but only " + left + " remain");
        }
        // Step over the payload without copying it: the text is decoded straight from the input.
        unpacker.readPayloadAsReference(length);
        String s = new String(in, base + start, length, StandardCharsets.UTF_8);
        // The JDK replaces malformed UTF-8 with U+FFFD; only then is a strict second look needed,
        // since the input may also hold a genuine, correctly encoded U+FFFD.
        if (s.indexOf('\uFFFD') >= 0) {
            requireUtf8(start, length, what);
        }
        return s;
    }

    private void requireUtf8(int start, int length, String what) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer bytes = ByteBuffer.wrap(in, base + start, length);
        CoderResult result = decoder.decode(bytes, CharBuffer.allocate(length), true);
        if (result.isError()) {
            int bad = bytes.position();
            throw error("malformed UTF-8 in the " + what + " at offset " + at + ": byte 0x" + hex(in[bad])
                    + " at offset " + (bad - base) + " does not fit; MessagePack strings must be valid UTF-8");
        }
    }

    private Double readDouble() throws IOException {
        double d = unpacker.unpackDouble();
        if (!Double.isFinite(d)) {
            throw error("float " + d + " at offset " + at + " is not accepted: content holds only finite "
                    + "numbers, as JSON does");
        }
        return d;
    }

    private static SerializationException error(String message) {
        return new SerializationException("malformed MessagePack: " + message);
    }

    private static String describe(MessageFormat f) {
        return switch (f) {
            case NIL -> "nil";
            case BOOLEAN -> "a boolean";
            case POSFIXINT, NEGFIXINT, INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64 -> "an integer";
            case FLOAT32, FLOAT64 -> "a float";
            case FIXSTR, STR8, STR16, STR32 -> "a string";
            case BIN8, BIN16, BIN32 -> "binary data";
            case FIXARRAY, ARRAY16, ARRAY32 -> "an array";
            case FIXMAP, MAP16, MAP32 -> "a map";
            case NEVER_USED -> "the never-used byte 0xc1";
            default -> "an extension value";
        };
    }

    private static String hex(byte b) {
        return String.format("%02x", b & 0xff);
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
