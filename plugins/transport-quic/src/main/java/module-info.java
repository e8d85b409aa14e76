/**
 * The {@code quic} transport ({@code transport.type: quic}): frames over QUIC with TLS 1.3 on
 * Netty 4.2's QUIC codec (quiche and BoringSSL, native). Each connection carries its frames on one
 * long-lived bidirectional stream, length-prefixed as on {@code tcp}.
 */
module dev.caxton.transport.quic {
    requires dev.caxton.spi;
    requires dev.caxton.transport.netty;
    requires io.netty.common;
    requires io.netty.buffer;
    requires io.netty.transport;
    requires io.netty.codec;
    requires io.netty.handler;
    requires io.netty.codec.classes.quic;

    provides dev.caxton.spi.transport.TransportProvider
            with dev.caxton.transport.quic.QuicTransportProvider;
}
