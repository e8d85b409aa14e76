package dev.caxton.spi.serializer;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.message.InvalidEnvelopeException;

/**
 * Encodes and decodes envelopes and generic values. Implementations are thread-safe.
 *
 * <p>The value model is that of {@link Envelope#content()}: {@code null}, {@link Boolean},
 * {@link Long} (or {@link java.math.BigInteger}), {@link Double}, {@link String},
 * {@link java.util.List}, and {@link java.util.Map} with string keys. Decoders produce exactly these
 * types (integers as {@link Long} whenever they fit), so a round trip through any serializer
 * returns an equal value.
 */
public interface Serializer {

    /**
     * The provider name this serializer came from.
     *
     * @return e.g. {@code "json"}
     */
    String name();

    /**
     * The media type of the bytes, for HTTP and logs.
     *
     * @return e.g. {@code "application/json"} or {@code "application/msgpack"}
     */
    String mediaType();

    /**
     * Encodes an envelope: its map form ({@link EnvelopeFields#toMap}) encoded as a value. A codec
     * overrides this only to encode envelopes differently from other maps.
     *
     * @param envelope the envelope
     * @return its bytes
     * @throws SerializationException when the content holds a value outside the value model
     */
    default byte[] encode(Envelope envelope) {
        return encodeValue(EnvelopeFields.toMap(java.util.Objects.requireNonNull(envelope, "envelope")));
    }

    /**
     * Decodes an envelope: a value that must be a map, then checked against the ABI's field rules
     * ({@link EnvelopeFields#fromMap}).
     *
     * @param bytes the bytes
     * @return the envelope
     * @throws SerializationException when the bytes are not a well-formed envelope; the message
     *         says what was wrong and where (byte offset or field)
     */
    default Envelope decode(byte[] bytes) {
        return envelopeOf(decodeValue(bytes));
    }

    /**
     * Encodes an envelope into a buffer the caller reuses, appending after what it already holds.
     * Codecs override this to write the envelope's fields straight into the buffer, with no map or
     * intermediate array in between; the bytes must be those {@link #encode(Envelope)} gives. The
     * default copies them from {@link #encode(Envelope)}, so third-party codecs work unchanged.
     *
     * @param envelope the envelope
     * @param into     where the bytes go
     * @throws SerializationException when the content holds a value outside the value model; the
     *         buffer's contents are then unspecified and the caller resets it
     */
    default void encode(Envelope envelope, EncodeBuffer into) {
        byte[] bytes = encode(envelope);
        into.write(bytes, 0, bytes.length);
    }

    /**
     * Decodes an envelope from part of an array (a buffer the caller reuses, say), reading only
     * {@code length} bytes from {@code offset}. When {@code absentPerformative} is not null, an
     * encoding without a performative gets that one (an agent's reply may leave it out, ABI 1);
     * otherwise a missing performative is an error, as in {@link #decode(byte[])}.
     *
     * <p>Codecs override this to build the envelope as they read, with no map in between, checking
     * the same rules ({@link EnvelopeFields#fromValues}) with the same messages. The default copies
     * the range and goes through {@link #decodeValue}, so third-party codecs work unchanged.
     *
     * @param bytes              the array
     * @param offset             where the encoding starts
     * @param length             how many bytes it has
     * @param absentPerformative the performative of an encoding without one, or null to refuse it
     * @return the envelope
     * @throws SerializationException when the bytes are not a well-formed envelope; the message says
     *         what was wrong and where (byte offset from {@code offset}, or field)
     * @throws IndexOutOfBoundsException when the range lies outside the array
     */
    default Envelope decode(byte[] bytes, int offset, int length, dev.caxton.spi.message.Performative absentPerformative) {
        java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
        byte[] exact = offset == 0 && length == bytes.length ? bytes
                : java.util.Arrays.copyOfRange(bytes, offset, offset + length);
        if (absentPerformative == null) {
            return decode(exact);
        }
        Object value = decodeValue(exact);
        if (value instanceof java.util.Map<?, ?> raw && raw.get(EnvelopeFields.PERFORMATIVE) == null) {
            java.util.Map<String, Object> filled = new java.util.LinkedHashMap<>();
            raw.forEach((k, v) -> filled.put(String.valueOf(k), v));
            filled.put(EnvelopeFields.PERFORMATIVE, absentPerformative.wireName());
            value = filled;
        }
        return envelopeOf(value);
    }

    /**
     * Decodes an envelope from part of an array as {@link #decode(byte[], int, int,
     * dev.caxton.spi.message.Performative)} does, then completes it: the host filling in an agent's
     * reply. The result must equal decoding and then {@link EnvelopeFields#complete completing}, and
     * a malformed encoding must be refused with the same message, before the completion is called.
     *
     * <p>Codecs that read fields into slots override this to hand the completion to
     * {@link EnvelopeFields#fromValues(Object[], dev.caxton.spi.message.Performative,
     * EnvelopeFields.Completion)}, so the envelope is built once. The default decodes and then
     * completes, so third-party codecs work unchanged.
     *
     * @param bytes              the array
     * @param offset             where the encoding starts
     * @param length             how many bytes it has
     * @param absentPerformative the performative of an encoding without one, or null to refuse it
     * @param completion         what completes the checked fields, or null for none
     * @return the completed envelope
     * @throws SerializationException when the bytes are not a well-formed envelope
     * @throws IndexOutOfBoundsException when the range lies outside the array
     * @since SPI 1.4
     */
    default Envelope decode(byte[] bytes, int offset, int length, dev.caxton.spi.message.Performative absentPerformative,
                            EnvelopeFields.Completion completion) {
        Envelope e = decode(bytes, offset, length, absentPerformative);
        return completion == null ? e : EnvelopeFields.complete(e, completion);
    }

    /**
     * Turns a decoded value into an envelope: it must be a map, checked against the ABI's field
     * rules. For codecs that override {@link #decode} (to check the root early, say) and still want
     * the shared rules and messages.
     *
     * @param value a decoded value
     * @return the envelope
     * @throws SerializationException when the value is not a well-formed envelope
     */
    static Envelope envelopeOf(Object value) {
        if (!(value instanceof java.util.Map<?, ?> map)) {
            throw new SerializationException("an envelope must be a map (an object), got "
                    + EnvelopeFields.typeName(value) + " at the top level");
        }
        try {
            @SuppressWarnings("unchecked")
            java.util.Map<String, ?> fields = (java.util.Map<String, ?>) map;
            return EnvelopeFields.fromMap(fields);
        } catch (InvalidEnvelopeException e) {
            throw new SerializationException(e.getMessage(), e);
        }
    }


    /**
     * Encodes a generic value (frames, stored records).
     *
     * @param value a value of the value model
     * @return its bytes
     * @throws SerializationException when the value is outside the value model
     */
    byte[] encodeValue(Object value);

    /**
     * Decodes a generic value.
     *
     * @param bytes the bytes
     * @return the value
     * @throws SerializationException when the bytes are malformed, truncated, too large or too deep
     */
    Object decodeValue(byte[] bytes);

    /**
     * A cheap look at bytes before {@link #decodeValue}: whether they could begin a value of this
     * codec. The host asks before decoding bytes that are often not encoded values at all (an
     * Extism plugin's output, which may be plain text): false lets it take them as text without a
     * parse that would only fail, and whose exception costs more than the rest of the call.
     *
     * <p>False must only be said of bytes that {@link #decodeValue} refuses: the answer saves work,
     * it never changes a result. True promises nothing. The default always says true, so a codec
     * that does not override this is always asked to decode.
     *
     * @param bytes  the bytes
     * @param offset where they start
     * @param length how many there are
     * @return false only when no value of this codec starts so
     */
    default boolean mayStartValue(byte[] bytes, int offset, int length) {
        return true;
    }
}
