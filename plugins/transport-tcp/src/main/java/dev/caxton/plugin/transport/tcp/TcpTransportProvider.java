package dev.caxton.plugin.transport.tcp;

import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ConfigOption.Type;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.transport.Transport;
import dev.caxton.spi.transport.TransportProvider;
import java.util.List;

/** The {@code tcp} transport provider; options under {@code transport.tcp}. */
public final class TcpTransportProvider implements TransportProvider {

    static final List<ConfigOption> OPTIONS = List.of(
            ConfigOption.ranged("max_frame_size", Type.SIZE, "16MB",
                    "Largest frame sent or accepted; a peer announcing a larger one has its connection closed.",
                    1024, 1L << 30),
            ConfigOption.ranged("high_water_mark", Type.SIZE, "1MB",
                    "Bytes queued towards a peer above which the connection reports itself unwritable (back-pressure).",
                    1024, 1L << 30),
            ConfigOption.ranged("low_water_mark", Type.SIZE, "512KB",
                    "Bytes queued below which an unwritable connection turns writable again; at most high_water_mark.",
                    0, 1L << 30),
            ConfigOption.ranged("connect_timeout", Type.DURATION, "5s",
                    "How long opening a TCP connection to a peer may take.", 1, 600_000),
            ConfigOption.ranged("handshake_timeout", Type.DURATION, "10s",
                    "How long a new connection may take to complete TLS and the node-id handshake before it is closed.",
                    1, 600_000),
            ConfigOption.ranged("close_timeout", Type.DURATION, "5s",
                    "How long a graceful close waits for queued frames to leave before it aborts the connection.",
                    0, 600_000),
            ConfigOption.ranged("io_threads", Type.INTEGER, "0",
                    "Event-loop threads for all connections; 0 means one per available processor.", 0, 256),
            ConfigOption.of("native", Type.BOOLEAN, "true",
                    "Use Linux epoll when its native library loads; false (or a failed load) uses Java NIO."),
            ConfigOption.of("tls.enabled", Type.BOOLEAN, "false",
                    "Encrypt connections with TLS; requires tls.cert and tls.key."),
            ConfigOption.of("tls.cert", Type.PATH, null,
                    "PEM certificate chain of this node; its subject CN or a DNS SAN must equal the node name. Relative to the data directory."),
            ConfigOption.of("tls.key", Type.PATH, null,
                    "PEM private key (PKCS#8) of tls.cert. Relative to the data directory."),
            ConfigOption.of("tls.trust", Type.PATH, null,
                    "PEM bundle of the certificate authorities peers' certificates must chain to; absent: the JDK's default trust store."),
            ConfigOption.oneOf("tls.client_auth", "none",
                    "require: mutual TLS, a connecting peer must present a trusted certificate naming its node; none: only the listener is authenticated.",
                    "none", "require"));

    @Override
    public String name() {
        return "tcp";
    }

    @Override
    public String description() {
        return "Length-prefixed frames over TCP (Netty, epoll or NIO), optional mutual TLS";
    }

    @Override
    public List<ConfigOption> options() {
        return OPTIONS;
    }

    @Override
    public Transport create(ProviderContext context) {
        return new TcpTransport(TcpSettings.read(context), context.nodeName());
    }
}
