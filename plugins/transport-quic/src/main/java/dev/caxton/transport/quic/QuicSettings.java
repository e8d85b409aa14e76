package dev.caxton.transport.quic;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.transport.netty.NettySettings;
import java.nio.file.Path;
import java.time.Duration;

/** The {@code transport.quic} section, read and checked once at create (no files written, nothing opened). */
record QuicSettings(NettySettings common, Duration idleTimeout, long maxStreams, long streamWindow,
                    long connectionWindow, int ioThreads, Path cert, Path key, Path trust, boolean mutualTls) {

    static QuicSettings read(ProviderContext context) {
        NettySettings common = NettySettings.read(context, QuicTransportProvider.OPTIONS);
        ProviderConfig c = context.config();
        Path cert = NettySettings.readable(c, "tls.cert", context.dataDir(), false);
        Path key = NettySettings.readable(c, "tls.key", context.dataDir(), false);
        if ((cert == null) != (key == null)) {
            throw new ConfigException(c.fullKey(cert == null ? "tls.cert" : "tls.key"), "tls.cert and tls.key go together");
        }
        Path trust = NettySettings.readable(c, "tls.trust", context.dataDir(), false);
        boolean mutual = "require".equals(c.string("tls.client_auth", "none"));
        if (mutual && trust == null) {
            throw new ConfigException(c.fullKey("tls.client_auth"), "require needs tls.trust (the authorities to check peers against)");
        }
        return new QuicSettings(common, c.duration("idle_timeout", Duration.ofSeconds(30)), c.integer("max_streams", 16),
                c.size("stream_receive_window", 2L * 1024 * 1024), c.size("connection_receive_window", 8L * 1024 * 1024),
                (int) c.integer("io_threads", 1), cert, key, trust, mutual);
    }
}
