package org.example.caxton.serializer.cbor;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;

/**
 * The CBOR serializer. Jackson's factory is safe to share once built, and every call makes its own
 * parser or generator, so one instance serves any number of threads.
 */
final class CborSerializer implements Serializer {

    /** The registered media type of CBOR (RFC 8949, section 9.5). */
    static final String MEDIA_TYPE = "application/cbor";

    private final SerializerLimits limits;
    private final CBORFactory factory;

    /**
     * Creates the serializer.
     *
     * @param limits the bounds decoding enforces (and encoding, for depth)
     */
    CborSerializer(SerializerLimits limits) {
        this.limits = limits;
        // Our own checks name the limit that was hit, so they must trip first; Jackson's bounds sit
        // one step further out as a second line of defence against hostile lengths and nesting.
        int outerDepth = limits.maxDepth() == Integer.MAX_VALUE ? Integer.MAX_VALUE : limits.maxDepth() + 1;
        this.factory = CBORFactory.builder()
                // A failed encoding is discarded: closing the generator must not try to finish it.
                .disable(StreamWriteFeature.AUTO_CLOSE_CONTENT)
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(outerDepth)
                        .maxDocumentLength(limits.maxBytes())
                        .maxStringLength(limits.maxBytes())
                        .maxNameLength(limits.maxBytes())
                        .build())
                .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(outerDepth).build())
                .build();
    }

    @Override
    public String name() {
        return CborSerializerProvider.NAME;
    }

    @Override
    public String mediaType() {
        return MEDIA_TYPE;
    }

    @Override
    public byte[] encodeValue(Object value) {
        return CborWriter.write(factory, limits.maxDepth(), value);
    }

    @Override
    public Object decodeValue(byte[] bytes) {
        return CborReader.read(factory, limits, bytes);
    }

    @Override
    public String toString() {
        return "CborSerializer" + limits;
    }
}
