package dev.caxton.transport.tcp;

import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ConfigOption.Type;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.transport.Transport;
import dev.caxton.spi.transport.TransportProvider;
import dev.caxton.transport.netty.NettySettings;
import java.util.List;

/** The {@code tcp} transport provider; options under {@code transport.tcp}. */
public final class TcpTransportProvider implements TransportProvider {

    static final List<ConfigOption> OPTIONS = NettySettings.options(List.of(
            ConfigOption.ranged("connect_timeout", Type.DURATION, "5s",
                    "How long opening a TCP connection to a peer may take.", 1, 600_000),
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
                    "none", "require")));

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
