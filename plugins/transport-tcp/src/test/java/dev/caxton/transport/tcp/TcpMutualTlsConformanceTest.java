package dev.caxton.transport.tcp;

import dev.caxton.transport.netty.testing.TestCertificates;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.transport.TransportProvider;
import dev.caxton.testkit.transport.TransportConformance;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The tcp transport under mutual TLS against the conformance suite, including the refusal of a peer
 * whose certificate no trusted authority issued. Certificates are generated for the run.
 */
class TcpMutualTlsConformanceTest extends TransportConformance {

    private static TestCertificates certs;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = new TestCertificates(Files.createTempDirectory("caxton-tls"),
                "idle", "alpha", "beta", "clash", "small", "big");
    }

    @AfterAll
    static void deleteCertificates() {
        certs.delete();
    }

    @Override
    protected TransportProvider provider() {
        return new TcpTransportProvider();
    }

    @Override
    protected ProviderConfig config(String node, long maxFrameBytes) {
        return ProviderConfig.of("transport.tcp", Map.of(
                "max_frame_size", maxFrameBytes,
                "tls.enabled", true,
                "tls.client_auth", "require",
                "tls.cert", certs.cert(node).toString(),
                "tls.key", certs.key(node).toString(),
                "tls.trust", certs.trust().toString()));
    }

    /** Mallory trusts the cluster's authorities, but her own certificate is from none of them. */
    @Override
    protected ProviderConfig untrustedConfig(String node, long maxFrameBytes) {
        return config(node, maxFrameBytes);
    }
}
