package dev.caxton.plugin.transport.quic;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** The {@code transport.quic} section, read and checked once at create (no files written, nothing opened). */
record QuicSettings(int maxFrame, int highWater, int lowWater, Duration idleTimeout, long maxStreams,
                    long streamWindow, long connectionWindow, Duration handshakeTimeout, Duration closeTimeout,
                    int ioThreads, Path cert, Path key, Path trust, boolean mutualTls) {

    static QuicSettings read(ProviderContext context) {
        ProviderConfig c = context.config();
        for (ConfigOption o : QuicTransportProvider.OPTIONS) {
            c.raw(o.key()).ifPresent(v -> o.check(c.fullKey(o.key()), v));
        }
        long high = c.size("high_water_mark", 1024 * 1024);
        long low = c.size("low_water_mark", 512 * 1024);
        if (low > high) {
            throw new ConfigException(c.fullKey("low_water_mark"),
                    low + " bytes is above high_water_mark (" + high + " bytes); it must not be");
        }
        Path cert = readable(c, "tls.cert", context.dataDir());
        Path key = readable(c, "tls.key", context.dataDir());
        if ((cert == null) != (key == null)) {
            throw new ConfigException(c.fullKey(cert == null ? "tls.cert" : "tls.key"), "tls.cert and tls.key go together");
        }
        Path trust = readable(c, "tls.trust", context.dataDir());
        boolean mutual = "require".equals(c.string("tls.client_auth", "none"));
        if (mutual && trust == null) {
            throw new ConfigException(c.fullKey("tls.client_auth"), "require needs tls.trust (the authorities to check peers against)");
        }
        return new QuicSettings((int) c.size("max_frame_size", 16L * 1024 * 1024), (int) high, (int) low,
                c.duration("idle_timeout", Duration.ofSeconds(30)), c.integer("max_streams", 16),
                c.size("stream_receive_window", 2L * 1024 * 1024), c.size("connection_receive_window", 8L * 1024 * 1024),
                c.duration("handshake_timeout", Duration.ofSeconds(10)), c.duration("close_timeout", Duration.ofSeconds(5)),
                (int) c.integer("io_threads", 1), cert, key, trust, mutual);
    }

    private static Path readable(ProviderConfig c, String key, Path base) {
        Path p = c.path(key, base, null);
        if (p != null && !Files.isReadable(p)) {
            throw new ConfigException(c.fullKey(key), "cannot read " + p);
        }
        return p;
    }
}
