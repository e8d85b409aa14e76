/**
 * The Caxton server: the management API ({@code /api/v1}, JSON over HTTP, token-authenticated)
 * and the Prometheus metrics endpoint, on top of a {@link dev.caxton.runtime.CaxtonNode}.
 *
 * <p>It listens with Netty (HTTP/1.1, and HTTP/2 turned back into HTTP/1 requests per stream; epoll
 * where available), which lets it bound
 * connections, time out slow or idle ones and cancel a wait whose client went away; requests are
 * handled on virtual threads.
 */
module dev.caxton.server {
    requires transitive dev.caxton.runtime;
    // The FIPA HTTP MTP, started when fipa.http_mtp.enabled.
    requires dev.caxton.fipa;
    requires io.netty.common;
    requires io.netty.buffer;
    requires io.netty.transport;
    requires io.netty.transport.classes.epoll;
    requires io.netty.codec;
    requires io.netty.codec.http;
    // HTTP/2 on the API: h2 by ALPN over TLS, h2c (prior knowledge or Upgrade) on plain HTTP.
    requires io.netty.codec.http2;
    // TLS on the API (SslHandler) from configured PEM files.
    requires io.netty.handler;
    requires java.logging;
    requires java.management;
    requires jdk.jfr;
    requires com.fasterxml.jackson.databind;
    // SIGTERM handling, so a stopped server exits 0 after draining (the JDK has no public signal API).
    requires jdk.unsupported;

    exports dev.caxton.server;
}
