package dev.caxton.transport.quic;

import dev.caxton.transport.netty.testing.TestCertificates;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.transport.TransportProvider;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The quic transport with configured certificates, a trust bundle and {@code client_auth: require}
 * against the conformance suite, including the refusal of a node whose certificate no trusted
 * authority issued.
 */
class QuicMutualTlsConformanceTest extends QuicTransportConformanceTest {

    private static TestCertificates certs;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = new TestCertificates(Files.createTempDirectory("caxton-quic-tls"),
                "idle", "alpha", "beta", "clash", "small", "big", "dying");
    }

    @AfterAll
    static void deleteCertificates() {
        certs.delete();
    }

    @Override
    protected TransportProvider provider() {
        return new QuicTransportProvider();
    }

    @Override
    protected ProviderConfig config(String node, long maxFrameBytes) {
        return ProviderConfig.of("transport.quic", Map.of(
                "max_frame_size", maxFrameBytes,
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
