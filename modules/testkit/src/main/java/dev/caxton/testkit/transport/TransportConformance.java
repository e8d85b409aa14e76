package dev.caxton.testkit.transport;

import static dev.caxton.testkit.transport.Recorder.next;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.transport.Compression;
import dev.caxton.spi.transport.Connection;
import dev.caxton.spi.transport.Transport;
import dev.caxton.spi.transport.TransportProvider;
import java.io.IOException;
import java.io.OutputStream;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link TransportProvider} must do, whoever wrote it. A provider's test extends this
 * class:
 *
 * <pre>{@code
 * class MyTransportTest extends TransportConformance {
 *     protected TransportProvider provider() { return new MyTransportProvider(); }
 * }
 * }</pre>
 *
 * <p>Every wait is for a condition with a generous deadline ({@link #WAIT}); nothing is timed. The
 * transports a test creates are closed after it. A provider whose frame limit is not the option
 * {@code max_frame_size}, or that needs more configuration (TLS files), overrides {@link #config};
 * a TLS-capable provider overrides {@link #untrustedConfig} to run the refusal test; a provider that
 * does not speak raw TCP overrides {@link #peerDiesMidFrame}.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
public abstract class TransportConformance {

    /** How long any expected event may take on a loaded machine. */
    protected static final Duration WAIT = Duration.ofSeconds(60);

    /** Frame limit of the transports made by {@link #transport(String)}. */
    protected static final int MAX = 1024 * 1024;

    /** The data directory of the current test. */
    @TempDir
    protected Path dataDir;

    private final List<Transport> transports = new ArrayList<>();
    private final List<Recorder> recorders = new ArrayList<>();

    /**
     * The provider under test.
     *
     * @return a fresh provider
     */
    protected abstract TransportProvider provider();

    /**
     * The configuration section of a transport for node {@code node}.
     *
     * @param node           the node id the transport presents
     * @param maxFrameBytes  the frame limit it must enforce
     * @return the section; by default {@code max_frame_size} only
     */
    protected ProviderConfig config(String node, long maxFrameBytes) {
        return ProviderConfig.of("transport." + provider().name(), Map.of("max_frame_size", maxFrameBytes));
    }

    /**
     * The configuration of a peer that a transport made from {@link #config} must refuse: one whose
     * certificate was not issued by a trusted authority.
     *
     * @param node          the node id it presents
     * @param maxFrameBytes the frame limit
     * @return the section, or null when the provider has no TLS (the refusal test is then skipped)
     */
    protected ProviderConfig untrustedConfig(String node, long maxFrameBytes) {
        return null;
    }

    /**
     * Makes a peer that starts a frame and dies before its end: by default a raw TCP socket that
     * writes a 4-byte length prefix announcing more bytes than it sends, then closes. Providers on
     * another wire override this with their own way of failing mid-frame.
     *
     * @param listener the listening address of the transport under test
     * @throws Exception when the peer cannot even connect
     */
    protected void peerDiesMidFrame(InetSocketAddress listener) throws Exception {
        try (Socket s = new Socket(listener.getAddress(), listener.getPort())) {
            OutputStream out = s.getOutputStream();
            out.write(new byte[] {0, 0, 4, 0, 1, 2, 3});
            out.flush();
        }
    }

    /**
     * A transport for node {@code node} with the default test frame limit, closed after the test.
     *
     * @param node the node id
     * @return the transport, not started
     */
    protected Transport transport(String node) {
        return transport(node, MAX);
    }

    /**
     * A transport with a given frame limit, closed after the test.
     *
     * @param node          the node id
     * @param maxFrameBytes the frame limit
     * @return the transport, not started
     */
    protected Transport transport(String node, long maxFrameBytes) {
        return track(provider().create(new ProviderContext(config(node, maxFrameBytes), dataDir, node)));
    }

    /**
     * A transport whose node asks for the given compression (as the runtime offers it through
     * {@link ProviderContext#service}), closed after the test.
     *
     * @param node        the node id
     * @param compression what its node asks to compress
     * @return the transport, not started
     */
    protected Transport transport(String node, Compression compression) {
        return track(provider().create(new ProviderContext(config(node, MAX), dataDir, node)
                .withService(Compression.class, compression)));
    }

    private Transport track(Transport t) {
        transports.add(t);
        return t;
    }

    /**
     * A recorder whose contract violations fail the test.
     *
     * @return a new recorder
     */
    protected Recorder recorder() {
        Recorder r = new Recorder();
        recorders.add(r);
        return r;
    }

    private static InetSocketAddress loopback() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    private static Connection await(CompletableFuture<Connection> f) throws Exception {
        return f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static ByteBuffer frame(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (seed * 31 + i);
        }
        return ByteBuffer.wrap(b);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /**
     * Two started transports, {@code alpha} connected to {@code beta}.
     *
     * @param server   beta's recorder (every accepted connection)
     * @param client   the recorder of alpha's connection
     * @param alpha    the connecting transport
     * @param beta     the listening transport
     * @param address  beta's listening address
     * @param conn     alpha's connection to beta
     */
    protected record Linked(Recorder server, Recorder client, Transport alpha, Transport beta,
                            InetSocketAddress address, Connection conn) {
    }

    /**
     * Starts {@code beta} with {@code server} as its handler, starts {@code alpha} and connects it to
     * {@code beta}.
     *
     * @param server the handler of beta's accepted connections
     * @return the pair
     * @throws Exception when starting or connecting fails
     */
    protected Linked linked(Recorder server) throws Exception {
        Transport b = transport("beta");
        InetSocketAddress addr = b.start(loopback(), server);
        Transport a = transport("alpha");
        a.start(loopback(), recorder());
        Recorder client = recorder();
        Connection c = await(a.connect(addr, client));
        return new Linked(server, client, a, b, addr, c);
    }

    /** Closes what the test made, then fails on any threading violation a handler saw. */
    @AfterEach
    void closeAll() {
        for (Transport t : transports) {
            t.close();
        }
        for (Recorder r : recorders) {
            assertThat(r.violations).as("handler contract violations").isEmpty();
        }
    }

    @Test
    void createTakesNoResourcesAndStartReturnsTheBoundAddress() throws Exception {
        Transport idle = transport("idle");
        assertThatThrownBy(() -> idle.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9), recorder()))
                .isInstanceOf(IllegalStateException.class);
        assertThat(idle.boundAddress()).isNull();
        idle.close();
        idle.close();

        Transport a = transport("alpha");
        InetSocketAddress bound = a.start(loopback(), recorder());
        assertThat(bound.getPort()).isPositive();
        assertThat(a.boundAddress()).isEqualTo(bound);
        assertThat(a.localNodeId()).isEqualTo("alpha");
        assertThat(a.maxFrameBytes()).isEqualTo(MAX);
        assertThatThrownBy(() -> a.start(loopback(), recorder())).isInstanceOf(IllegalStateException.class);

        Transport clash = transport("clash");
        assertThatThrownBy(() -> clash.start(bound, recorder())).isInstanceOf(IOException.class);
        clash.close();
    }

    @Test
    void peerIdentityIsReportedOnBothEnds() throws Exception {
        Linked l = linked(recorder());
        Connection c = l.conn();
        assertThat(c.peerNodeId()).isEqualTo("beta");
        assertThat(c.isOpen()).isTrue();
        assertThat(next(l.client().opened, WAIT, "onOpen on the client")).isSameAs(c);
        Connection accepted = next(l.server().opened, WAIT, "onOpen on the server");
        assertThat(accepted.peerNodeId()).isEqualTo("alpha");
        assertThat(accepted.remoteAddress()).isNotNull();
        assertThat(c.remoteAddress()).isEqualTo(l.address());
    }

    @Test
    void framesArriveWholeAndInOrderInBothDirections() throws Exception {
        Linked l = linked(recorder());
        Connection c = l.conn();

        int[] sizes = {0, 1, 7, 100, 4096, 65_535, 65_536, 300_000, MAX - 1, MAX};
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            ByteBuffer f = frame(sizes[i], i);
            sent.add(bytes(f));
            assertThat(c.send(f)).isTrue();
            assertThat(f.position()).as("send leaves the buffer's position alone").isZero();
        }
        for (int i = 0; i < 1000; i++) {
            ByteBuffer f = ByteBuffer.allocate(4).putInt(0, i);
            sent.add(bytes(f));
            c.send(f);
        }
        c.flush();
        Connection accepted = null;
        for (byte[] expected : sent) {
            Recorder.Received r = next(l.server().frames, WAIT, "frame of " + expected.length + " bytes");
            assertThat(r.bytes()).isEqualTo(expected);
            accepted = r.connection();
        }
        // the accepted side replies on the same connection
        for (int i = 0; i < 100; i++) {
            accepted.send(ByteBuffer.allocate(4).putInt(0, -i));
        }
        for (int i = 0; i < 100; i++) {
            assertThat(ByteBuffer.wrap(next(l.client().frames, WAIT, "reply " + i).bytes()).getInt()).isEqualTo(-i);
        }
        assertThatThrownBy(() -> c.send(ByteBuffer.allocate(MAX + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(String.valueOf(MAX));
        assertThat(c.isOpen()).as("a refused send leaves the connection open").isTrue();
    }

    /**
     * Frames that compress well, frames that do not, and frames below the threshold, in one stream.
     * The sizes straddle the threshold, and the largest compressible one is the frame limit itself.
     */
    private static List<byte[]> mixedFrames(int threshold) {
        List<byte[]> frames = new ArrayList<>();
        java.util.Random random = new java.util.Random(10);
        int[] sizes = {0, 1, threshold - 1, threshold, threshold + 1, 1000, 4096, 65_536, MAX};
        for (int i = 0; i < sizes.length; i++) {
            StringBuilder json = new StringBuilder();
            for (int k = 0; json.length() < sizes[i]; k++) {
                json.append("{\"performative\":\"inform\",\"sender\":\"agent-").append(k % 7)
                        .append("\",\"content\":{\"price\":").append(k).append("}},");
            }
            frames.add(java.util.Arrays.copyOf(json.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), sizes[i]));
            byte[] noise = new byte[sizes[i]];
            random.nextBytes(noise);
            frames.add(noise);
        }
        return frames;
    }

    @Test
    void compressingAndPlainPeersExchangeWholeFramesInOrder() throws Exception {
        // alpha's node compresses from 64 bytes on; beta's does not. Each must read what the other
        // sends, both ways on one connection (a cluster mid-way through turning compression on).
        // A transport without a wire to save (memory) may ignore compression and still passes.
        int threshold = 64;
        Recorder server = recorder();
        Transport beta = transport("beta", Compression.OFF);
        InetSocketAddress addr = beta.start(loopback(), server);
        Transport alpha = transport("alpha", new Compression(true, threshold));
        alpha.start(loopback(), recorder());
        Recorder client = recorder();
        Connection c = await(alpha.connect(addr, client));
        Connection accepted = next(server.opened, WAIT, "onOpen on the plain peer");

        List<byte[]> frames = mixedFrames(threshold);
        for (int round = 0; round < 3; round++) {
            for (byte[] f : frames) {
                ByteBuffer b = ByteBuffer.wrap(f);
                assertThat(c.send(b)).isTrue();
                assertThat(b.position()).as("send leaves the buffer's position alone").isZero();
            }
        }
        c.flush();
        for (int round = 0; round < 3; round++) {
            for (byte[] expected : frames) {
                assertThat(next(server.frames, WAIT, "frame of " + expected.length + " bytes at the plain peer").bytes())
                        .isEqualTo(expected);
            }
        }
        for (byte[] f : frames) {
            assertThat(accepted.send(ByteBuffer.wrap(f))).isTrue();
        }
        accepted.flush();
        for (byte[] expected : frames) {
            assertThat(next(client.frames, WAIT, "frame of " + expected.length + " bytes at the compressing peer").bytes())
                    .isEqualTo(expected);
        }
        assertThatThrownBy(() -> c.send(ByteBuffer.allocate(MAX + 1)))
                .as("the limit applies to the frame before compression")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(String.valueOf(MAX));
        assertThat(c.isOpen()).isTrue();
        assertThat(accepted.isOpen()).isTrue();
    }

    @Test
    void oversizedFrameIsRefusedAndTheListenerCarriesOn() throws Exception {
        Recorder server = recorder();
        Transport small = transport("small", 64 * 1024);
        InetSocketAddress addr = small.start(loopback(), server);
        Transport big = transport("big", MAX);
        big.start(loopback(), recorder());

        Recorder client = recorder();
        Connection c = await(big.connect(addr, client));
        next(server.opened, WAIT, "the first connection accepted");
        c.send(frame(200_000, 1));
        Recorder.Closed closed = next(client.closed, WAIT, "the sender to see the connection closed");
        assertThat(closed.connection()).isSameAs(c);
        assertThat(c.isOpen()).isFalse();
        Recorder.Closed refused = next(server.closed, WAIT, "the receiver to close the offending connection");
        assertThat(refused.cause()).as("the receiver says why").isNotNull();
        assertThat(refused.cause().getMessage()).contains("65536");
        assertThat(server.frames).as("nothing of the oversized frame is delivered").isEmpty();

        Recorder client2 = recorder();
        Connection c2 = await(big.connect(addr, client2));
        c2.send(frame(10, 2));
        assertThat(next(server.frames, WAIT, "a frame on a new connection").bytes()).isEqualTo(bytes(frame(10, 2)));
    }

    @Test
    void aHandlerThatThrowsClosesOnlyItsConnection() throws Exception {
        Recorder server = new Recorder() {
            @Override
            public void onFrame(Connection connection, ByteBuffer frame) {
                if (frame.remaining() == 1 && frame.get(frame.position()) == 13) {
                    throw new IllegalStateException("unlucky frame");
                }
                super.onFrame(connection, frame);
            }
        };
        recorders.add(server);
        Linked l = linked(server);
        Connection other = await(l.alpha().connect(l.address(), recorder()));
        l.conn().send(ByteBuffer.wrap(new byte[] {13}));
        Recorder.Closed closed = next(server.closed, WAIT, "the failing connection to close");
        assertThat(closed.cause()).hasMessageContaining("unlucky frame");
        next(l.client().closed, WAIT, "the sender to see it closed");
        other.send(ByteBuffer.wrap(new byte[] {7}));
        assertThat(next(server.frames, WAIT, "a frame on the other connection").bytes()).containsExactly(7);
    }

    @Test
    void aPeerDyingMidFrameDoesNotKillTheListener() throws Exception {
        Recorder server = recorder();
        Transport b = transport("beta");
        InetSocketAddress addr = b.start(loopback(), server);
        for (int i = 0; i < 3; i++) {
            peerDiesMidFrame(addr);
        }
        Transport a = transport("alpha");
        a.start(loopback(), recorder());
        Connection c = await(a.connect(addr, recorder()));
        c.send(frame(5, 5));
        Recorder.Received r = next(server.frames, WAIT, "a frame after the truncated ones");
        assertThat(r.bytes()).isEqualTo(bytes(frame(5, 5)));
        assertThat(r.connection().peerNodeId()).isEqualTo("alpha");
    }

    @Test
    void reconnectsAfterThePeerRestartsOnTheSamePort() throws Exception {
        Recorder server1 = recorder();
        Transport b1 = transport("beta");
        InetSocketAddress addr = b1.start(loopback(), server1);
        Transport a = transport("alpha");
        a.start(loopback(), recorder());
        Recorder client = recorder();
        Connection c = await(a.connect(addr, client));
        c.send(frame(3, 3));
        next(server1.frames, WAIT, "a frame before the restart");

        b1.close();
        next(client.closed, WAIT, "the client to see the peer go");
        assertThat(c.isOpen()).isFalse();
        assertThat(c.send(frame(3, 3))).as("send after the peer left").isFalse();
        CompletableFuture<Connection> refused = a.connect(addr, recorder());
        assertThatThrownBy(() -> refused.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(IOException.class);

        Recorder server2 = recorder();
        Transport b2 = transport("beta");
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                b2.start(addr, server2);
                break;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
        Connection c2 = await(a.connect(addr, recorder()));
        c2.send(frame(4, 4));
        assertThat(next(server2.frames, WAIT, "a frame after the restart").bytes()).isEqualTo(bytes(frame(4, 4)));
    }

    @Test
    void concurrentSendersKeepTheirOwnOrder() throws Exception {
        Linked l = linked(recorder());

        int threads = 4;
        int each = 5000;
        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            senders.add(Thread.ofPlatform().start(() -> {
                ByteBuffer buf = ByteBuffer.allocate(8 + id * 13);
                for (int i = 0; i < each; i++) {
                    buf.putInt(0, id).putInt(4, i);
                    if (!l.conn().send(buf)) {
                        throw new AssertionError("send failed on an open connection");
                    }
                }
            }));
        }
        for (Thread t : senders) {
            t.join();
        }
        Map<Integer, Integer> last = new HashMap<>();
        for (int n = 0; n < threads * each; n++) {
            byte[] f = next(l.server().frames, WAIT, "frame " + n + " of " + threads * each).bytes();
            ByteBuffer bb = ByteBuffer.wrap(f);
            int id = bb.getInt();
            int seq = bb.getInt();
            assertThat(f).hasSize(8 + id * 13);
            assertThat(seq).as("sender %d's order", id).isEqualTo(last.getOrDefault(id, -1) + 1);
            last.put(id, seq);
        }
        assertThat(last).hasSize(threads).allSatisfy((id, seq) -> assertThat(seq).isEqualTo(each - 1));
    }

    @Test
    void gracefulCloseDeliversWhatWasSentAndBothEndsSeeIt() throws Exception {
        Linked l = linked(recorder());
        Recorder server = l.server();
        Recorder client = l.client();
        Connection c = l.conn();
        for (int i = 0; i < 500; i++) {
            c.send(ByteBuffer.allocate(1000).putInt(0, i));
        }
        c.close();
        assertThat(c.send(ByteBuffer.allocate(1))).as("send after close").isFalse();
        assertThat(c.isOpen()).isFalse();
        for (int i = 0; i < 500; i++) {
            assertThat(ByteBuffer.wrap(next(server.frames, WAIT, "frame " + i + " sent before close").bytes()).getInt())
                    .isEqualTo(i);
        }
        Recorder.Closed s = next(server.closed, WAIT, "the server to see the close");
        assertThat(s.connection().isOpen()).isFalse();
        assertThat(s.connection().send(ByteBuffer.allocate(1))).isFalse();
        assertThat(next(client.closed, WAIT, "the client's own close").connection()).isSameAs(c);
        c.close();
        c.abort();
        c.flush();
        assertThat(client.closed).as("onClosed once").isEmpty();
    }

    @Test
    void abortAndTransportCloseAreSeenByThePeer() throws Exception {
        Linked l = linked(recorder());
        Recorder server = l.server();
        Recorder client = l.client();
        Transport a = l.alpha();
        next(server.opened, WAIT, "accept");
        l.conn().abort();
        assertThat(l.conn().send(ByteBuffer.allocate(1))).isFalse();
        next(server.closed, WAIT, "the server to see the abort");
        next(client.closed, WAIT, "the client's own abort");

        Connection c2 = await(a.connect(l.address(), client));
        Connection accepted = next(server.opened, WAIT, "second accept");
        a.close();
        assertThat(next(server.closed, WAIT, "the server to see the client transport close").connection()).isSameAs(accepted);
        assertThat(next(client.closed, WAIT, "the client's connection closed with its transport").connection()).isSameAs(c2);
        assertThat(c2.send(ByteBuffer.allocate(1))).isFalse();
        assertThatThrownBy(() -> a.connect(l.address(), recorder())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void writabilityFlipsUnderAPeerThatDoesNotReadAndRecovers() throws Exception {
        Linked l = linked(recorder().onOpenDo(Connection::pauseReading));
        Connection c = l.conn();
        Connection accepted = next(l.server().opened, WAIT, "accept");

        ByteBuffer chunk = frame(64 * 1024, 9);
        int sent = 0;
        long deadline = System.nanoTime() + WAIT.toNanos();
        // bounded: 4096 x 64 KiB = 256 MiB is far beyond any socket buffers on loopback
        while (c.isWritable() && sent < 4096 && System.nanoTime() < deadline) {
            assertThat(c.send(chunk)).isTrue();
            sent++;
            if (sent % 16 == 0) {
                c.flush();
                Thread.sleep(1);
            }
        }
        assertThat(c.isWritable()).as("unwritable after %d frames of 64 KiB to a peer that does not read", sent).isFalse();
        assertThat(next(l.client().writability, WAIT, "the handler to hear of it")).isFalse();

        accepted.resumeReading();
        for (int i = 0; i < sent; i++) {
            next(l.server().frames, WAIT, "frame " + i + " of " + sent + " after resuming");
        }
        assertThat(next(l.client().writability, WAIT, "writable again")).isTrue();
        assertThat(c.isWritable()).isTrue();
    }

    @Test
    void aPeerWithoutAValidCertificateIsRefused() throws Exception {
        ProviderConfig bad = untrustedConfig("mallory", MAX);
        assumeTrue(bad != null, "the provider has no TLS");
        Recorder server = recorder();
        Transport b = transport("beta");
        InetSocketAddress addr = b.start(loopback(), server);

        Transport m = track(provider().create(new ProviderContext(bad, dataDir, "mallory")));
        m.start(loopback(), recorder());
        CompletableFuture<Connection> attempt = m.connect(addr, recorder());
        try {
            Connection got = attempt.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            // a client may finish its side before the server rejects it: it must then be closed
            // without a single frame reaching the server's handler
            got.send(ByteBuffer.allocate(8));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (got.isOpen() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(got.isOpen()).as("the untrusted connection is closed").isFalse();
        } catch (ExecutionException expected) {
            assertThat(expected.getCause()).isInstanceOf(IOException.class);
        } catch (TimeoutException e) {
            throw new AssertionError("connecting with an untrusted certificate neither failed nor succeeded", e);
        }

        Transport a = transport("alpha");
        a.start(loopback(), recorder());
        Connection ok = await(a.connect(addr, recorder()));
        ok.send(frame(6, 6));
        Recorder.Received r = next(server.frames, WAIT, "a frame from the trusted peer");
        assertThat(r.connection().peerNodeId()).isEqualTo("alpha");
        assertThat(server.opened.stream().map(Connection::peerNodeId)).as("the server never opened the untrusted peer")
                .doesNotContain("mallory");
        assertThat(server.frames).isEmpty();
    }
}
