package dev.caxton.testkit.transport;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.transport.Transport;
import dev.caxton.spi.transport.TransportProvider;
import java.util.List;

/**
 * The {@code memory} transport: endpoints in one JVM connected through a shared registry of
 * addresses, for fast tests of whatever sits above the transport SPI (several nodes in one test JVM,
 * no sockets). It keeps the SPI's contract (handshake with node ids, whole frames in order, frame
 * limit, writability, pause/resume, graceful close and abort) so code tested on it behaves the same
 * on {@code tcp}.
 *
 * <p>It ignores {@link dev.caxton.spi.transport.Compression}: frames never leave the JVM, so there is
 * nothing to save.
 *
 * <p>Not registered with {@link java.util.ServiceLoader} (it would then appear in every test
 * classpath's plugin list): tests instantiate it directly.
 */
public final class InMemoryTransportProvider implements TransportProvider {

    /** Default largest frame: 16 MiB. */
    static final long DEFAULT_MAX_FRAME = 16L * 1024 * 1024;

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public String description() {
        return "In-process transport for tests (no sockets)";
    }

    @Override
    public List<ConfigOption> options() {
        return List.of(
                ConfigOption.ranged("max_frame_size", ConfigOption.Type.SIZE, "16MB",
                        "Largest frame sent or accepted.", 0, Integer.MAX_VALUE - 8),
                ConfigOption.ranged("high_water_mark", ConfigOption.Type.SIZE, "1MB",
                        "Bytes queued towards a peer above which the connection turns unwritable.", 1, Integer.MAX_VALUE),
                ConfigOption.ranged("low_water_mark", ConfigOption.Type.SIZE, "512KB",
                        "Bytes queued below which an unwritable connection turns writable again.", 0, Integer.MAX_VALUE));
    }

    @Override
    public Transport create(ProviderContext context) {
        ProviderConfig c = context.config();
        for (ConfigOption o : options()) {
            c.raw(o.key()).ifPresent(v -> o.check(c.fullKey(o.key()), v));
        }
        long max = c.size("max_frame_size", DEFAULT_MAX_FRAME);
        long high = c.size("high_water_mark", 1024 * 1024);
        long low = c.size("low_water_mark", 512 * 1024);
        if (low > high) {
            throw new ConfigException(c.fullKey("low_water_mark"),
                    "must not exceed high_water_mark (" + high + " bytes), got " + low + " bytes");
        }
        return new InMemoryTransport(context.nodeName(), (int) max, high, low);
    }
}
