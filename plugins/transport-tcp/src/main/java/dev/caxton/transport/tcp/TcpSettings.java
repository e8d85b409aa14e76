package dev.caxton.transport.tcp;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.transport.netty.NettySettings;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The {@code transport.tcp} section, read and checked once. TLS contexts are built here, so an
 * unreadable or mismatched certificate is a configuration error at {@code create}, before the node
 * takes any resource; building them reads files but holds nothing open.
 */
record TcpSettings(NettySettings common, Duration connectTimeout, int ioThreads, boolean useNative,
                   SslContext serverTls, SslContext clientTls, boolean mutualTls) {

    static TcpSettings read(ProviderContext context) {
        NettySettings common = NettySettings.read(context, TcpTransportProvider.OPTIONS);
        ProviderConfig c = context.config();
        SslContext server = null;
        SslContext client = null;
        boolean mutual = "require".equals(c.string("tls.client_auth", "none"));
        if (c.bool("tls.enabled", false)) {
            Path cert = NettySettings.readable(c, "tls.cert", context.dataDir(), true);
            Path key = NettySettings.readable(c, "tls.key", context.dataDir(), true);
            Path trust = NettySettings.readable(c, "tls.trust", context.dataDir(), false);
            try {
                SslContextBuilder sb = SslContextBuilder.forServer(cert.toFile(), key.toFile())
                        .clientAuth(mutual ? ClientAuth.REQUIRE : ClientAuth.NONE);
                // Peers are named by node id, not host name: the handshake checks the certificate
                // against the node id instead of the address dialled (often an IP).
                SslContextBuilder cb = SslContextBuilder.forClient().keyManager(cert.toFile(), key.toFile())
                        .endpointIdentificationAlgorithm(null);
                if (trust != null) {
                    sb.trustManager(trust.toFile());
                    cb.trustManager(trust.toFile());
                }
                server = sb.build();
                client = cb.build();
            } catch (Exception | Error e) {
                throw new ConfigException(c.fullKey("tls.cert"), "cannot use the certificate " + cert + " with the key "
                        + key + (trust == null ? "" : " and the trust bundle " + trust) + ": " + NettySettings.reason(e));
            }
        } else if (mutual) {
            throw new ConfigException(c.fullKey("tls.client_auth"), "require needs tls.enabled: true");
        }
        return new TcpSettings(common, c.duration("connect_timeout", Duration.ofSeconds(5)),
                (int) c.integer("io_threads", 0), c.bool("native", true), server, client, mutual);
    }

    boolean tls() {
        return serverTls != null;
    }
}
