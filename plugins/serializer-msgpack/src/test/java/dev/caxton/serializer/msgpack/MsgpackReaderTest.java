package dev.caxton.serializer.msgpack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import java.lang.management.ManagementFactory;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The hand-written {@link MsgpackReader}'s rules one by one, each with the exact message and byte
 * offset it reports (the differential test compares it with the old reader at random; these pin
 * the wording down), and the two things it was written for: no library at run time, and less
 * allocated per envelope than the msgpack-core reader.
 */
class MsgpackReaderTest {

    private static final SerializerLimits LIMITS = SerializerLimits.DEFAULT;

    @Test
    void theModuleNeedsNothingButTheSpi() {
        ModuleDescriptor d = ModuleFinder.of(Path.of("target/classes")).findAll().iterator().next().descriptor();
        Set<String> requires = d.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet());
        assertThat(requires).containsExactlyInAnyOrder("java.base", "dev.caxton.spi");
    }

    @Test
    void theEchoEnvelopeAllocatesFarLessThanWithMsgpackCore() {
        Serializer s = new MsgpackSerializerProvider().create(ProviderContext.of(ProviderConfig.empty(), Path.of(".")), LIMITS);
        byte[] echo = s.encode(Envelope.builder(Performative.REQUEST).sender("bench").receiver("echo")
                .content("x".repeat(128)).messageId("0d5b8c3e-6f7a-4c1b-9e2d-3a4b5c6d7e8f").replyWith("r-17")
                .conversationId("c-17").hops(1).build());
        long reference = allocatedPerCall(() -> MsgpackCoreReferenceReader.readEnvelope(LIMITS, echo, 0, echo.length, null));
        long hand = allocatedPerCall(() -> MsgpackReader.readEnvelope(LIMITS, echo, 0, echo.length, null));
        // Both build the same envelope and strings; the difference is the unpacker, its buffers and the
        // key strings. Bytes counted, not time, so the machine's load does not matter.
        assertThat(hand).as("bytes per decode: hand-written %d, msgpack-core %d", hand, reference)
                .isLessThan(reference * 3 / 4);
    }

    private static long allocatedPerCall(Supplier<Object> decode) {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        Object keep = null;
        for (int i = 0; i < 20_000; i++) {
            keep = decode.get();
        }
        int n = 20_000;
        long before = bean.getThreadAllocatedBytes(id);
        for (int i = 0; i < n; i++) {
            keep = decode.get();
        }
        long after = bean.getThreadAllocatedBytes(id);
        assertThat(keep).isNotNull();
        return (after - before) / n;
    }

    // ---- values and their types -------------------------------------------------------------

    @Test
    void integersKeepTheirSignsAndWidths() {
        assertThat(read(0x7f)).isEqualTo(127L);
        assertThat(read(0xe0)).isEqualTo(-32L);
        assertThat(read(0xcc, 0xff)).isEqualTo(255L);
        assertThat(read(0xcd, 0xff, 0xff)).isEqualTo(65535L);
        assertThat(read(0xce, 0xff, 0xff, 0xff, 0xff)).isEqualTo(4294967295L);
        assertThat(read(0xd0, 0x80)).isEqualTo(-128L);
        assertThat(read(0xd1, 0x80, 0x00)).isEqualTo(-32768L);
        assertThat(read(0xd2, 0x80, 0, 0, 0)).isEqualTo((long) Integer.MIN_VALUE);
        assertThat(read(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0)).isEqualTo(Long.MIN_VALUE);
        assertThat(read(0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)).isEqualTo(Long.MAX_VALUE);
        assertThat(read(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
                .isEqualTo(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE));
    }

    @Test
    void floatsAreWidenedAndMustBeFinite() {
        assertThat(read(0xca, 0x3f, 0xc0, 0x00, 0x00)).isEqualTo(1.5d);
        assertThat(read(0xcb, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18)).isEqualTo(Math.PI);
        refused(0x91, 0xca, 0xff, 0x80, 0x00, 0x00).hasMessage("malformed MessagePack: float -Infinity at offset 1"
                + " is not accepted: content holds only finite numbers, as JSON does");
    }

    @Test
    void stringsInEveryHeaderFormAsciiOrNot() {
        assertThat(read(0xd9, 0x02, 'h', 'i')).isEqualTo("hi");
        assertThat(read(0xda, 0x00, 0x02, 0xc3, 0xa4)).isEqualTo("ä");
        assertThat(read(0xdb, 0x00, 0x00, 0x00, 0x04, 0xf0, 0x9f, 0x98, 0x80)).isEqualTo("\uD83D\uDE00");
    }

    // ---- rules, with their messages ---------------------------------------------------------

    @Test
    void truncatedHeadersNameTheValue() {
        refused(0x92, 0x01, 0xcd, 0x01).hasMessage("malformed MessagePack: truncated input: the value at offset 2"
                + " needs more bytes than the 4 the input holds");
        refused(0x91, 0xdc, 0x00).hasMessage("malformed MessagePack: truncated input: the value at offset 1"
                + " needs more bytes than the 3 the input holds");
        refused(0x81).hasMessage("malformed MessagePack: map at offset 0 declares 1 entries, which need at least 2"
                + " bytes, but only 0 remain");
    }

    @Test
    void declaredLengthsAreCheckedBeforeAnythingIsAllocated() {
        refused(0x91, 0xdb, 0x7f, 0xff, 0xff, 0xff, 'a').hasMessage("malformed MessagePack: string at offset 1"
                + " declares 2147483647 bytes but only 1 remain");
        refused(0xdb, 0x80, 0x00, 0x00, 0x00).hasMessage("malformed MessagePack: the header at offset 0 declares a"
                + " length beyond 2^31 - 1, which no input can hold");
        refused(0xdd, 0xff, 0xff, 0xff, 0xff).hasMessage("malformed MessagePack: the header at offset 0 declares a"
                + " length beyond 2^31 - 1, which no input can hold");
        refused(0x91, 0xdc, 0x01, 0x00, 0x01).hasMessage("malformed MessagePack: array at offset 1 declares 256"
                + " elements, which need at least 256 bytes, but only 1 remain");
    }

    @Test
    void limitsOnItemsAndDepth() {
        assertThatThrownBy(() -> MsgpackReader.read(new SerializerLimits(100, 64, 2), bytes(0x93, 1, 2, 3), false))
                .hasMessage("malformed MessagePack: array at offset 0 declares 3 elements, more than the limit of 2"
                        + " items (maxItems)");
        assertThatThrownBy(() -> MsgpackReader.read(new SerializerLimits(100, 2, 100), bytes(0x91, 0x91, 0x91, 1), false))
                .hasMessage("malformed MessagePack: array at offset 2 nests deeper than the limit of 2 levels (maxDepth)");
        assertThatThrownBy(() -> MsgpackReader.read(new SerializerLimits(3, 2, 100), bytes(0x91, 0x91, 0x91, 1), false))
                .hasMessage("input of 4 bytes exceeds the limit of 3 bytes (maxBytes)");
        // 200 levels with the default limit raised: the explicit stack, no recursion.
        byte[] deep = new byte[201];
        java.util.Arrays.fill(deep, 0, 200, (byte) 0x91);
        assertThat(MsgpackReader.read(new SerializerLimits(1000, 1000, 100), deep, false)).isInstanceOf(List.class);
    }

    @Test
    void binaryExtensionsAndTheNeverUsedByteAreRefused() {
        refused(0x91, 0xc4, 0x01, 0x00).hasMessage("malformed MessagePack: binary data (MessagePack bin) at offset 1"
                + " is not accepted: it has no JSON equivalent; carry bytes as a string (base64, say)");
        refused(0xd6, 0xff, 0, 0, 0, 0).hasMessage("malformed MessagePack: extension value (MessagePack ext,"
                + " timestamps included) at offset 0 is not accepted: it has no JSON equivalent");
        refused(0x92, 0x01, 0xc1).hasMessage("malformed MessagePack: byte 0xc1 at offset 2 is not a MessagePack"
                + " value (the format never uses it)");
    }

    @Test
    void invalidUtf8NamesTheStringAndTheByte() {
        refused(0x91, 0xa2, 0xc3, 0x28).hasMessage("malformed MessagePack: malformed UTF-8 in the string at offset 1: byte 0xc3 at offset 2 does not fit; MessagePack strings"
                + " must be valid UTF-8");
        // A genuine U+FFFD is text like any other.
        assertThat(read(0xa3, 0xef, 0xbf, 0xbd)).isEqualTo("\uFFFD");
    }

    @Test
    void keysMustBeStringsAndUnique() {
        refused(0x81, 0x01, 0xc0).hasMessage("malformed MessagePack: map key at offset 1 is an integer: keys must be strings");
        refused(0x82, 0xa1, 'a', 0x01, 0xa1, 'a', 0x02).hasMessage("malformed MessagePack: duplicate key 'a' at offset 4");
        Map<String, Object> expected = new java.util.LinkedHashMap<>();
        expected.put("a", 1L);
        expected.put("b", null);
        assertThat(read(0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0xc0)).isEqualTo(expected);
    }

    @Test
    void nothingMayFollowTheValue() {
        refused(0x01, 0x02, 0x03).hasMessage("malformed MessagePack: 2 unexpected bytes after the end of the value,"
                + " from offset 1");
    }

    // ---- envelopes --------------------------------------------------------------------------

    @Test
    void envelopeFieldsAreMatchedOnTheirBytesAndOffsetsCountFromTheInputStart() {
        byte[] env = bytes(0x82, 0xac, 'p', 'e', 'r', 'f', 'o', 'r', 'm', 'a', 't', 'i', 'v', 'e',
                0xa6, 'i', 'n', 'f', 'o', 'r', 'm', 0xa7, 'c', 'o', 'n', 't', 'e', 'n', 't', 0xa3, 'a', 'b', 'c');
        byte[] framed = new byte[env.length + 5];
        java.util.Arrays.fill(framed, (byte) 0xc1);
        System.arraycopy(env, 0, framed, 3, env.length);
        Envelope e = MsgpackReader.readEnvelope(LIMITS, framed, 3, env.length, null);
        assertThat(e.performative()).isEqualTo(Performative.INFORM);
        assertThat(e.content()).isEqualTo("abc");

        // The same key twice: named and placed from the start of the input, not of the array.
        byte[] twice = bytes(0x82, 0xa6, 's', 'e', 'n', 'd', 'e', 'r', 0xa1, 'a', 0xa6, 's', 'e', 'n', 'd', 'e', 'r', 0xc0);
        byte[] framed2 = new byte[twice.length + 2];
        System.arraycopy(twice, 0, framed2, 2, twice.length);
        assertThatThrownBy(() -> MsgpackReader.readEnvelope(LIMITS, framed2, 2, twice.length, Performative.INFORM))
                .hasMessage("malformed MessagePack: duplicate key 'sender' at offset 10");
    }

    @Test
    void envelopeKeysThatAreNoFieldsAreDecodedToBeNamed() {
        // Non-ASCII, so not matched on bytes: decoded, then refused with its name.
        assertThatThrownBy(() -> envelope(0x81, 0xa2, 0xc3, 0xa4, 0x01))
                .hasMessageStartingWith("field 'ä': unknown envelope field; known fields are performative, sender");
        assertThatThrownBy(() -> envelope(0x81, 0xa2, 0xc3, 0x28, 0x01))
                .hasMessage("malformed MessagePack: malformed UTF-8 in the map key at offset 1: byte 0xc3 at offset 2"
                        + " does not fit; MessagePack strings must be valid UTF-8");
        assertThatThrownBy(() -> envelope(0x81, 0xa5, 's', 'e', 'n', 'd'))
                .hasMessage("malformed MessagePack: map key at offset 1 declares 5 bytes but only 4 remain");
        assertThatThrownBy(() -> envelope(0x81, 0x90, 0x01))
                .hasMessage("malformed MessagePack: map key at offset 1 is an array: keys must be strings");
        assertThatThrownBy(() -> envelope(0x91, 0x01))
                .hasMessage("malformed MessagePack: expected a map (the envelope) at offset 0, got an array");
    }

    @Test
    void aNilFieldIsAbsentButStillCountsForDuplicates() {
        Envelope e = envelope(0x82, 0xa6, 's', 'e', 'n', 'd', 'e', 'r', 0xc0, 0xa7, 'c', 'o', 'n', 't', 'e', 'n', 't', 0x05);
        assertThat(e.sender()).isNull();
        assertThat(e.content()).isEqualTo(5L);
        assertThatThrownBy(() -> envelope(0x82, 0xa6, 's', 'e', 'n', 'd', 'e', 'r', 0xc0, 0xa6, 's', 'e', 'n', 'd', 'e', 'r', 0xc0))
                .hasMessage("malformed MessagePack: duplicate key 'sender' at offset 9");
    }

    @Test
    void theCompletionSeesTheCheckedFieldsBeforeTheOneBuild() {
        byte[] env = bytes(0x81, 0xa7, 'c', 'o', 'n', 't', 'e', 'n', 't', 0xa1, 'x');
        Envelope e = MsgpackReader.readEnvelope(LIMITS, env, 0, env.length, Performative.INFORM,
                fields -> fields[1] = "completed-sender");
        assertThat(e.sender()).isEqualTo("completed-sender");
        assertThat(e.performative()).isEqualTo(Performative.INFORM);
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static Object read(int... input) {
        return MsgpackReader.read(LIMITS, bytes(input), false);
    }

    private static Envelope envelope(int... input) {
        byte[] b = bytes(input);
        return MsgpackReader.readEnvelope(LIMITS, b, 0, b.length, Performative.INFORM);
    }

    private static org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> refused(int... input) {
        return assertThatThrownBy(() -> read(input)).isInstanceOf(SerializationException.class);
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }
}
