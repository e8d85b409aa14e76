package dev.caxton.serializer.msgpack;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.serializer.EncodeBuffer;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import java.util.Objects;

/**
 * The MessagePack serializer. It holds only its limits; each call builds its own packer or
 * unpacker from shared, never-modified configurations, so instances are thread-safe.
 */
final class MsgpackSerializer implements Serializer {

    /** The media type of the bytes. */
    static final String MEDIA_TYPE = "application/msgpack";

    private final SerializerLimits limits;

    /**
     * Creates the serializer.
     *
     * @param limits the bounds decoding enforces (and encoding, for depth)
     */
    MsgpackSerializer(SerializerLimits limits) {
        this.limits = limits;
    }

    /**
     * The provider name.
     *
     * @return the name this serializer's provider is selected by
     */
    @Override
    public String name() {
        return MsgpackSerializerProvider.NAME;
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
     * Decodes an envelope, refusing a root that is not a map at its first byte (with its offset)
     * before reading the rest.
     *
     * @param bytes the bytes
     * @return the envelope
     * @throws SerializationException naming what was wrong and where
     */
    @Override
    public Envelope decode(byte[] bytes) {
        return MsgpackReader.readEnvelope(limits, Objects.requireNonNull(bytes, "bytes"), 0, bytes.length, null);
    }

    /**
     * Encodes an envelope: the bytes of {@link #encode(Envelope)}, written field by field.
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
        MsgpackWriter.writeEnvelope(limits.maxDepth(), Objects.requireNonNull(envelope, "envelope"), into);
    }

    /**
     * Decodes an envelope from part of an array, field by field, with no map in between.
     *
     * @param bytes              the array
     * @param offset             where the encoding starts
     * @param length             how many bytes it has
     * @param absentPerformative the performative of an encoding without one, or null to refuse it
     * @return the envelope
     * @throws SerializationException naming what was wrong and where (offset from {@code offset}, or field)
     */
    @Override
    public Envelope decode(byte[] bytes, int offset, int length, Performative absentPerformative) {
        return MsgpackReader.readEnvelope(limits, bytes, offset, length, absentPerformative);
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
        return MsgpackReader.readEnvelope(limits, bytes, offset, length, absentPerformative, completion);
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
        return MsgpackWriter.write(limits.maxDepth(), value);
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
        return MsgpackReader.read(limits, bytes, false);
    }


    /**
     * Names the serializer and its limits, for logs.
     *
     * @return a short description
     */
    @Override
    public String toString() {
        return "MsgpackSerializer" + limits;
    }
}
