/**
 * The serializer SPI: turning {@link dev.caxton.spi.message.Envelope}s and generic value trees
 * (wire frames, stored records) into bytes and back.
 *
 * <p>A provider ({@link dev.caxton.spi.serializer.SerializerProvider}) is selected by
 * {@code messaging.serializer} for node-to-node frames and stored messages, and by an agent's
 * {@code codec} for the bytes that agent sees. Decoding is the attack surface: every implementation
 * must reject malformed, truncated, too deep or too large input with a
 * {@link dev.caxton.spi.serializer.SerializationException} that says what and where, and must never
 * allocate more than the input could possibly describe.
 */
package dev.caxton.spi.serializer;
