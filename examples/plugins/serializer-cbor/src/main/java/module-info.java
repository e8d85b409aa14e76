/**
 * A third-party Caxton serializer: envelopes and values as CBOR (RFC 8949), selected with
 * {@code messaging.serializer: cbor} or an agent's {@code --codec cbor}. It reads and writes through
 * Jackson's CBOR streaming parser and generator and maps the value model by hand.
 */
module org.example.caxton.serializer.cbor {
    requires dev.caxton.spi;
    requires com.fasterxml.jackson.core;
    requires com.fasterxml.jackson.dataformat.cbor;

    provides dev.caxton.spi.serializer.SerializerProvider with org.example.caxton.serializer.cbor.CborSerializerProvider;
}
