package dev.caxton.serializer.json;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.serializer.EncodeBuffer;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import java.util.Objects;

/**
 * The JSON serializer. It holds only its limits; each call makes its own small reader or writer
 * ({@link JsonReader}, {@link JsonWriter}), so instances are thread-safe.
 */
final class JsonSerializer implements Serializer {

    /** The media type of the bytes. */
    static final String MEDIA_TYPE = "application/json";

    private final SerializerLimits limits;

    /**
     * Creates the serializer.
     *
     * @param limits the bounds decoding enforces (and encoding, for depth)
     */
    JsonSerializer(SerializerLimits limits) {
        this.limits = limits;
    }

    /**
     * The provider name.
     *
     * @return the name this serializer's provider is selected by
     */
    @Override
    public String name() {
        return JsonSerializerProvider.NAME;
    }

    /**
     * The media type of the bytes.
     *
     * @return {@value #MEDIA_TYPE}
     */
    @Override
    public String mediaType() {
        return MEDIA_TYPE;
    }

    /**
     * Decodes an envelope, refusing a root that is not an object at its first token (with its
     * line and column) before reading the rest.
     *
     * @param bytes the bytes
     * @return the envelope
     * @throws SerializationException naming what was wrong and where
     */
    @Override
    public Envelope decode(byte[] bytes) {
        return JsonReader.readEnvelope(limits, Objects.requireNonNull(bytes, "bytes"), 0, bytes.length, null);
    }

    /**
     * Encodes an envelope: the bytes of {@link #encodeValue} of its map form, written field by field.
     *
     * @param envelope the envelope
     * @return its bytes
     * @throws SerializationException when the content is outside the value model or too deep
     */
    @Override
    public byte[] encode(Envelope envelope) {
        EncodeBuffer into = new EncodeBuffer(256);
        encode(envelope, into);
        return into.toByteArray();
    }

    /**
     * Encodes an envelope straight into a reused buffer, with no map in between.
     *
     * @param envelope the envelope
     * @param into     where the bytes go
     * @throws SerializationException when the content is outside the value model or too deep
     */
    @Override
    public void encode(Envelope envelope, EncodeBuffer into) {
        JsonWriter.writeEnvelope(limits.maxDepth(), Objects.requireNonNull(envelope, "envelope"), into);
    }

    /**
     * Decodes an envelope from part of an array, field by field, with no map in between.
     *
     * @param bytes              the array
     * @param offset             where the encoding starts
     * @param length             how many bytes it has
     * @param absentPerformative the performative of an encoding without one, or null to refuse it
     * @return the envelope
     * @throws SerializationException naming what was wrong and where (line and column, or field)
     */
    @Override
    public Envelope decode(byte[] bytes, int offset, int length, Performative absentPerformative) {
        return JsonReader.readEnvelope(limits, bytes, offset, length, absentPerformative);
    }

    /**
     * Decodes an envelope from part of an array and completes it in the same build: the completion
     * sees the fields once they are checked, and the envelope is made once.
     *
     * @param bytes              the array
     * @param offset             where the encoding starts
     * @param length             how many bytes it has
     * @param absentPerformative the performative of an encoding without one, or null to refuse it
     * @param completion         what completes the checked fields, or null for none
     * @return the completed envelope
     * @throws SerializationException naming what was wrong and where
     */
    @Override
    public Envelope decode(byte[] bytes, int offset, int length, Performative absentPerformative,
                           EnvelopeFields.Completion completion) {
        return JsonReader.readEnvelope(limits, bytes, offset, length, absentPerformative, completion);
    }

    /**
     * Encodes a value of the value model.
     *
     * @param value the value
     * @return its bytes
     * @throws SerializationException when the value is outside the value model or too deep
     */
    @Override
    public byte[] encodeValue(Object value) {
        return JsonWriter.write(limits.maxDepth(), value);
    }

    /**
     * Decodes a value of the value model.
     *
     * @param bytes the bytes
     * @return the value, with unmodifiable lists and maps
     * @throws SerializationException naming what was wrong and where
     */
    @Override
    public Object decodeValue(byte[] bytes) {
        return JsonReader.read(limits, bytes);
    }

    /**
     * A JSON text starts, after optional whitespace or a UTF-8 byte-order mark, with one of
     * {@code { [ " - t f n} or a digit: anything else is refused by {@link #decodeValue}, so it is
     * not parsed only to fail. Only whitespace is left to the parser to judge.
     *
     * @param bytes  the bytes
     * @param offset where they start
     * @param length how many there are
     * @return false when the first significant byte cannot start a JSON value
     */
    @Override
    public boolean mayStartValue(byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            switch (bytes[i]) {
                case ' ', '\t', '\n', '\r' -> {
                    continue;
                }
                case '{', '[', '"', '-', 't', 'f', 'n', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', (byte) 0xEF -> {
                    return true;
                }
                default -> {
                    return false;
                }
            }
        }
        return true;
    }


    /**
     * Names the serializer and its limits, for logs.
     *
     * @return a short description
     */
    @Override
    public String toString() {
        return "JsonSerializer" + limits;
    }
}
