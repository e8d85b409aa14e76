/**
 * The {@code tcp} transport ({@code transport.type: tcp}): length-prefixed frames over TCP on Netty
 * 4.2, epoll where the native library loads and NIO otherwise, with optional TLS and mutual TLS from
 * PEM files. See the plugin's README for the wire format.
 *
 * <p>The epoll native library ({@code io.netty.transport.epoll.linux.x86_64}) is a module with no
 * code that nobody requires: it sits in the plugin's folder, and the runtime resolves every module
 * of a plugin folder, which is what puts its {@code .so} within reach of Netty's loader.
 */
module dev.caxton.transport.tcp {
    requires dev.caxton.spi;
    requires dev.caxton.transport.netty;
    requires io.netty.common;
    requires io.netty.buffer;
    requires io.netty.transport;
    requires io.netty.codec;
    requires io.netty.handler;
    requires io.netty.transport.classes.epoll;

    provides dev.caxton.spi.transport.TransportProvider
            with dev.caxton.transport.tcp.TcpTransportProvider;
}
