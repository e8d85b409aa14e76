package dev.caxton.serializer.msgpack;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;

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
        return Serializer.envelopeOf(MsgpackReader.read(limits, bytes, true));
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
