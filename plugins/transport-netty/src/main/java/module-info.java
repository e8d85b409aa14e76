/**
 * What Caxton's Netty transports ({@code tcp}, {@code quic}) share: the length-prefixed frame format
 * with optional per-frame LZ4 compression, the send queue that writes a burst with one flush, the
 * writability report, the node-id handshake on a pipeline, and the settings both read the same way.
 *
 * <p>A first-party support library, not a provider: it {@code provides} nothing and depends only on
 * the SPI, Netty and lz4-java. Each transport plugin carries its own copy in its folder, so each
 * plugin layer links it against that plugin's Netty.
 */
module dev.caxton.transport.netty {
    requires transitive dev.caxton.spi;
    requires transitive io.netty.common;
    requires transitive io.netty.buffer;
    requires transitive io.netty.transport;
    requires transitive io.netty.codec;
    requires io.netty.handler;
    requires org.lz4.java;

    exports dev.caxton.transport.netty;
}
