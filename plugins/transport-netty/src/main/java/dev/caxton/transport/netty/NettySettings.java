package dev.caxton.transport.netty;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ConfigOption.Type;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.transport.Compression;
import io.netty.channel.WriteBufferWaterMark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The settings both Netty transports read the same way: frame limit, water marks, handshake and
 * close timeouts, PEM file paths, and the node's compression setting.
 *
 * @param maxFrame         largest frame sent or accepted
 * @param highWater        queued bytes above which a connection reports itself unwritable
 * @param lowWater         queued bytes below which it turns writable again
 * @param handshakeTimeout how long a new connection may take to name its node
 * @param closeTimeout     how long a graceful close waits for queued frames
 * @param compression      what the node asks to compress (from the runtime; off when it offers none)
 */
public record NettySettings(int maxFrame, int highWater, int lowWater, Duration handshakeTimeout,
                            Duration closeTimeout, Compression compression) {

    /**
     * The options of every Netty transport, in the order they are documented.
     *
     * @param extra the transport's own options, put after the frame and water-mark ones
     * @return the whole list
     */
    public static List<ConfigOption> options(List<ConfigOption> extra) {
        List<ConfigOption> all = new ArrayList<>(List.of(
                ConfigOption.ranged("max_frame_size", Type.SIZE, "16MB",
                        "Largest frame sent or accepted (before compression and after decompression); a peer announcing a larger one has its connection closed.",
                        1024, 1L << 30),
                ConfigOption.ranged("high_water_mark", Type.SIZE, "1MB",
                        "Bytes queued towards a peer above which the connection reports itself unwritable (back-pressure).",
                        1024, 1L << 30),
                ConfigOption.ranged("low_water_mark", Type.SIZE, "512KB",
                        "Bytes queued below which an unwritable connection turns writable again; at most high_water_mark.",
                        0, 1L << 30),
                ConfigOption.ranged("handshake_timeout", Type.DURATION, "10s",
                        "How long a new connection may take to complete TLS and the node-id handshake before it is closed.",
                        1, 600_000),
                ConfigOption.ranged("close_timeout", Type.DURATION, "5s",
                        "How long a graceful close waits for queued frames to leave before it aborts the connection.",
                        0, 600_000)));
        all.addAll(extra);
        return List.copyOf(all);
    }

    /**
     * Checks every option present against its declaration, then reads the shared ones.
     *
     * @param context the provider's context
     * @param options the provider's whole option list
     * @return the shared settings
     * @throws ConfigException when a value is out of range, or the low water mark is above the high
     */
    public static NettySettings read(ProviderContext context, List<ConfigOption> options) {
        ProviderConfig c = context.config();
        for (ConfigOption o : options) {
            c.raw(o.key()).ifPresent(v -> o.check(c.fullKey(o.key()), v));
        }
        long high = c.size("high_water_mark", 1024 * 1024);
        long low = c.size("low_water_mark", 512 * 1024);
        if (low > high) {
            throw new ConfigException(c.fullKey("low_water_mark"),
                    low + " bytes is above high_water_mark (" + high + " bytes); it must not be");
        }
        return new NettySettings((int) c.size("max_frame_size", 16L * 1024 * 1024), (int) high, (int) low,
                c.duration("handshake_timeout", Duration.ofSeconds(10)), c.duration("close_timeout", Duration.ofSeconds(5)),
                context.service(Compression.class).orElse(Compression.OFF));
    }

    /**
     * The water marks as Netty takes them.
     *
     * @return the marks
     */
    public WriteBufferWaterMark waterMark() {
        return new WriteBufferWaterMark(lowWater, highWater);
    }

    /**
     * The transport's shared part for one node.
     *
     * @param nodeId  this node's id
     * @param section the configuration section, e.g. {@code transport.tcp}
     * @return a new core with its own codec and counters
     */
    public TransportCore core(String nodeId, String section) {
        return new TransportCore(nodeId, new FrameCodec(section, maxFrame, compression), handshakeTimeout, closeTimeout);
    }

    /**
     * A PEM file named by an option, resolved against the data directory.
     *
     * @param c        the section
     * @param key      the option
     * @param base     the data directory
     * @param required whether the option must be set
     * @return the path, or null when absent and not required
     * @throws ConfigException when required and absent, or set and unreadable
     */
    public static Path readable(ProviderConfig c, String key, Path base, boolean required) {
        Path p = c.path(key, base, null);
        if (p == null) {
            if (required) {
                throw new ConfigException(c.fullKey(key), "is required when tls.enabled is true");
            }
            return null;
        }
        if (!Files.isReadable(p)) {
            throw new ConfigException(c.fullKey(key), "cannot read " + p);
        }
        return p;
    }

    /**
     * The first message in a failure's chain, for a configuration error about a certificate.
     *
     * @param e the failure
     * @return its reason in words
     */
    public static String reason(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getMessage() == null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? "unreadable or not PEM" : t.getMessage();
    }
}
