/**
 * Envelopes and values as MessagePack: the default codec between nodes
 * ({@code messaging.serializer: msgpack}) and a choice for agents that declare {@code codec: msgpack}.
 *
 * <p>An envelope is a MessagePack map with the same keys as the JSON form, and content uses only the
 * types JSON has, so a message survives a change of codec unchanged: binary and extension values
 * are refused, as are strings that are not valid UTF-8 and maps with keys that are not strings.
 * Decoding never trusts a declared length: a header that claims more bytes or elements than the
 * input still holds, or more than the limits allow, fails at once with its byte offset, before
 * anything of the claimed size is allocated. The provider has no options.
 *
 * <p>Both directions are written by hand over byte arrays, so the plugin needs nothing beyond the
 * SPI: no MessagePack library, and no {@code jdk.unsupported} in the image on its account.
 */
module dev.caxton.serializer.msgpack {
    requires dev.caxton.spi;

    provides dev.caxton.spi.serializer.SerializerProvider with dev.caxton.serializer.msgpack.MsgpackSerializerProvider;
}
