package dev.caxton.server;

import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.tls.WatchedPemPair;
import dev.caxton.spi.ConfigException;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;

/**
 * The API and metrics listeners' TLS, from {@code server.tls.cert_file} and {@code server.tls.key_file}
 * (PEM), and its replacement while the node runs: a {@link WatchedPemPair} (shared with the FIPA
 * MTP, which checks and reloads its own files the same way) serving a Netty context.
 */
final class ServerTls {

    private final WatchedPemPair<SslContext> pair;

    private ServerTls(WatchedPemPair<SslContext> pair) {
        this.pair = pair;
    }

    /**
     * @param config the node's configuration
     * @param http2  whether to offer h2 by ALPN besides HTTP/1.1
     * @return the TLS of the listeners, or null when TLS is off
     * @throws ConfigException naming the key and file when a file is missing or the pair is not valid
     */
    static ServerTls load(CaxtonConfig config, boolean http2) {
        WatchedPemPair<SslContext> p = WatchedPemPair.load("server.tls",
                "server.tls.cert_file", config.string("server.tls.cert_file"),
                "server.tls.key_file", config.string("server.tls.key_file"),
                (key, chain) -> {
                    // Built from the pair already read and checked, so the context serves exactly that pair
                    // even if a renewer rewrites the files meanwhile.
                    SslContextBuilder b = SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new));
                    if (http2) {
                        b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                                ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1));
                    }
                    return b.build();
                }, Clock.systemUTC());
        return p == null ? null : new ServerTls(p);
    }

    /** @return the context new connections handshake with */
    SslContext context() {
        return pair.current();
    }

    /** @return when the certificate in use expires */
    Instant notAfter() {
        return pair.notAfter();
    }

    /** One poll of the files; see {@link WatchedPemPair#poll()}. */
    void poll() {
        pair.poll();
    }

    /** @return what loading the files now did; see {@link WatchedPemPair#reload()} */
    WatchedPemPair.Outcome reload() {
        return pair.reload();
    }
}
