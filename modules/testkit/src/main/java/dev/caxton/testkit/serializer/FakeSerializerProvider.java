package dev.caxton.testkit.serializer;

import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import dev.caxton.spi.serializer.SerializerProvider;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A serializer without libraries, for unit tests of code that needs a {@link Serializer} (a
 * storage or transport under test, a runtime component) and should not depend on a plugin. It
 * passes {@link SerializerConformance} like any real codec.
 *
 * <p>The format is deliberately plain, so a failing test's bytes can be read by eye: one tag byte
 * per value ({@code N} null, {@code T}/{@code F} booleans, {@code I} a 64-bit integer, {@code G} a
 * larger integer as two's-complement bytes, {@code D} a 64-bit double, {@code S} a UTF-8 string,
 * {@code L} a list, {@code M} a map), lengths and counts as 4-byte big-endian integers before what
 * they count. It is not meant for the wire between nodes: use {@code json} or {@code msgpack}.
 * The provider is named {@code fake} and has no options.
 */
public final class FakeSerializerProvider implements SerializerProvider {

    /** The provider name. */
    public static final String NAME = "fake";

    /** Creates the provider. */
    public FakeSerializerProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "A plain tagged binary format for tests, without libraries (testkit fake)";
    }

    @Override
    public Serializer create(ProviderContext context, SerializerLimits limits) {
        Objects.requireNonNull(context, "context");
        return new Fake(Objects.requireNonNull(limits, "limits"));
    }

    /** The serializer: stateless apart from its limits, so any number of threads may share it. */
    private record Fake(SerializerLimits limits) implements Serializer {

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String mediaType() {
            return "application/x-caxton-fake";
        }

        @Override
        public byte[] encodeValue(Object value) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            put(out, value, 0, "$");
            return out.toByteArray();
        }

        private void put(ByteArrayOutputStream out, Object v, int depth, String path) {
            switch (v) {
                case null -> out.write('N');
                case Boolean b -> out.write(b ? 'T' : 'F');
                case Long l -> putLong(out, l);
                case Integer i -> putLong(out, i);
                case Short s -> putLong(out, s);
                case Byte b -> putLong(out, b);
                case BigInteger big when big.bitLength() < Long.SIZE -> putLong(out, big.longValue());
                case BigInteger big -> {
                    byte[] b = big.toByteArray();
                    out.write('G');
                    putInt(out, b.length);
                    out.writeBytes(b);
                }
                case Double d -> putDouble(out, d, path);
                case Float f -> putDouble(out, f.doubleValue(), path);
                case String s -> {
                    out.write('S');
                    putText(out, s, path);
                }
                case List<?> list -> {
                    deeper(depth, path);
                    out.write('L');
                    putInt(out, list.size());
                    int i = 0;
                    for (Object item : list) {
                        put(out, item, depth + 1, path + "[" + i++ + "]");
                    }
                }
                case Map<?, ?> map -> {
                    deeper(depth, path);
                    out.write('M');
                    putInt(out, map.size());
                    for (Map.Entry<?, ?> e : map.entrySet()) {
                        if (!(e.getKey() instanceof String key)) {
                            throw new SerializationException("map key at " + path + " is "
                                    + (e.getKey() == null ? "null" : "a " + e.getKey().getClass().getSimpleName())
                                    + "; keys must be strings");
                        }
                        putText(out, key, path);
                        put(out, e.getValue(), depth + 1, path + "." + key);
                    }
                }
                default -> throw new SerializationException(v.getClass().getSimpleName() + " at " + path
                        + " is outside the value model (null, boolean, integer, double, string, list, map)");
            }
        }

        private void deeper(int depth, String path) {
            if (depth >= limits.maxDepth()) {
                throw new SerializationException("value at " + path + " is nested deeper than the limit of "
                        + limits.maxDepth() + " levels (maxDepth)");
            }
        }

        private static void putLong(ByteArrayOutputStream out, long l) {
            out.write('I');
            out.writeBytes(ByteBuffer.allocate(8).putLong(l).array());
        }

        private static void putDouble(ByteArrayOutputStream out, double d, String path) {
            if (!Double.isFinite(d)) {
                throw new SerializationException(d + " at " + path + " is not a finite number");
            }
            out.write('D');
            out.writeBytes(ByteBuffer.allocate(8).putDouble(d).array());
        }

        private static void putText(ByteArrayOutputStream out, String s, String path) {
            ByteBuffer utf8;
            try {
                utf8 = StandardCharsets.UTF_8.newEncoder()
                        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                        .encode(CharBuffer.wrap(s));
            } catch (CharacterCodingException e) {
                throw new SerializationException("string at " + path + " is not valid Unicode (an unpaired surrogate)", e);
            }
            putInt(out, utf8.remaining());
            out.write(utf8.array(), utf8.arrayOffset() + utf8.position(), utf8.remaining());
        }

        private static void putInt(ByteArrayOutputStream out, int n) {
            out.writeBytes(ByteBuffer.allocate(4).putInt(n).array());
        }

        @Override
        public Object decodeValue(byte[] bytes) {
            Objects.requireNonNull(bytes, "bytes");
            if (bytes.length > limits.maxBytes()) {
                throw new SerializationException("input of " + bytes.length + " bytes exceeds the limit of "
                        + limits.maxBytes() + " bytes (maxBytes)");
            }
            ByteBuffer in = ByteBuffer.wrap(bytes);
            Object v = get(in, 0);
            if (in.hasRemaining()) {
                throw new SerializationException(in.remaining() + " bytes of trailing data at offset " + in.position());
            }
            return v;
        }

        private Object get(ByteBuffer in, int depth) {
            int at = in.position();
            byte tag = need(in, 1).get();
            return switch (tag) {
                case 'N' -> null;
                case 'T' -> Boolean.TRUE;
                case 'F' -> Boolean.FALSE;
                case 'I' -> need(in, 8).getLong();
                case 'G' -> {
                    byte[] b = new byte[length(in)];
                    in.get(b);
                    if (b.length == 0) {
                        throw new SerializationException("empty big integer at offset " + at);
                    }
                    BigInteger big = new BigInteger(b);
                    yield big.bitLength() < Long.SIZE ? (Object) big.longValue() : big;
                }
                case 'D' -> {
                    double d = need(in, 8).getDouble();
                    if (!Double.isFinite(d)) {
                        throw new SerializationException("non-finite double at offset " + at);
                    }
                    yield d;
                }
                case 'S' -> text(in);
                case 'L', 'M' -> {
                    if (depth >= limits.maxDepth()) {
                        throw new SerializationException("nesting deeper than the limit of " + limits.maxDepth()
                                + " levels (maxDepth) at offset " + at);
                    }
                    int n = need(in, 4).getInt();
                    if (n < 0 || n > limits.maxItems()) {
                        throw new SerializationException("a " + (tag == 'L' ? "list" : "map") + " of " + Integer.toUnsignedString(n)
                                + " items exceeds the limit of " + limits.maxItems() + " (maxItems) at offset " + at);
                    }
                    if (n > in.remaining()) {
                        throw new SerializationException("a container of " + n + " items at offset " + at
                                + " cannot fit in the " + in.remaining() + " bytes left");
                    }
                    if (tag == 'L') {
                        List<Object> list = new ArrayList<>(n);
                        for (int i = 0; i < n; i++) {
                            list.add(get(in, depth + 1));
                        }
                        yield Collections.unmodifiableList(list);
                    }
                    Map<String, Object> map = new LinkedHashMap<>();
                    for (int i = 0; i < n; i++) {
                        int keyAt = in.position();
                        String key = text(in);
                        if (map.containsKey(key)) {
                            throw new SerializationException("duplicate key at offset " + keyAt);
                        }
                        map.put(key, get(in, depth + 1));
                    }
                    yield Collections.unmodifiableMap(map);
                }
                default -> throw new SerializationException("unknown tag 0x" + Integer.toHexString(tag & 0xff) + " at offset " + at);
            };
        }

        private static String text(ByteBuffer in) {
            int at = in.position();
            int n = length(in);
            ByteBuffer slice = in.slice(in.position(), n);
            in.position(in.position() + n);
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(slice).toString();
            } catch (CharacterCodingException e) {
                throw new SerializationException("string at offset " + at + " is not valid UTF-8", e);
            }
        }

        /** Reads a length and checks the input holds that many bytes before anything is allocated. */
        private static int length(ByteBuffer in) {
            int at = in.position();
            int n = need(in, 4).getInt();
            if (n < 0 || n > in.remaining()) {
                throw new SerializationException("a length of " + Integer.toUnsignedString(n) + " at offset " + at
                        + " runs past the end of the input (" + in.remaining() + " bytes left)");
            }
            return n;
        }

        private static ByteBuffer need(ByteBuffer in, int n) {
            if (in.remaining() < n) {
                throw new SerializationException("input ends at offset " + in.limit() + " where " + n
                        + " more bytes were needed");
            }
            return in;
        }
    }
}
