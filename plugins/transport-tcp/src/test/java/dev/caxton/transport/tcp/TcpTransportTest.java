package dev.caxton.transport.tcp;

import dev.caxton.transport.netty.testing.TestCertificates;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.transport.Connection;
import dev.caxton.spi.transport.Transport;
import dev.caxton.testkit.transport.Recorder;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What is particular to tcp: its wire, its TLS identity rules, its configuration errors. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TcpTransportTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dataDir;

    private final List<Transport> transports = new ArrayList<>();

    @AfterEach
    void close() {
        transports.forEach(Transport::close);
    }

    private Transport transport(String node, Map<String, Object> options) {
        Transport t = new TcpTransportProvider().create(
                new ProviderContext(ProviderConfig.of("transport.tcp", options), dataDir, node));
        transports.add(t);
        return t;
    }

    private static InetSocketAddress loopback() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    private Map<String, Object> tls(TestCertificates certs, String certOf, String clientAuth) {
        Map<String, Object> m = new HashMap<>();
        m.put("tls.enabled", true);
        m.put("tls.client_auth", clientAuth);
        m.put("tls.cert", certs.cert(certOf).toString());
        m.put("tls.key", certs.key(certOf).toString());
        m.put("tls.trust", certs.trust().toString());
        return m;
    }

    @Test
    void garbageAndSilentPeersAreDroppedAndTheListenerCarriesOn() throws Exception {
        Recorder server = new Recorder();
        Transport b = transport("beta", Map.of("handshake_timeout", "300ms"));
        InetSocketAddress addr = b.start(loopback(), server);
        // a first frame that is not a handshake
        try (Socket s = new Socket(addr.getAddress(), addr.getPort())) {
            s.getOutputStream().write(new byte[] {0, 0, 0, 5, 'H', 'E', 'L', 'L', 'O'});
            assertThat(drainUntilClosed(s.getInputStream())).as("the listener closes a non-Caxton peer").isTrue();
        }
        // a peer that connects and says nothing is closed after the handshake timeout
        try (Socket s = new Socket(addr.getAddress(), addr.getPort())) {
            s.setSoTimeout((int) WAIT.toMillis());
            assertThat(drainUntilClosed(s.getInputStream())).as("a silent peer is closed").isTrue();
        }
        // a length prefix far beyond the limit, before any handshake
        try (Socket s = new Socket(addr.getAddress(), addr.getPort())) {
            s.getOutputStream().write(new byte[] {0x7f, -1, -1, -1, 1, 2});
            assertThat(drainUntilClosed(s.getInputStream())).isTrue();
        }
        Transport a = transport("alpha", Map.of());
        a.start(loopback(), new Recorder());
        Connection c = a.connect(addr, new Recorder()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        c.send(ByteBuffer.wrap(new byte[] {42}));
        assertThat(Recorder.next(server.frames, WAIT, "a frame from a real peer").bytes()).containsExactly(42);
        assertThat(server.opened).hasSize(1);
    }

    @Test
    void aDecompressionBombIsRefusedAndCountedAndTheConnectionCarriesOn() throws Exception {
        Recorder server = new Recorder();
        Transport b = transport("beta", Map.of("max_frame_size", "64KB"));
        InetSocketAddress addr = b.start(loopback(), server);
        // 4 MiB of zeros is a few KiB as LZ4, well inside the 64 KiB limit: only the declared (and
        // then the actual) decompressed size gives it away
        byte[] bomb = net.jpountz.lz4.LZ4Factory.safeInstance().fastCompressor().compress(new byte[4 << 20]);
        try (Socket s = new Socket(addr.getAddress(), addr.getPort())) {
            java.io.DataOutputStream out = new java.io.DataOutputStream(s.getOutputStream());
            byte[] hello = dev.caxton.spi.transport.NodeHandshake.encode("mallory");
            out.writeInt(hello.length);
            out.write(hello);
            out.writeInt(0x8000_0000 | (4 + bomb.length));
            out.writeInt(4 << 20);
            out.write(bomb);
            out.writeInt(0x8000_0000 | (4 + bomb.length));
            out.writeInt(1000); // lies: the block inflates far beyond what it declares
            out.write(bomb);
            out.writeInt(2);
            out.write(new byte[] {4, 2});
            out.flush();
            Recorder.Received r = Recorder.next(server.frames, WAIT, "the frame after the bombs");
            assertThat(r.bytes()).containsExactly(4, 2);
            assertThat(r.connection().peerNodeId()).isEqualTo("mallory");
            assertThat(r.connection().isOpen()).as("the connection survives the bombs").isTrue();
            assertThat(((TcpTransport) b).counters().refusedFrames()).isEqualTo(2);
            assertThat(server.frames).isEmpty();
            assertThat(server.closed).isEmpty();
        }
    }

    /** Reads (the peer's handshake and whatever else) until end of stream. */
    private static boolean drainUntilClosed(InputStream in) throws Exception {
        byte[] buf = new byte[256];
        while (true) {
            try {
                if (in.read(buf) < 0) {
                    return true;
                }
            } catch (java.net.SocketException reset) {
                return true;
            }
        }
    }

    @Test
    void underMutualTlsAPeerClaimingAnotherNodesNameIsRefused() throws Exception {
        TestCertificates certs = new TestCertificates(dataDir.resolve("certs"), "alpha", "beta");
        try {
            Recorder server = new Recorder();
            Transport b = transport("beta", tls(certs, "beta", "require"));
            InetSocketAddress addr = b.start(loopback(), server);
            // a trusted certificate, but it names alpha while the node says it is gamma
            Transport liar = transport("gamma", tls(certs, "alpha", "require"));
            liar.start(loopback(), new Recorder());
            assertThatThrownBy(() -> liar.connect(addr, new Recorder()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                    .isInstanceOf(ExecutionException.class);
            // a client without TLS cannot talk to a TLS listener
            Transport plain = transport("alpha", Map.of());
            plain.start(loopback(), new Recorder());
            assertThatThrownBy(() -> plain.connect(addr, new Recorder()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                    .isInstanceOf(ExecutionException.class);
            assertThat(server.opened).isEmpty();

            Transport a = transport("alpha2", tls(certs, "alpha", "require"));
            a.start(loopback(), new Recorder());
            assertThatThrownBy(() -> a.connect(addr, new Recorder()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                    .as("alpha's certificate does not make its holder alpha2").isInstanceOf(ExecutionException.class);
            Transport good = transport("alpha", tls(certs, "alpha", "require"));
            good.start(loopback(), new Recorder());
            Connection c = good.connect(addr, new Recorder()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(c.peerNodeId()).isEqualTo("beta");
            assertThat(Recorder.next(server.opened, WAIT, "the honest peer").peerNodeId()).isEqualTo("alpha");
        } finally {
            certs.delete();
        }
    }

    @Test
    void badConfigurationIsRefusedAtCreateNamingTheKey() {
        assertThatThrownBy(() -> transport("a", Map.of("tls.enabled", true)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("transport.tcp.tls.cert");
        assertThatThrownBy(() -> transport("a", Map.of("tls.enabled", true, "tls.cert", "nope.pem", "tls.key", "nope.key")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("transport.tcp.tls.cert").hasMessageContaining("nope.pem");
        assertThatThrownBy(() -> transport("a", Map.of("tls.client_auth", "require")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("transport.tcp.tls.client_auth");
        assertThatThrownBy(() -> transport("a", Map.of("high_water_mark", "64KB", "low_water_mark", "1MB")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("transport.tcp.low_water_mark");
        assertThatThrownBy(() -> transport("a", Map.of("max_frame_size", "10B")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("transport.tcp.max_frame_size");
    }

    @Test
    void epollIsUsedWhereItLoads() throws Exception {
        Transport t = transport("alpha", Map.of());
        t.start(loopback(), new Recorder());
        assertThat(((TcpTransport) t).usesEpoll()).as("the native transport loads on Linux x86_64")
                .isEqualTo(io.netty.channel.epoll.Epoll.isAvailable());
        assertThat(io.netty.channel.epoll.Epoll.isAvailable()).isTrue();
    }
}
