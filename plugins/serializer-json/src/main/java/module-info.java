/**
 * Envelopes and values as compact UTF-8 JSON (RFC 8259): the codec agents speak by default, and a
 * choice for {@code messaging.serializer: json}.
 *
 * <p>It reads and writes the UTF-8 bytes itself, straight over the input and into the output
 * buffer, with no parser or generator object per message (both sit on every routed message), and
 * depends on nothing but the SPI: the value model is small enough to map by hand, which keeps the
 * plugin small, free of reflection and in full control of what hostile input can cost. Decoding is strict: no comments,
 * no trailing data, no duplicate keys, no NaN, UTF-8 only, and every error names its line and column.
 * The provider has no options.
 */
module dev.caxton.serializer.json {
    requires dev.caxton.spi;

    provides dev.caxton.spi.serializer.SerializerProvider with dev.caxton.serializer.json.JsonSerializerProvider;
}
