package dev.caxton.spi.serializer;

import dev.caxton.spi.message.Envelope;

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
     * Encodes an envelope.
     *
     * @param envelope the envelope
     * @return its bytes
     * @throws SerializationException when the content holds a value outside the value model
     */
    byte[] encode(Envelope envelope);

    /**
     * Decodes an envelope, checking it against the ABI's field rules (see
     * {@link dev.caxton.spi.message.EnvelopeFields#fromMap}).
     *
     * @param bytes the bytes
     * @return the envelope
     * @throws SerializationException when the bytes are not a well-formed envelope; the message
     *         says what was wrong and where (byte offset or field)
     */
    Envelope decode(byte[] bytes);

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
}
