package dev.caxton.transport.quic;

import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ConfigOption.Type;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.transport.Transport;
import dev.caxton.spi.transport.TransportProvider;
import dev.caxton.transport.netty.NettySettings;
import java.util.List;

/** The {@code quic} transport provider; options under {@code transport.quic}. */
public final class QuicTransportProvider implements TransportProvider {

    static final List<ConfigOption> OPTIONS = NettySettings.options(List.of(
            ConfigOption.ranged("idle_timeout", Type.DURATION, "30s",
                    "A connection that hears nothing from its peer for this long is closed (QUIC max_idle_timeout).", 100, 3_600_000),
            ConfigOption.ranged("max_streams", Type.INTEGER, "16",
                    "Bidirectional streams a peer may open per connection (one is used; the rest is headroom).", 1, 1_000_000),
            ConfigOption.ranged("stream_receive_window", Type.SIZE, "2MB",
                    "Flow-control window of each stream: bytes a peer may send ahead of what this node has read.", 16 * 1024, 1L << 30),
            ConfigOption.ranged("connection_receive_window", Type.SIZE, "8MB",
                    "Flow-control window of a whole connection (QUIC initial_max_data).", 16 * 1024, 1L << 30),
            ConfigOption.ranged("io_threads", Type.INTEGER, "1",
                    "Event-loop threads; QUIC over one UDP socket is served by one thread per socket.", 1, 64),
            ConfigOption.of("tls.cert", Type.PATH, null,
                    "PEM certificate of this node (CN or DNS SAN = node name); absent: a self-signed one is generated into the data directory, with a warning."),
            ConfigOption.of("tls.key", Type.PATH, null, "PEM private key (PKCS#8) of tls.cert."),
            ConfigOption.of("tls.trust", Type.PATH, null,
                    "PEM bundle of the authorities peers' certificates must chain to; absent: peers are NOT authenticated (encryption only), with a warning."),
            ConfigOption.oneOf("tls.client_auth", "none",
                    "require: mutual TLS, a connecting node must present a certificate trusted by tls.trust that names it.",
                    "none", "require")));

    @Override
    public String name() {
        return "quic";
    }

    @Override
    public String description() {
        return "Frames over QUIC with TLS 1.3 (Netty codec-quic), one stream per connection";
    }

    @Override
    public List<ConfigOption> options() {
        return OPTIONS;
    }

    @Override
    public Transport create(ProviderContext context) {
        return new QuicTransport(QuicSettings.read(context), context);
    }
}
