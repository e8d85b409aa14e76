package dev.caxton.serializer.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.serializer.EncodeBuffer;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import java.util.Objects;

/**
 * The JSON serializer. It holds only its limits and one configured {@link JsonFactory}, which
 * Jackson makes safe to share; each call builds its own parser or generator, so instances are
 * thread-safe.
 */
final class JsonSerializer implements Serializer {

    /** The media type of the bytes. */
    static final String MEDIA_TYPE = "application/json";

    private final SerializerLimits limits;
    private final JsonFactory factory;

    /**
     * Creates the serializer.
     *
     * @param limits the bounds decoding enforces (and encoding, for depth)
     */
    JsonSerializer(SerializerLimits limits) {
        this.limits = limits;
        // Our own depth check must fire first (it says which limit was hit); Jackson's own bound sits
        // one level further as a second line, and its write bound must not undercut a large maxDepth.
        int jacksonDepth = limits.maxDepth() == Integer.MAX_VALUE ? Integer.MAX_VALUE : limits.maxDepth() + 1;
        this.factory = new JsonFactoryBuilder()
                // Keys come from untrusted input: interning them would let senders fill the JVM's pool.
                .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
                // A failed encoding is thrown away; closing must not try to complete it.
                .disable(StreamWriteFeature.AUTO_CLOSE_CONTENT)
                // Characters beyond the BMP as their four UTF-8 bytes, not as an escaped surrogate pair: compact,
                // and the same bytes any other UTF-8 writer would produce.
                .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(jacksonDepth)
                        .maxDocumentLength(limits.maxBytes())
                        .maxStringLength(limits.maxBytes())
                        .maxNameLength(limits.maxBytes())
                        .build())
                .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(jacksonDepth).build())
                .build();
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
        return JsonReader.readEnvelope(factory, limits, Objects.requireNonNull(bytes, "bytes"), 0, bytes.length, null);
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
        JsonWriter.writeEnvelope(factory, limits.maxDepth(), Objects.requireNonNull(envelope, "envelope"), into);
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
        return JsonReader.readEnvelope(factory, limits, bytes, offset, length, absentPerformative);
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
        return JsonWriter.write(factory, limits.maxDepth(), value);
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
        return JsonReader.read(factory, limits, bytes, false);
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
