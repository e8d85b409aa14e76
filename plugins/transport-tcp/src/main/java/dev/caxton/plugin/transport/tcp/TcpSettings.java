package dev.caxton.plugin.transport.tcp;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The {@code transport.tcp} section, read and checked once. TLS contexts are built here, so an
 * unreadable or mismatched certificate is a configuration error at {@code create}, before the node
 * takes any resource; building them reads files but holds nothing open.
 */
record TcpSettings(int maxFrame, int highWater, int lowWater, Duration connectTimeout,
                   Duration handshakeTimeout, Duration closeTimeout, int ioThreads, boolean useNative,
                   SslContext serverTls, SslContext clientTls, boolean mutualTls) {

    static TcpSettings read(ProviderContext context) {
        ProviderConfig c = context.config();
        for (ConfigOption o : TcpTransportProvider.OPTIONS) {
            c.raw(o.key()).ifPresent(v -> o.check(c.fullKey(o.key()), v));
        }
        long high = c.size("high_water_mark", 1024 * 1024);
        long low = c.size("low_water_mark", 512 * 1024);
        if (low > high) {
            throw new ConfigException(c.fullKey("low_water_mark"),
                    low + " bytes is above high_water_mark (" + high + " bytes); it must not be");
        }
        SslContext server = null;
        SslContext client = null;
        boolean mutual = "require".equals(c.string("tls.client_auth", "none"));
        if (c.bool("tls.enabled", false)) {
            Path cert = existing(c, "tls.cert", context.dataDir());
            Path key = existing(c, "tls.key", context.dataDir());
            Path trust = c.raw("tls.trust").isPresent() ? existing(c, "tls.trust", context.dataDir()) : null;
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
                        + key + (trust == null ? "" : " and the trust bundle " + trust) + ": " + reason(e));
            }
        } else if (mutual) {
            throw new ConfigException(c.fullKey("tls.client_auth"), "require needs tls.enabled: true");
        }
        return new TcpSettings((int) c.size("max_frame_size", 16L * 1024 * 1024), (int) high, (int) low,
                c.duration("connect_timeout", Duration.ofSeconds(5)),
                c.duration("handshake_timeout", Duration.ofSeconds(10)),
                c.duration("close_timeout", Duration.ofSeconds(5)),
                (int) c.integer("io_threads", 0), c.bool("native", true), server, client, mutual);
    }

    boolean tls() {
        return serverTls != null;
    }

    private static Path existing(ProviderConfig c, String key, Path base) {
        Path p = c.path(key, base, null);
        if (p == null) {
            throw new ConfigException(c.fullKey(key), "is required when tls.enabled is true");
        }
        if (!Files.isReadable(p)) {
            throw new ConfigException(c.fullKey(key), "cannot read " + p);
        }
        return p;
    }

    private static String reason(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getMessage() == null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? "unreadable or not PEM" : t.getMessage();
    }
}
