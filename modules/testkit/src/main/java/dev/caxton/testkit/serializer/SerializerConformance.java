package dev.caxton.testkit.serializer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.message.Priority;
import dev.caxton.spi.serializer.EncodeBuffer;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import dev.caxton.spi.serializer.SerializerProvider;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link SerializerProvider} must do, whoever wrote it. A provider's test extends this
 * class and names the provider, plus a few inputs only its own format can express:
 *
 * <pre>{@code
 * class MySerializerTest extends SerializerConformance {
 *     protected SerializerProvider provider() { return new MySerializerProvider(); }
 *     protected List<byte[]> hostileInputs() { return List.of(...); }
 * }
 * }</pre>
 *
 * <p>The suite never looks at bytes: it produces them with the serializer under test (or with a
 * second instance of it created with roomier limits, to craft input that breaks the strict one) and
 * checks what comes back. It covers the envelope (every field, performative and priority), the
 * whole content value model, the limits, the envelope rules of
 * {@link EnvelopeFields#fromMap}, hostile and random input, and use from many threads at once.
 *
 * <p>The contract it pins down, beyond the SPI's Javadoc:
 * <ul>
 *   <li>Depth counts containers: a scalar has depth 0, {@code []} depth 1, {@code [[1]]} depth 2.
 *       A value of depth {@code maxDepth} decodes, one level more fails. An envelope is itself a map,
 *       so its content may nest {@code maxDepth - 1} deep.</li>
 *   <li>Encoders enforce {@code maxDepth} too, so a value that refers to itself fails with a
 *       {@link SerializationException} rather than a {@link StackOverflowError}.</li>
 *   <li>Integers come back as {@link Long} when they fit, {@link BigInteger} otherwise; encoders also
 *       take {@link Integer}, {@link Short}, {@link Byte} (decoded as {@link Long}) and {@link Float}
 *       (decoded as {@link Double}), since Java code builds content with literals of those types.</li>
 *   <li>Only finite doubles and strings that are valid Unicode (no unpaired surrogate) are in the
 *       value model, so that any value survives a change of codec.</li>
 *   <li>Every failure to decode is a {@link SerializationException}, never another exception type,
 *       and error messages name the limit or the envelope field at fault.</li>
 * </ul>
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
public abstract class SerializerConformance {

    /**
     * The limits most tests run with: small enough that the limit tests stay quick, large enough
     * for every round trip of the suite.
     */
    protected static final SerializerLimits LIMITS = new SerializerLimits(64 * 1024, 16, 1_000);

    /** Limits twice as roomy, for the serializer that crafts input the strict one must refuse. */
    private static final SerializerLimits ROOMY = new SerializerLimits(
            LIMITS.maxBytes() * 2, LIMITS.maxDepth() * 2, LIMITS.maxItems() * 2);

    /** How long one hostile input may take to be refused. */
    private static final Duration HOSTILE_TIME_LIMIT = Duration.ofSeconds(2);

    /** A data directory the serializer should never need; fresh for each test. */
    @TempDir
    protected Path dataDir;

    /**
     * The provider under test. Called more than once; may return a new instance each time.
     *
     * @return the provider
     */
    protected abstract SerializerProvider provider();

    /**
     * Inputs that only this format can express and that try to make the decoder hang, recurse
     * without bound or allocate far more than the input is worth: a header declaring two billion
     * elements in a handful of bytes, a hundred thousand opening brackets, and the like. Each must
     * be refused with a {@link SerializationException} within two seconds, by a
     * decoder with the {@link #LIMITS} of the suite and by one with {@link SerializerLimits#DEFAULT}.
     *
     * <p>The suite cannot craft these itself, because they depend on the format. The default is an
     * empty list, which fails the test that runs them: every serializer has a format with headers or
     * brackets that can lie, and its test has to show that they cannot hurt.
     *
     * @return the hostile inputs, at least one
     */
    protected List<byte[]> hostileInputs() {
        return List.of();
    }

    /**
     * A serializer with the suite's {@link #LIMITS}.
     *
     * @return a new serializer from the provider under test
     */
    protected Serializer serializer() {
        return serializer(LIMITS);
    }

    /**
     * A serializer with the given limits.
     *
     * @param limits the limits
     * @return a new serializer from the provider under test
     */
    protected Serializer serializer(SerializerLimits limits) {
        SerializerProvider provider = provider();
        ProviderConfig config = ProviderConfig.of("messaging." + provider.name(), Map.of());
        return provider.create(ProviderContext.of(config, dataDir), limits);
    }

    // ---------------------------------------------------------------------------------- identity

    @Test
    @DisplayName("the provider has a configuration-friendly name and lists its options")
    void providerNameIsValid() {
        SerializerProvider provider = provider();
        assertThat(provider.name()).isNotBlank().matches("[a-z0-9-]+");
        assertThat(provider.description()).isNotNull();
        assertThat(provider.options()).isNotNull().doesNotContainNull();
    }

    @Test
    @DisplayName("the serializer reports its provider's name and a media type")
    void serializerReportsNameAndMediaType() {
        Serializer s = serializer();
        assertThat(s.name()).isEqualTo(provider().name());
        assertThat(s.mediaType()).matches("[a-z]+/[a-z0-9.+-]+");
    }

    // ------------------------------------------------------------------------- envelope round trips

    @Test
    @DisplayName("an envelope with only a performative round trips")
    void minimalEnvelopeRoundTrips() {
        Envelope e = Envelope.builder(Performative.INFORM).build();
        assertThat(roundTrip(e)).isEqualTo(e);
    }

    @Test
    @DisplayName("an envelope with all 17 fields set round trips")
    void fullEnvelopeRoundTrips() {
        Envelope e = fullEnvelope();
        assertThat(EnvelopeFields.toMap(e)).as("the sample sets every field").hasSize(EnvelopeFields.ALL.size());
        Envelope back = roundTrip(e);
        assertThat(back).isEqualTo(e);
        assertThat(back.content()).isEqualTo(e.content());
    }

    @TestFactory
    @DisplayName("every one of the 22 performatives round trips")
    Stream<DynamicTest> everyPerformativeRoundTrips() {
        assertThat(Performative.values()).hasSize(22);
        return Arrays.stream(Performative.values()).map(p -> DynamicTest.dynamicTest(p.wireName(), () -> {
            Envelope e = fullEnvelope().toBuilder().performative(p).build();
            assertThat(roundTrip(e).performative()).isEqualTo(p);
            assertThat(roundTrip(Envelope.builder(p).build())).isEqualTo(Envelope.builder(p).build());
        }));
    }

    @TestFactory
    @DisplayName("every one of the 4 priorities round trips, and absence stays absent")
    Stream<DynamicTest> everyPriorityRoundTrips() {
        assertThat(Priority.values()).hasSize(4);
        Stream<DynamicTest> each = Arrays.stream(Priority.values()).map(p -> DynamicTest.dynamicTest(p.wireName(), () -> {
            Envelope e = Envelope.builder(Performative.REQUEST).priority(p).build();
            assertThat(roundTrip(e).priority()).isEqualTo(p);
        }));
        Stream<DynamicTest> absent = Stream.of(DynamicTest.dynamicTest("absent", () ->
                assertThat(roundTrip(Envelope.builder(Performative.REQUEST).build()).priority()).isNull()));
        return Stream.concat(each, absent);
    }

    @Test
    @DisplayName("broadcast false and true and the extremes of reply_by round trip")
    void booleanAndIntegerFieldsRoundTrip() {
        for (Boolean b : new Boolean[] {false, true}) {
            Envelope e = Envelope.builder(Performative.CFP).capability("pricing").broadcast(b).build();
            assertThat(roundTrip(e).broadcast()).isEqualTo(b);
        }
        for (long t : new long[] {0L, -1L, 1_700_000_000_000L, Long.MIN_VALUE, Long.MAX_VALUE}) {
            Envelope e = Envelope.builder(Performative.CFP).replyBy(t).build();
            assertThat(roundTrip(e).replyBy()).isEqualTo(t);
        }
    }

    @Test
    @DisplayName("an envelope decodes whatever the order of its keys, and a null field counts as absent")
    void envelopeKeyOrderAndNullsDoNotMatter() {
        Serializer s = serializer();
        Map<String, Object> reversed = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>(EnvelopeFields.ALL);
        java.util.Collections.reverse(keys);
        Map<String, Object> full = EnvelopeFields.toMap(fullEnvelope());
        for (String k : keys) {
            reversed.put(k, full.get(k));
        }
        assertThat(s.decode(s.encodeValue(reversed))).isEqualTo(fullEnvelope());

        Map<String, Object> withNulls = new LinkedHashMap<>();
        withNulls.put(EnvelopeFields.PERFORMATIVE, "agree");
        withNulls.put(EnvelopeFields.SENDER, null);
        withNulls.put(EnvelopeFields.CONTENT, null);
        withNulls.put(EnvelopeFields.PRIORITY, null);
        assertThat(s.decode(s.encodeValue(withNulls))).isEqualTo(Envelope.builder(Performative.AGREE).build());
    }

    // ------------------------------------------------------------------------- the buffer path

    @Test
    @DisplayName("buffer path: an envelope encoded into a reused buffer has the bytes of encode, after what the buffer held")
    void bufferEncodingAppendsTheSameBytes() {
        Serializer s = serializer();
        EncodeBuffer buffer = new EncodeBuffer(8);
        List<Envelope> samples = new ArrayList<>();
        samples.add(fullEnvelope());
        samples.add(Envelope.builder(Performative.INFORM).build());
        samples.add(fullEnvelope().toBuilder().hops(0).traceparent(null).content(null).build());
        sampleValues().values().forEach(v -> samples.add(Envelope.builder(Performative.REQUEST).receiver("r").content(v).build()));
        for (Envelope e : samples) {
            buffer.reset();
            buffer.write(new byte[] {7, 7, 7}, 0, 3);
            s.encode(e, buffer);
            byte[] alone = s.encode(e);
            assertThat(Arrays.copyOfRange(buffer.array(), 3, buffer.length())).as("bytes of %s", e).isEqualTo(alone);
            assertThat(s.decode(buffer.array(), 3, buffer.length() - 3, null)).isEqualTo(e);
        }
    }

    @Test
    @DisplayName("buffer path: a reused buffer holds only the latest envelope, never bytes of a longer one before it")
    void reusedBufferHoldsOnlyTheLatestEnvelope() {
        Serializer s = serializer();
        EncodeBuffer buffer = new EncodeBuffer(16);
        Envelope longer = Envelope.builder(Performative.INFORM).content("secret-" + "x".repeat(500)).build();
        Envelope shorter = Envelope.builder(Performative.INFORM).content("hi").build();
        s.encode(longer, buffer);
        buffer.reset();
        s.encode(shorter, buffer);
        assertThat(buffer.length()).isEqualTo(s.encode(shorter).length);
        assertThat(buffer.toByteArray()).isEqualTo(s.encode(shorter));
        assertThat(s.decode(buffer.array(), 0, buffer.length(), null)).isEqualTo(shorter);
    }

    @Test
    @DisplayName("buffer path: decoding reads only its range, whatever lies around it")
    void sliceDecodingReadsOnlyItsRange() {
        Serializer s = serializer();
        Random random = new Random(0xB0FFE4L);
        for (Envelope e : List.of(fullEnvelope(), Envelope.builder(Performative.AGREE).build())) {
            byte[] bytes = s.encode(e);
            for (int before : new int[] {0, 1, 13}) {
                for (int after : new int[] {0, 1, 64}) {
                    byte[] padded = new byte[before + bytes.length + after];
                    random.nextBytes(padded);
                    System.arraycopy(bytes, 0, padded, before, bytes.length);
                    assertThat(s.decode(padded, before, bytes.length, null)).isEqualTo(e);
                }
            }
        }
        assertThatThrownBy(() -> s.decode(new byte[4], 2, 3, null)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    @DisplayName("buffer path: every truncation is refused even when the rest of the bytes follow in the array")
    void everyTruncatedSliceIsRefused() {
        Serializer s = serializer();
        byte[] envelope = s.encode(fullEnvelope());
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            for (int len = 0; len < envelope.length; len++) {
                int cut = len;
                assertRefused("envelope cut to " + len + " of " + envelope.length + " bytes",
                        () -> s.decode(envelope, 0, cut, null));
                assertRefused("envelope cut to " + len + " of " + envelope.length + " bytes, read as a reply",
                        () -> s.decode(envelope, 0, cut, Performative.INFORM));
            }
        });
    }

    @Test
    @DisplayName("buffer path: random bytes and corruptions decode or are refused with a SerializationException, nothing else")
    void randomSlicesDecodeOrAreRefused() {
        Serializer s = serializer();
        Random random = new Random(0x51ACEL);
        byte[] valid = s.encode(fullEnvelope());
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < 2_000; i++) {
                byte[] input = i % 2 == 0 ? mutate(valid, random) : new byte[random.nextInt(64)];
                if (i % 2 == 1) {
                    random.nextBytes(input);
                }
                byte[] padded = new byte[input.length + 8];
                random.nextBytes(padded);
                System.arraycopy(input, 0, padded, 4, input.length);
                for (Performative absent : new Performative[] {null, Performative.INFORM}) {
                    try {
                        Envelope e = s.decode(padded, 4, input.length, absent);
                        assertThat(s.decode(s.encode(e))).as("second round trip of %s", hex(input)).isEqualTo(e);
                    } catch (SerializationException refused) {
                        assertThat(refused.getMessage()).isNotBlank();
                    } catch (Throwable t) {
                        throw new AssertionError("decode of a slice threw " + t + " for " + hex(input), t);
                    }
                }
            }
        });
    }

    @Test
    @DisplayName("buffer path: a missing performative takes the one given, or is refused naming the field")
    void absentPerformativeTakesTheOneGiven() {
        Serializer s = serializer();
        byte[] noPerformative = s.encodeValue(Map.of("content", "pong", "receiver", "alice"));
        Envelope reply = s.decode(noPerformative, 0, noPerformative.length, Performative.INFORM);
        assertThat(reply).isEqualTo(Envelope.builder(Performative.INFORM).receiver("alice").content("pong").build());
        assertRefused(() -> s.decode(noPerformative, 0, noPerformative.length, null)).hasMessageContaining("performative");
        byte[] agree = s.encode(Envelope.builder(Performative.AGREE).build());
        assertThat(s.decode(agree, 0, agree.length, Performative.INFORM).performative()).isEqualTo(Performative.AGREE);
    }

    @Test
    @DisplayName("completing decode (SPI 1.4): the envelope of decode then complete, and a bad field refused before the completion runs")
    void completingDecodeEqualsDecodeThenComplete() {
        Serializer s = serializer();
        // What a host does to a reply: its own sender, a receiver when none, a fresh id, the hop count.
        EnvelopeFields.Completion completion = f -> {
            f[EnvelopeFields.indexOf(EnvelopeFields.SENDER)] = "host";
            if (f[EnvelopeFields.indexOf(EnvelopeFields.RECEIVER)] == null) {
                f[EnvelopeFields.indexOf(EnvelopeFields.RECEIVER)] = "asker";
            }
            f[EnvelopeFields.indexOf(EnvelopeFields.MESSAGE_ID)] = "fresh";
            f[EnvelopeFields.indexOf(EnvelopeFields.HOPS)] = 3;
        };
        List<Envelope> samples = new ArrayList<>();
        samples.add(fullEnvelope());
        samples.add(Envelope.builder(Performative.INFORM).build());
        samples.add(fullEnvelope().toBuilder().receiver(null).hops(0).traceparent(null).build());
        for (Envelope e : samples) {
            byte[] framed = frame(s.encode(e));
            int length = framed.length - 4;
            Envelope expected = EnvelopeFields.complete(s.decode(framed, 2, length, Performative.INFORM), completion);
            assertThat(s.decode(framed, 2, length, Performative.INFORM, completion)).as("%s", e).isEqualTo(expected);
        }
        byte[] noPerformative = s.encodeValue(Map.of("content", "pong"));
        assertThat(s.decode(noPerformative, 0, noPerformative.length, Performative.INFORM, completion)).isEqualTo(
                Envelope.builder(Performative.INFORM).sender("host").receiver("asker").content("pong")
                        .messageId("fresh").hops(3).build());
        Map<String, Object> forged = new LinkedHashMap<>();
        forged.put("performative", "inform");
        forged.put("sender", 5L);
        byte[] bytes = s.encodeValue(forged);
        boolean[] called = {false};
        assertRefused(() -> s.decode(bytes, 0, bytes.length, Performative.INFORM, f -> called[0] = true))
                .hasMessageContaining("sender");
        assertThat(called[0]).as("the completion ran on a malformed envelope").isFalse();
    }

    /** The bytes with two bytes before and after, so a decode must keep to its slice. */
    private static byte[] frame(byte[] bytes) {
        byte[] framed = new byte[bytes.length + 4];
        Arrays.fill(framed, (byte) '#');
        System.arraycopy(bytes, 0, framed, 2, bytes.length);
        return framed;
    }

    @Test
    @DisplayName("buffer path: a bad field or an unknown key is refused naming it, not with an unchecked exception")
    void badFieldsInASliceAreRefusedNamingThem() {
        Serializer s = serializer();
        Map<String, Object> wrong = new LinkedHashMap<>();
        wrong.put("performative", "inform");
        wrong.put("sender", 5L);
        byte[] bytes = s.encodeValue(wrong);
        assertRefused(() -> s.decode(bytes, 0, bytes.length, Performative.INFORM)).hasMessageContaining("sender");
        Map<String, Object> unknown = new LinkedHashMap<>();
        unknown.put("colour", "red");
        byte[] colour = s.encodeValue(unknown);
        assertRefused(() -> s.decode(colour, 0, colour.length, Performative.INFORM)).hasMessageContaining("colour");
        byte[] list = s.encodeValue(List.of("inform"));
        assertRefused(() -> s.decode(list, 0, list.length, Performative.INFORM));
    }

    // ------------------------------------------------------------------------- value model round trips

    @TestFactory
    @DisplayName("every kind of content value round trips, as envelope content and as a generic value")
    Stream<DynamicTest> contentValuesRoundTrip() {
        return sampleValues().entrySet().stream().map(sample -> DynamicTest.dynamicTest(sample.getKey(), () -> {
            Serializer s = serializer();
            Object value = sample.getValue();
            Object decoded = s.decodeValue(s.encodeValue(value));
            assertThat(decoded).isEqualTo(value);
            assertSameTypes(decoded, value);
            Envelope e = Envelope.builder(Performative.INFORM).content(value).build();
            Envelope back = s.decode(s.encode(e));
            assertThat(back).isEqualTo(e);
            assertSameTypes(back.content(), value);
        }));
    }

    @Test
    @DisplayName("negative zero stays negative zero")
    void negativeZeroKeepsItsSign() {
        Serializer s = serializer();
        Object back = s.decodeValue(s.encodeValue(-0.0d));
        assertThat(back).isInstanceOf(Double.class);
        assertThat(Double.doubleToRawLongBits((Double) back)).isEqualTo(Double.doubleToRawLongBits(-0.0d));
        Object positive = s.decodeValue(s.encodeValue(0.0d));
        assertThat(Double.doubleToRawLongBits((Double) positive)).isZero();
    }

    @Test
    @DisplayName("integers stay integers and doubles stay doubles, even when the double is whole")
    void integersAndDoublesKeepTheirKind() {
        Serializer s = serializer();
        assertThat(s.decodeValue(s.encodeValue(1L))).isInstanceOf(Long.class).isEqualTo(1L);
        assertThat(s.decodeValue(s.encodeValue(1.0d))).isInstanceOf(Double.class).isEqualTo(1.0d);
        assertThat(s.decodeValue(s.encodeValue(1e20d))).isInstanceOf(Double.class).isEqualTo(1e20d);
    }

    @Test
    @DisplayName("narrower Java numbers are accepted and come back as Long or Double")
    void narrowerNumbersAreWidened() {
        Serializer s = serializer();
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("int", Integer.MIN_VALUE);
        in.put("short", (short) -7);
        in.put("byte", (byte) 100);
        in.put("float", 1.5f);
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("int", (long) Integer.MIN_VALUE);
        expected.put("short", -7L);
        expected.put("byte", 100L);
        expected.put("float", 1.5d);
        Object back = s.decodeValue(s.encodeValue(in));
        assertThat(back).isEqualTo(expected);
        assertSameTypes(back, expected);
    }

    @Test
    @DisplayName("values nested exactly maxDepth deep decode; envelope content maxDepth - 1 deep")
    void nestingUpToTheLimitWorks() {
        Serializer s = serializer();
        Object deepest = nest(LIMITS.maxDepth(), "bottom");
        assertThat(s.decodeValue(s.encodeValue(deepest))).isEqualTo(deepest);
        Object mixed = nestMixed(LIMITS.maxDepth());
        assertThat(s.decodeValue(s.encodeValue(mixed))).isEqualTo(mixed);

        Envelope e = Envelope.builder(Performative.INFORM).content(nest(LIMITS.maxDepth() - 1, 42L)).build();
        assertThat(s.decode(s.encode(e))).isEqualTo(e);
    }

    @Test
    @DisplayName("arrays and maps of exactly maxItems elements decode")
    void itemsUpToTheLimitWork() {
        Serializer s = serializer();
        List<Object> list = new ArrayList<>();
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < LIMITS.maxItems(); i++) {
            list.add((long) i);
            map.put("k" + i, (long) i);
        }
        assertThat(s.decodeValue(s.encodeValue(list))).isEqualTo(list);
        assertThat(s.decodeValue(s.encodeValue(map))).isEqualTo(map);
    }

    @Test
    @DisplayName("input of exactly maxBytes decodes; one byte more is refused, naming the limit")
    void inputUpToMaxBytesWorks() {
        Serializer s = serializer();
        int max = LIMITS.maxBytes();
        int n = max - s.encode(withText(0)).length;
        // Adjust the text length until its encoding is the largest one that fits: formats may add a
        // byte of length header at some sizes, so one step is not always enough.
        for (int guard = 0; guard < 64; guard++) {
            int size = s.encode(withText(n)).length;
            int next = s.encode(withText(n + 1)).length;
            if (size <= max && next > max) {
                break;
            }
            n += size > max ? -Math.max(1, (size - max) / 2) : Math.max(1, (max - next) / 2);
        }
        byte[] fits = s.encode(withText(n));
        byte[] tooBig = s.encode(withText(n + 1));
        assertThat(fits.length).isLessThanOrEqualTo(max).isGreaterThan(max - 16);
        assertThat(tooBig.length).isGreaterThan(max);
        assertThat(s.decode(fits)).isEqualTo(withText(n));
        assertRefused(() -> s.decode(tooBig)).hasMessageContaining(String.valueOf(max));
        assertRefused(() -> s.decodeValue(tooBig)).hasMessageContaining(String.valueOf(max));
    }

    // ---------------------------------------------------------------------------------- bad input

    @Test
    @DisplayName("empty input is refused")
    void emptyInputIsRefused() {
        Serializer s = serializer();
        assertRefused(() -> s.decode(new byte[0]));
        assertRefused(() -> s.decodeValue(new byte[0]));
    }

    @Test
    @DisplayName("every truncation of a valid encoding is refused")
    void everyTruncationIsRefused() {
        Serializer s = serializer();
        byte[] envelope = s.encode(fullEnvelope());
        byte[] value = s.encodeValue(sampleValues().get("nested map"));
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            for (int len = 0; len < envelope.length; len++) {
                byte[] prefix = Arrays.copyOf(envelope, len);
                assertRefused("envelope cut to " + len + " of " + envelope.length + " bytes", () -> s.decode(prefix));
            }
            for (int len = 0; len < value.length; len++) {
                byte[] prefix = Arrays.copyOf(value, len);
                assertRefused("value cut to " + len + " of " + value.length + " bytes", () -> s.decodeValue(prefix));
            }
        });
    }

    @Test
    @DisplayName("random bytes and random corruptions of valid input decode or are refused, nothing else")
    void randomInputDecodesOrIsRefused() {
        Serializer s = serializer();
        Random random = new Random(0xC4A70L);
        byte[] valid = s.encode(fullEnvelope());
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < 2_000; i++) {
                byte[] garbage = new byte[random.nextInt(64)];
                random.nextBytes(garbage);
                decodesOrIsRefused(s, garbage);
            }
            for (int i = 0; i < 2_000; i++) {
                decodesOrIsRefused(s, mutate(valid, random));
            }
        });
    }

    /**
     * {@link Serializer#mayStartValue} only saves work: bytes it turns away (taken as text without
     * a parse) must be bytes {@link Serializer#decodeValue} refuses, so the result is the same as
     * if they had been parsed. Tried on plain texts, texts that look almost like values, encoded
     * values and random bytes (seeded); and the slice it is given is all it looks at.
     */
    @Test
    @DisplayName("bytes said not to start a value are refused by decodeValue; the slice is respected")
    void whatCannotStartAValueIsRefusedByTheDecoder() {
        Serializer s = serializer();
        Random random = new Random(0x5717L);
        List<byte[]> inputs = new ArrayList<>();
        for (String text : List.of("side by side", "<xml/>", "+1", "'q'", "NaN", "Infinity", "#", ".5", "/* c */ 1",
                "// c\n1", "\f1", "\u000B1", "  \n{\"a\":1}", "[1]", "\"s\"", "-1", "7", "null", "true story", "   ",
                "\u00A01", "\uFEFF1")) {
            inputs.add(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        for (Object value : List.of("text", 1L, -2L, 1.5, true, false, List.of(1L, "a"), Map.of("a", true))) {
            inputs.add(s.encodeValue(value));
        }
        inputs.add(s.encode(fullEnvelope()));
        for (int i = 0; i < 5_000; i++) {
            byte[] b = new byte[1 + random.nextInt(8)];
            random.nextBytes(b);
            inputs.add(b);
            byte[] printable = new byte[1 + random.nextInt(8)];
            for (int j = 0; j < printable.length; j++) {
                printable[j] = (byte) (0x20 + random.nextInt(0x5F));
            }
            inputs.add(printable);
        }
        for (byte[] in : inputs) {
            boolean may = s.mayStartValue(in, 0, in.length);
            byte[] amid = new byte[in.length + 6];
            random.nextBytes(amid);
            System.arraycopy(in, 0, amid, 3, in.length);
            assertThat(s.mayStartValue(amid, 3, in.length)).as("the same bytes amid others: %s", Arrays.toString(in))
                    .isEqualTo(may);
            if (!may) {
                assertThatThrownBy(() -> s.decodeValue(in)).as("said not to start a value: %s", Arrays.toString(in))
                        .isInstanceOf(SerializationException.class);
            }
        }
    }

    /**
     * The decoder as the remote path uses it: bytes from another node go straight into
     * {@link Serializer#decode} of a serializer with the node's limits ({@link SerializerLimits#DEFAULT}).
     * Seeded, so a failure names an input that can be replayed. Every input must either decode into
     * an envelope that encodes again (the node re-encodes what it refuses back to the sender) or be
     * refused with a {@link SerializationException}; each decode may allocate at most
     * {@link #FUZZ_ALLOCATION_BOUND} plus 64 bytes per input byte, so a header that lies about a
     * length cannot make the node reserve what the sender never sent.
     */
    @Test
    @DisplayName("remote path: mutated envelopes (flips, cuts, insertions, huge lengths, deep nesting) decode or are refused, in bounded memory")
    void mutatedEnvelopesAreDecodedOrRefusedInBoundedMemory() {
        Serializer s = serializer(SerializerLimits.DEFAULT);
        Random random = new Random(0x5EED_CA7L);
        List<byte[]> seeds = new ArrayList<>();
        seeds.add(s.encode(fullEnvelope()));
        seeds.add(s.encode(Envelope.builder(Performative.REQUEST).receiver("echo").content("ping").build()));
        seeds.add(s.encode(fullEnvelope().toBuilder().content(sampleValues().get("nested map")).build()));
        seeds.add(s.encode(fullEnvelope().toBuilder().content(sampleValues().get("map with odd keys")).build()));
        seeds.add(s.encode(Envelope.builder(Performative.INFORM).sender("a").content(sampleValues().get("mixed list")).build()));
        Fuzz fuzz = new Fuzz(s);
        java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
        com.sun.management.ThreadMXBean threads = bean instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported() && t.isThreadAllocatedMemoryEnabled() ? t : null;
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            long worstAllocation = 0;
            int decoded = 0;
            for (int i = 0; i < FUZZ_INPUTS; i++) {
                byte[] input = fuzz.mutate(seeds.get(random.nextInt(seeds.size())), random);
                long before = threads == null ? 0 : threads.getCurrentThreadAllocatedBytes();
                Envelope e;
                try {
                    e = s.decode(input);
                } catch (SerializationException refused) {
                    e = null;
                } catch (Throwable t) {
                    throw new AssertionError("input #" + i + ": decode threw " + t + " for " + hex(input), t);
                }
                if (threads != null) {
                    long used = threads.getCurrentThreadAllocatedBytes() - before;
                    worstAllocation = Math.max(worstAllocation, used);
                    assertThat(used).as("bytes allocated decoding input #%d (%d bytes): %s", i, input.length, hex(input))
                            .isLessThanOrEqualTo(FUZZ_ALLOCATION_BOUND + 64L * input.length);
                }
                if (e != null) {
                    decoded++;
                    Envelope decodedEnvelope = e;
                    try {
                        assertThat(s.decode(s.encode(decodedEnvelope))).isEqualTo(decodedEnvelope);
                    } catch (Throwable t) {
                        throw new AssertionError("input #" + i + " decoded but did not survive re-encoding: " + t
                                + " for " + hex(input), t);
                    }
                }
            }
            // A figure for the test log, not a condition: how much of the input got through, and the
            // largest allocation seen.
            System.out.printf("%s fuzz: %d inputs, %d decoded, worst allocation %d bytes%n",
                    s.name(), FUZZ_INPUTS, decoded, worstAllocation);
        });
    }

    @Test
    @DisplayName("input over maxBytes is refused before it is parsed")
    void oversizedInputIsRefused() {
        Serializer s = serializer();
        byte[] huge = new byte[LIMITS.maxBytes() * 4];
        Arrays.fill(huge, (byte) '[');
        assertRefused(() -> s.decodeValue(huge)).hasMessageContaining(String.valueOf(LIMITS.maxBytes()));
        assertRefused(() -> s.decode(huge)).hasMessageContaining(String.valueOf(LIMITS.maxBytes()));
        Serializer small = serializer(LIMITS.withMaxBytes(8));
        assertRefused(() -> small.decode(s.encode(fullEnvelope()))).hasMessageContaining("8");
    }

    @Test
    @DisplayName("nesting deeper than maxDepth is refused, in values and in envelope content")
    void tooDeepInputIsRefused() {
        Serializer strict = serializer();
        Serializer roomy = serializer(ROOMY);
        String limit = String.valueOf(LIMITS.maxDepth());
        byte[] deepValue = roomy.encodeValue(nest(LIMITS.maxDepth() + 1, "bottom"));
        assertRefused(() -> strict.decodeValue(deepValue)).hasMessageContaining(limit);
        byte[] deepMaps = roomy.encodeValue(nestMaps(LIMITS.maxDepth() + 1));
        assertRefused(() -> strict.decodeValue(deepMaps)).hasMessageContaining(limit);
        byte[] deepEnvelope = roomy.encode(Envelope.builder(Performative.INFORM)
                .content(nest(LIMITS.maxDepth(), 1L)).build());
        assertRefused(() -> strict.decode(deepEnvelope)).hasMessageContaining(limit);
    }

    @Test
    @DisplayName("arrays and maps with more than maxItems elements are refused")
    void tooManyItemsAreRefused() {
        Serializer strict = serializer();
        Serializer roomy = serializer(ROOMY);
        List<Object> list = new ArrayList<>();
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i <= LIMITS.maxItems(); i++) {
            list.add(null);
            map.put("k" + i, true);
        }
        String limit = String.valueOf(LIMITS.maxItems());
        byte[] longList = roomy.encodeValue(list);
        byte[] bigMap = roomy.encodeValue(map);
        assertRefused(() -> strict.decodeValue(longList)).hasMessageContaining(limit);
        assertRefused(() -> strict.decodeValue(bigMap)).hasMessageContaining(limit);
        byte[] envelope = roomy.encode(Envelope.builder(Performative.INFORM).content(List.of(list)).build());
        assertRefused(() -> strict.decode(envelope)).hasMessageContaining(limit);
    }

    @Test
    @DisplayName("an envelope without a performative is refused, naming the field")
    void missingPerformativeIsRefused() {
        Serializer s = serializer();
        assertRefused(() -> s.decode(s.encodeValue(Map.of("sender", "alice")))).hasMessageContaining("performative");
        assertRefused(() -> s.decode(s.encodeValue(Map.of()))).hasMessageContaining("performative");
        Map<String, Object> nullPerformative = new HashMap<>();
        nullPerformative.put("performative", null);
        assertRefused(() -> s.decode(s.encodeValue(nullPerformative))).hasMessageContaining("performative");
    }

    @TestFactory
    @DisplayName("an unknown performative is refused, naming the field and the word")
    Stream<DynamicTest> unknownPerformativeIsRefused() {
        return Stream.of("shout", "INFORM", "Inform", "inform ", "accept_proposal", "").map(word ->
                DynamicTest.dynamicTest("'" + word + "'", () -> {
                    Serializer s = serializer();
                    assertRefused(() -> s.decode(s.encodeValue(Map.of("performative", word))))
                            .hasMessageContaining("performative").hasMessageContaining("'" + word + "'");
                }));
    }

    @TestFactory
    @DisplayName("a field of the wrong type is refused, naming the field")
    Stream<DynamicTest> wrongFieldTypesAreRefused() {
        Map<String, Object> cases = new LinkedHashMap<>();
        cases.put("performative", 42L);
        cases.put("sender", true);
        cases.put("receiver", 7L);
        cases.put("capability", List.of("a"));
        cases.put("broadcast", "yes");
        cases.put("language", 1.5d);
        cases.put("ontology", Map.of("a", "b"));
        cases.put("protocol", false);
        cases.put("conversation_id", 12L);
        cases.put("reply_with", List.of());
        cases.put("in_reply_to", 3L);
        cases.put("reply_by", "tomorrow");
        cases.put("priority", "urgent");
        cases.put("message_id", 99L);
        cases.put("hops", "three");
        cases.put("traceparent", 5L);
        return cases.entrySet().stream().map(c -> DynamicTest.dynamicTest(c.getKey() + " = " + c.getValue(), () -> {
            Serializer s = serializer();
            Map<String, Object> m = new LinkedHashMap<>();
            if (!c.getKey().equals("performative")) {
                m.put("performative", "inform");
            }
            m.put(c.getKey(), c.getValue());
            assertRefused(() -> s.decode(s.encodeValue(m))).hasMessageContaining("'" + c.getKey() + "'");
        }));
    }

    @Test
    @DisplayName("a reply_by that is not an integer (a double, or beyond long) is refused")
    void replyByMustBeALong() {
        Serializer s = serializer();
        assertRefused(() -> s.decode(s.encodeValue(Map.of("performative", "inform", "reply_by", 1.5d))))
                .hasMessageContaining("reply_by");
        BigInteger beyond = BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.ONE);
        assertRefused(() -> s.decode(s.encodeValue(Map.of("performative", "inform", "reply_by", beyond))))
                .hasMessageContaining("reply_by");
    }

    @Test
    @DisplayName("the hop count round trips; absent (an encoding from before hop counts) it reads as 0")
    void hopsRoundTrip() {
        Serializer s = serializer();
        for (int hops : new int[] {0, 1, 32, 1000, Integer.MAX_VALUE}) {
            Envelope e = Envelope.builder(Performative.INFORM).receiver("b").hops(hops).build();
            assertThat(roundTrip(e).hops()).as("hops %d", hops).isEqualTo(hops);
        }
        assertThat(s.decode(s.encodeValue(Map.of("performative", "inform", "sender", "a"))).hops()).isZero();
        assertThat(s.decode(s.encodeValue(Map.of("performative", "inform", "hops", 5L))).hops()).isEqualTo(5);
        assertThat(EnvelopeFields.toMap(Envelope.builder(Performative.INFORM).build()))
                .as("hop count 0 is left out, so old readers and agents see the envelope as before")
                .doesNotContainKey(EnvelopeFields.HOPS);
    }

    @Test
    @DisplayName("a W3C traceparent round trips; absent it stays absent and is not written")
    void traceparentRoundTrip() {
        Serializer s = serializer();
        String tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        Envelope e = Envelope.builder(Performative.REQUEST).receiver("b").traceparent(tp).build();
        assertThat(roundTrip(e).traceparent()).isEqualTo(tp);
        assertThat(roundTrip(Envelope.builder(Performative.INFORM).build()).traceparent()).isNull();
        assertThat(EnvelopeFields.toMap(Envelope.builder(Performative.INFORM).build()))
                .doesNotContainKey(EnvelopeFields.TRACEPARENT);
    }

    @Test
    @DisplayName("a malformed traceparent is refused, naming the field")
    void badTraceparentIsRefused() {
        Serializer s = serializer();
        for (String bad : new String[] {"", "hello", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"}) {
            assertRefused(() -> s.decode(s.encodeValue(Map.of("performative", "inform", "traceparent", bad))))
                    .as("traceparent '%s'", bad).hasMessageContaining("'traceparent'");
        }
    }

    @Test
    @DisplayName("a negative, fractional or non-numeric hop count is refused, naming the field")
    void badHopsAreRefused() {
        Serializer s = serializer();
        assertRefused(() -> s.decode(s.encodeValue(Map.of("performative", "inform", "hops", -1L))))
                .hasMessageContaining("'hops'").hasMessageContaining("negative");
        assertRefused(() -> s.decode(s.encodeValue(Map.of("performative", "inform", "hops", 1.5d))))
                .hasMessageContaining("'hops'").hasMessageContaining("1.5");
        for (Object garbage : new Object[] {"7", true, List.of(1L), Map.of("n", 1L)}) {
            assertRefused(() -> s.decode(s.encodeValue(Map.of("performative", "inform", "hops", garbage))))
                    .hasMessageContaining("'hops'").hasMessageContaining("whole number");
        }
        BigInteger huge = BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.ONE);
        assertThat(s.decode(s.encodeValue(Map.of("performative", "inform", "hops", huge))).hops())
                .as("beyond long it saturates, which is past any hop limit").isEqualTo(Integer.MAX_VALUE);
        assertThatThrownBy(() -> Envelope.builder(Performative.INFORM).hops(-1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hops");
    }

    @Test
    @DisplayName("an unknown envelope field is refused, naming it")
    void unknownFieldIsRefused() {
        Serializer s = serializer();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("performative", "inform");
        m.put("colour", "red");
        assertRefused(() -> s.decode(s.encodeValue(m))).hasMessageContaining("colour");
        Map<String, Object> misspelt = new LinkedHashMap<>();
        misspelt.put("performative", "inform");
        misspelt.put("conversationId", "c-1");
        assertRefused(() -> s.decode(s.encodeValue(misspelt))).hasMessageContaining("conversationId");
    }

    @Test
    @DisplayName("an envelope that is not a map is refused")
    void envelopeMustBeAMap() {
        Serializer s = serializer();
        for (Object notAMap : new Object[] {List.of("inform"), "inform", 1L, true, null}) {
            assertRefused(() -> s.decode(s.encodeValue(notAMap)));
        }
    }

    @Test
    @DisplayName("hostile inputs (length bombs, bracket bombs) are refused quickly, without running out of memory")
    void hostileInputsAreRefusedQuickly() {
        List<byte[]> hostile = hostileInputs();
        assertThat(hostile).as("hostileInputs() must be overridden with inputs that only this format can "
                + "express: headers declaring huge lengths, very deep nesting").isNotEmpty();
        for (SerializerLimits limits : List.of(LIMITS, SerializerLimits.DEFAULT)) {
            Serializer s = serializer(limits);
            for (int i = 0; i < hostile.size(); i++) {
                byte[] input = hostile.get(i);
                String what = "hostile input #" + i + " (" + input.length + " bytes) with " + limits;
                assertTimeoutPreemptively(HOSTILE_TIME_LIMIT, () -> {
                    assertRefused(what, () -> s.decodeValue(input));
                    assertRefused(what, () -> s.decode(input));
                }, what);
            }
        }
    }

    // ---------------------------------------------------------------------------------- bad values

    @Test
    @DisplayName("encoding a value outside the value model fails, naming its type and where it is")
    void foreignTypesCannotBeEncoded() {
        Serializer s = serializer();
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("when", new Date(0));
        Envelope e = Envelope.builder(Performative.INFORM).content(content).build();
        assertCannotEncode(s, e).hasMessageContaining("Date").hasMessageContaining("when");
        assertCannotEncodeValue(s, List.of(1L, new BigDecimal("1.5"))).hasMessageContaining("BigDecimal");
        assertCannotEncodeValue(s, new Object[] {1L}).hasMessageContaining("Object[]");
        assertCannotEncodeValue(s, 'c').hasMessageContaining("Character");
        assertCannotEncodeValue(s, java.util.Set.of("a")).hasMessageContaining("Set");
    }

    @Test
    @DisplayName("encoding a map whose key is not a string fails")
    void nonStringKeysCannotBeEncoded() {
        Serializer s = serializer();
        assertCannotEncodeValue(s, Map.of(1L, "one"));
        Map<String, Object> nullKey = new HashMap<>();
        nullKey.put(null, "x");
        assertCannotEncodeValue(s, nullKey);
        assertCannotEncode(s, Envelope.builder(Performative.INFORM).content(Map.of("ok", Map.of(true, 1L))).build());
    }

    @TestFactory
    @DisplayName("NaN and the infinities cannot be encoded")
    Stream<DynamicTest> nonFiniteDoublesCannotBeEncoded() {
        return Stream.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Float.NaN)
                .map(d -> DynamicTest.dynamicTest(String.valueOf(d), () -> {
                    Serializer s = serializer();
                    assertCannotEncodeValue(s, d);
                    assertCannotEncodeValue(s, List.of(1L, d));
                    assertCannotEncode(s, Envelope.builder(Performative.INFORM).content(Map.of("x", d)).build());
                }));
    }

    @Test
    @DisplayName("strings with an unpaired surrogate cannot be encoded, as values or as keys")
    void brokenUnicodeCannotBeEncoded() {
        Serializer s = serializer();
        assertCannotEncodeValue(s, "a\uD800b");
        assertCannotEncodeValue(s, "trailing high \uD83D");
        assertCannotEncodeValue(s, "\uDE00 leading low");
        assertCannotEncodeValue(s, Map.of("key\uDC00", 1L));
        assertCannotEncode(s, Envelope.builder(Performative.INFORM).sender("x\uD800").build());
    }

    @Test
    @DisplayName("values nested deeper than maxDepth, or containing themselves, cannot be encoded")
    void tooDeepValuesCannotBeEncoded() {
        Serializer s = serializer();
        assertCannotEncodeValue(s, nest(LIMITS.maxDepth() + 1, 1L)).hasMessageContaining(String.valueOf(LIMITS.maxDepth()));
        assertCannotEncode(s, Envelope.builder(Performative.INFORM).content(nest(LIMITS.maxDepth(), 1L)).build());
        List<Object> cycle = new ArrayList<>();
        cycle.add(cycle);
        assertCannotEncodeValue(s, cycle);
        Map<String, Object> selfMap = new HashMap<>();
        selfMap.put("me", selfMap);
        assertCannotEncodeValue(s, selfMap);
    }

    // ---------------------------------------------------------------------------------- threads

    @Test
    @DisplayName("one serializer used by many threads at once gives every thread its own correct result")
    void manyThreadsShareOneSerializer() throws Exception {
        Serializer s = serializer();
        int threads = 8;
        int rounds = 300;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    int ok = 0;
                    for (int i = 0; i < rounds; i++) {
                        Map<String, Object> content = new LinkedHashMap<>();
                        content.put("thread", (long) thread);
                        content.put("round", (long) i);
                        content.put("text", "t" + thread + "-r" + i + "-\u00e9\uD83D\uDE00".repeat(i % 5));
                        content.put("list", List.of((long) i, (double) i / 3, thread % 2 == 0));
                        Envelope e = fullEnvelope().toBuilder()
                                .messageId("m-" + thread + "-" + i)
                                .performative(Performative.values()[(thread + i) % 22])
                                .content(content).build();
                        if (s.decode(s.encode(e)).equals(e) && s.decodeValue(s.encodeValue(content)).equals(content)) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            for (Future<Integer> f : results) {
                assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(rounds);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ---------------------------------------------------------------------------------- helpers

    /**
     * An envelope with every field set, content included.
     *
     * @return the envelope
     */
    protected static Envelope fullEnvelope() {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("item", "widget");
        content.put("quantity", 3L);
        content.put("price", 9.75d);
        content.put("tags", List.of("blue", "\u65e5\u672c"));
        content.put("rush", false);
        content.put("note", null);
        return Envelope.builder(Performative.ACCEPT_PROPOSAL)
                .sender("buyer-1")
                .receiver("seller-2")
                .capability("sell-widgets")
                .broadcast(true)
                .content(content)
                .language("fipa-sl")
                .ontology("commerce")
                .protocol("fipa-contract-net")
                .conversationId("conv-42")
                .replyWith("rw-7")
                .inReplyTo("rw-6")
                .replyBy(1_735_689_600_000L)
                .priority(Priority.HIGH)
                .messageId("msg-0001")
                .hops(7)
                .traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
                .build();
    }

    /**
     * One sample of every shape of content, by name. Integers beyond {@code long} stay within the
     * unsigned 64-bit range, which every first-party format can carry.
     *
     * @return the samples, insertion-ordered
     */
    protected static Map<String, Object> sampleValues() {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("null", null);
        v.put("true", true);
        v.put("false", false);
        long[] longs = {0, 1, -1, 31, 32, -32, -33, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, -32769,
            65535, 65536, Integer.MAX_VALUE, Integer.MAX_VALUE + 1L, Integer.MIN_VALUE, Integer.MIN_VALUE - 1L,
            4294967295L, 4294967296L, Long.MAX_VALUE, Long.MIN_VALUE};
        for (long l : longs) {
            v.put("long " + l, l);
        }
        BigInteger beyond = BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.ONE);
        v.put("BigInteger Long.MAX_VALUE + 1", beyond);
        v.put("BigInteger 2^64 - 1", BigInteger.TWO.pow(64).subtract(BigInteger.ONE));
        double[] doubles = {0.0, 1.0, -1.0, 1.5, -2.25, 0.1, Math.PI, -Math.E, 1e-7, 123456.789, 1e20, 1e21,
            Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE, -Double.MAX_VALUE, 1e-300, 1e300};
        for (double d : doubles) {
            v.put("double " + d, d);
        }
        v.put("empty string", "");
        v.put("ascii", "hello, world");
        v.put("latin-1", "caf\u00e9 na\u00efve \u00fc\u00df");
        v.put("CJK", "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8");
        v.put("astral plane", "\uD83D\uDE00 \uD834\uDD1E \uD800\uDC00 \uDBFF\uDFFF");
        v.put("escapes", "quote \" backslash \\ slash / tab \t newline \n return \r backspace \b formfeed \f");
        v.put("control characters", "\u0000\u0001\u001f\u007f\u0080\u009f");
        v.put("line separators", "\u2028\u2029\uFEFF\uFFFD\uFFFF");
        v.put("string of 31 bytes", "x".repeat(31));
        v.put("string of 32 bytes", "x".repeat(32));
        v.put("string of 255 bytes", "y".repeat(255));
        v.put("string of 256 bytes", "y".repeat(256));
        v.put("string of 40000 bytes", "z".repeat(40_000));
        v.put("empty list", List.of());
        v.put("empty map", Map.of());
        v.put("list of null", java.util.Collections.singletonList(null));
        v.put("list of 16", java.util.stream.LongStream.range(0, 16).boxed().toList());
        List<Object> mixed = new ArrayList<>();
        mixed.add(null);
        mixed.add(true);
        mixed.add(-5L);
        mixed.add(2.5d);
        mixed.add("s");
        mixed.add(List.of());
        mixed.add(Map.of());
        v.put("mixed list", mixed);
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("", "empty key");
        keys.put("\u00e9t\u00e9", 1L);
        keys.put("\uD83D\uDE00", 2L);
        keys.put("with \"quotes\" and \\", 3L);
        keys.put("nul\u0000key", 4L);
        keys.put("null value", null);
        v.put("map with odd keys", keys);
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("a", List.of(1L, List.of(2L, List.of(3L)), Map.of("b", List.of())));
        nested.put("c", Map.of("d", Map.of("e", "f")));
        nested.put("g", List.of(1.5d, "two", true));
        v.put("nested map", nested);
        v.put("nested depth 8", nest(8, "deep"));
        return v;
    }

    private static Envelope withText(int length) {
        return Envelope.builder(Performative.INFORM).sender("s").content("a".repeat(Math.max(0, length))).build();
    }

    /**
     * A value made of {@code depth} nested lists around {@code leaf}.
     *
     * @param depth the number of containers
     * @param leaf  the innermost value
     * @return the value, of depth {@code depth}
     */
    protected static Object nest(int depth, Object leaf) {
        Object v = leaf;
        for (int i = 0; i < depth; i++) {
            v = java.util.Collections.singletonList(v);
        }
        return v;
    }

    private static Object nestMaps(int depth) {
        Object v = "leaf";
        for (int i = 0; i < depth; i++) {
            v = Map.of("level" + i, v);
        }
        return v;
    }

    private static Object nestMixed(int depth) {
        Object v = 7L;
        for (int i = 0; i < depth; i++) {
            v = i % 2 == 0 ? List.of("x", v) : Map.of("k", v, "other", "y");
        }
        return v;
    }

    private Envelope roundTrip(Envelope e) {
        Serializer s = serializer();
        return s.decode(s.encode(e));
    }

    /** Checks that decoding produced exactly the value model's types, down to every leaf. */
    private static void assertSameTypes(Object actual, Object expected) {
        if (expected == null) {
            assertThat(actual).isNull();
            return;
        }
        assertThat(actual).isNotNull();
        if (expected instanceof List<?> el) {
            assertThat(actual).isInstanceOf(List.class);
            List<?> al = (List<?>) actual;
            for (int i = 0; i < el.size(); i++) {
                assertSameTypes(al.get(i), el.get(i));
            }
        } else if (expected instanceof Map<?, ?> em) {
            assertThat(actual).isInstanceOf(Map.class);
            Map<?, ?> am = (Map<?, ?>) actual;
            for (Map.Entry<?, ?> entry : em.entrySet()) {
                assertSameTypes(am.get(entry.getKey()), entry.getValue());
            }
        } else {
            assertThat(actual.getClass()).as("type of %s", expected).isEqualTo(expected.getClass());
        }
    }

    /** Either the input decodes, into something that survives another round trip, or it is refused. */
    private static void decodesOrIsRefused(Serializer s, byte[] input) {
        Object value;
        try {
            value = s.decodeValue(input);
        } catch (SerializationException expected) {
            value = Refused.INSTANCE;
        } catch (Throwable t) {
            throw new AssertionError("decodeValue threw " + t + " for " + hex(input), t);
        }
        if (value != Refused.INSTANCE) {
            Object again;
            try {
                again = s.decodeValue(s.encodeValue(value));
            } catch (Throwable t) {
                throw new AssertionError("a decoded value did not survive another round trip: " + t + " for " + hex(input), t);
            }
            assertThat(again).as("second round trip of %s", hex(input)).isEqualTo(value);
        }
        try {
            Envelope e = s.decode(input);
            assertThat(s.decode(s.encode(e))).as("second round trip of %s", hex(input)).isEqualTo(e);
        } catch (SerializationException expected) {
            // refusing is one of the two allowed outcomes
        } catch (Throwable t) {
            throw new AssertionError("decode threw " + t + " for " + hex(input), t);
        }
    }

    /** Marks "refused" in {@link #decodesOrIsRefused}, where null is a valid decoded value. */
    private enum Refused { INSTANCE }

    private static byte[] mutate(byte[] valid, Random random) {
        byte[] b = valid.clone();
        switch (random.nextInt(4)) {
            case 0 -> {
                int flips = 1 + random.nextInt(3);
                for (int i = 0; i < flips; i++) {
                    b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                }
            }
            case 1 -> b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
            case 2 -> {
                int at = random.nextInt(b.length);
                byte[] longer = new byte[b.length + 1];
                System.arraycopy(b, 0, longer, 0, at);
                longer[at] = (byte) random.nextInt(256);
                System.arraycopy(b, at, longer, at + 1, b.length - at);
                b = longer;
            }
            default -> {
                int at = random.nextInt(b.length);
                byte[] shorter = new byte[b.length - 1];
                System.arraycopy(b, 0, shorter, 0, at);
                System.arraycopy(b, at + 1, shorter, at, b.length - at - 1);
                b = shorter;
            }
        }
        return b;
    }

    /** Mutated inputs per serializer in {@link #mutatedEnvelopesAreDecodedOrRefusedInBoundedMemory}. */
    private static final int FUZZ_INPUTS = 20_000;

    /** What one decode of a small input may allocate, whatever the input says about its own lengths. */
    private static final long FUZZ_ALLOCATION_BOUND = 16L << 20;

    /**
     * Mutations of valid encodings. The format is unknown here, so the structural pieces (the bytes
     * that open a list or a one-entry map) are learnt from the serializer itself: it encodes a list
     * and a map around a marker string, and whatever precedes the marker is the opener.
     */
    private static final class Fuzz {
        private final byte[] listOpener;
        private final byte[] mapOpener;

        Fuzz(Serializer s) {
            String marker = "\u0001fuzz-marker\u0002";
            byte[] alone = s.encodeValue(marker);
            listOpener = before(s.encodeValue(List.of(marker)), alone);
            mapOpener = before(s.encodeValue(Map.of("k", marker)), alone);
        }

        private static byte[] before(byte[] outer, byte[] inner) {
            for (int at = 0; at + inner.length <= outer.length; at++) {
                if (Arrays.equals(outer, at, at + inner.length, inner, 0, inner.length)) {
                    return Arrays.copyOf(outer, at);
                }
            }
            throw new IllegalStateException("the serializer does not encode a string the same inside a list");
        }

        byte[] mutate(byte[] valid, Random random) {
            byte[] b = valid.clone();
            int rounds = 1 + (random.nextInt(4) == 0 ? random.nextInt(4) : 0);
            for (int r = 0; r < rounds && b.length > 0; r++) {
                b = once(b, random);
            }
            return b;
        }

        private byte[] once(byte[] b, Random random) {
            int at = random.nextInt(b.length);
            return switch (random.nextInt(8)) {
                case 0 -> { // flip one bit
                    b[at] ^= (byte) (1 << random.nextInt(8));
                    yield b;
                }
                case 1 -> { // an interesting byte: a boundary of some length or type field
                    byte[] interesting = {0, 1, (byte) 0x7f, (byte) 0x80, (byte) 0xff, (byte) 0xc0, (byte) 0xdd,
                        (byte) 0xdf, '[', '{', '"', '\\', ':', ','};
                    b[at] = interesting[random.nextInt(interesting.length)];
                    yield b;
                }
                case 2 -> Arrays.copyOf(b, at); // truncation
                case 3 -> { // insertion of a few random bytes
                    byte[] extra = new byte[1 + random.nextInt(8)];
                    random.nextBytes(extra);
                    yield splice(b, at, 0, extra);
                }
                case 4 -> { // a huge length: four bytes of 0x7fffffff, 0xffffffff or 0x80000000
                    int[] huge = {0x7fffffff, 0xffffffff, 0x80000000, 0x0fffffff, 0x0000ffff};
                    int v = huge[random.nextInt(huge.length)];
                    byte[] four = {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
                    yield splice(b, at, Math.min(4, b.length - at), four);
                }
                case 5 -> { // deep nesting: openers of lists or maps by the thousand
                    byte[] opener = random.nextBoolean() ? listOpener : mapOpener;
                    int depth = 1 + random.nextInt(5_000);
                    byte[] run = new byte[opener.length * depth];
                    for (int i = 0; i < depth; i++) {
                        System.arraycopy(opener, 0, run, i * opener.length, opener.length);
                    }
                    yield splice(b, at, 0, run);
                }
                case 6 -> { // a chunk of the input copied elsewhere in it
                    int from = random.nextInt(b.length);
                    int len = 1 + random.nextInt(Math.min(32, b.length - from));
                    yield splice(b, at, 0, Arrays.copyOfRange(b, from, from + len));
                }
                default -> { // a chunk removed
                    int len = 1 + random.nextInt(Math.min(16, b.length - at));
                    yield splice(b, at, len, new byte[0]);
                }
            };
        }

        private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
            byte[] out = new byte[b.length - remove + insert.length];
            System.arraycopy(b, 0, out, 0, at);
            System.arraycopy(insert, 0, out, at, insert.length);
            System.arraycopy(b, at + remove, out, at + insert.length, b.length - at - remove);
            return out;
        }
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length * 2 + 2);
        for (int i = 0; i < Math.min(b.length, 256); i++) {
            sb.append(String.format("%02x", b[i] & 0xff));
        }
        return sb.append(b.length > 256 ? "..." : "").toString();
    }

    /**
     * Asserts that decoding fails with a {@link SerializationException} that says something.
     *
     * @param decoding the call
     * @return an assertion on the exception, to check its message further
     */
    protected static AbstractThrowableAssert<?, ? extends Throwable> assertRefused(ThrowingCallable decoding) {
        return assertRefused("decoding", decoding);
    }

    /**
     * Asserts that decoding fails with a {@link SerializationException} that says something.
     *
     * @param what     what is being decoded, for the failure message
     * @param decoding the call
     * @return an assertion on the exception, to check its message further
     */
    protected static AbstractThrowableAssert<?, ? extends Throwable> assertRefused(String what, ThrowingCallable decoding) {
        return assertThatThrownBy(decoding)
                .as(what)
                .isInstanceOf(SerializationException.class)
                .satisfies(t -> assertThat(t.getMessage()).isNotBlank());
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertCannotEncode(Serializer s, Envelope e) {
        assertThatThrownBy(() -> s.encode(e, new EncodeBuffer(16)))
                .as("encoding %s into a buffer", e)
                .isInstanceOf(SerializationException.class)
                .satisfies(t -> assertThat(t.getMessage()).isNotBlank());
        return assertThatThrownBy(() -> s.encode(e))
                .as("encoding %s", e)
                .isInstanceOf(SerializationException.class)
                .satisfies(t -> assertThat(t.getMessage()).isNotBlank());
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertCannotEncodeValue(Serializer s, Object value) {
        return assertThatThrownBy(() -> s.encodeValue(value))
                .as("encoding a value of type %s", value == null ? "null" : value.getClass().getTypeName())
                .isInstanceOf(SerializationException.class)
                .satisfies(t -> assertThat(t.getMessage()).isNotBlank());
    }
}
