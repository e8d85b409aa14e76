package dev.caxton.transport.quic;

import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.transport.Connection;
import dev.caxton.spi.transport.FrameHandler;
import dev.caxton.spi.transport.Transport;
import dev.caxton.transport.netty.TransportCore;
import dev.caxton.transport.netty.WireCounters;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.InsecureQuicTokenHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicCodecBuilder;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The QUIC transport: one UDP socket listening (the server codec) and one UDP socket for the
 * connections this node opens (the client codec), on one event-loop group. Nothing is allocated,
 * and no certificate generated, before {@link #start}.
 */
final class QuicTransport implements Transport {

    private static final System.Logger LOG = System.getLogger("dev.caxton.transport.quic");
    static final String ALPN = "caxton/1";
    /** The UDP send and receive buffer asked of the kernel (see {@link #udp}). */
    static final int SOCKET_BUFFER = 4 * 1024 * 1024;

    /** The connection-level handler: all work happens on the stream, so there is nothing to do. */
    @ChannelHandler.Sharable
    private static final class Ignore extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
            // a failed QUIC/TLS handshake: the stream never opened, so only a log line and the close
            LOG.log(Level.WARNING, "quic connection with {0} failed: {1}", ctx.channel().remoteAddress(), cause.getMessage());
            ctx.close();
        }
    }

    private static final ChannelHandler IGNORE = new Ignore();

    private final QuicSettings settings;
    private final String nodeId;
    private final Path dataDir;
    private final TransportCore core;
    private EventLoopGroup group;
    private Channel server;
    private Channel client;
    private QuicSslContext clientTls;
    private volatile InetSocketAddress bound;
    private volatile boolean started;
    private volatile boolean closed;

    QuicTransport(QuicSettings settings, ProviderContext context) {
        this.settings = settings;
        this.nodeId = context.nodeName();
        this.dataDir = context.dataDir();
        this.core = settings.common().core(nodeId, "transport.quic");
    }

    /**
     * The frame codec's counters (compression, refused frames).
     *
     * @return the counters
     */
    WireCounters counters() {
        return core.codec().counters();
    }

    @Override
    public synchronized InetSocketAddress start(InetSocketAddress bindAddress, FrameHandler handler) throws IOException {
        if (closed || started) {
            throw new IllegalStateException(closed ? "transport is closed" : "transport already started");
        }
        Path[] pair = settings.cert() != null ? new Path[] {settings.cert(), settings.key()} : selfSigned();
        QuicSslContextBuilder sb = QuicSslContextBuilder.forServer(pair[1].toFile(), null, pair[0].toFile())
                .applicationProtocols(ALPN).clientAuth(settings.mutualTls() ? ClientAuth.REQUIRE : ClientAuth.NONE);
        QuicSslContextBuilder cb = QuicSslContextBuilder.forClient().applicationProtocols(ALPN)
                .keyManager(pair[1].toFile(), null, pair[0].toFile()).endpointIdentificationAlgorithm(null);
        if (settings.trust() != null) {
            sb.trustManager(settings.trust().toFile());
            cb.trustManager(settings.trust().toFile());
        } else {
            LOG.log(Level.WARNING, "transport.quic.tls.trust is not set: connections are encrypted, but no peer is "
                    + "authenticated (any certificate is accepted)");
            sb.trustManager(InsecureTrustManagerFactory.INSTANCE);
            cb.trustManager(InsecureTrustManagerFactory.INSTANCE);
        }
        QuicSslContext serverTls = sb.build();
        clientTls = cb.build();
        EventLoopGroup g = new MultiThreadIoEventLoopGroup(settings.ioThreads(),
                new DefaultThreadFactory("caxton-quic-" + nodeId, true), NioIoHandler.newFactory());
        ChannelHandler serverCodec = tune(new QuicServerCodecBuilder())
                .sslContext(serverTls)
                .tokenHandler(InsecureQuicTokenHandler.INSTANCE)
                .handler(IGNORE)
                .streamOption(ChannelOption.WRITE_BUFFER_WATER_MARK, settings.common().waterMark())
                .streamHandler(new ChannelInitializer<QuicStreamChannel>() {
                    @Override
                    protected void initChannel(QuicStreamChannel ch) {
                        InetSocketAddress peer = ch.parent().remoteSocketAddress() instanceof InetSocketAddress a ? a : null;
                        pipeline(ch, handler, peer, false, new CompletableFuture<>());
                    }
                })
                .build();
        try {
            // no SO_REUSEADDR: on UDP it would let a second node bind the same port
            server = udp(g).handler(serverCodec).bind(bindAddress).sync().channel();
            ChannelHandler clientCodec = tune(new QuicClientCodecBuilder()).sslContext(clientTls).build();
            client = udp(g).handler(clientCodec)
                    .bind(new InetSocketAddress(bindAddress.getAddress() == null ? InetAddress.getLoopbackAddress()
                            : bindAddress.getAddress(), 0)).sync().channel();
        } catch (Exception e) {
            if (server != null) {
                server.close();
            }
            g.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            BindException be = new BindException("cannot listen on " + bindAddress + " (UDP): " + e.getMessage());
            be.initCause(e);
            throw be;
        }
        group = g;
        bound = (InetSocketAddress) server.localAddress();
        started = true;
        LOG.log(Level.INFO, "quic transport of {0} listening on {1} (UDP, TLS 1.3{2}{3})", nodeId, bound,
                settings.mutualTls() ? ", mutual TLS" : "", core.codec().compression().enabled()
                        ? ", LZ4 from " + core.codec().compression().thresholdBytes() + " bytes" : "");
        return bound;
    }

    /** The self-signed certificate kept under the data directory, made on first start. */
    private Path[] selfSigned() throws IOException {
        Path dir = dataDir.resolve("transport-quic");
        Path cert = dir.resolve("self-signed-cert.pem");
        Path key = dir.resolve("self-signed-key.pem");
        if (!Files.isReadable(cert) || !Files.isReadable(key)) {
            Files.createDirectories(dir);
            try {
                SelfSignedCertificate ssc = new SelfSignedCertificate(nodeId);
                Files.copy(ssc.privateKey().toPath(), key, StandardCopyOption.REPLACE_EXISTING);
                Files.copy(ssc.certificate().toPath(), cert, StandardCopyOption.REPLACE_EXISTING);
                ssc.delete();
            } catch (java.security.cert.CertificateException e) {
                throw new IOException("cannot generate a self-signed certificate in " + dir + ": " + e.getMessage(), e);
            }
        }
        LOG.log(Level.WARNING, "transport.quic.tls.cert is not set: using the self-signed certificate {0}; it "
                + "encrypts traffic but proves nothing about this node to its peers", cert);
        return new Path[] {cert, key};
    }

    /**
     * A UDP socket on {@code g}. Its buffers are asked larger than the kernel's default (208 KB on
     * Linux): a burst of a thousand frames is more than that, the datagrams past it were dropped
     * on loopback, and each loss made quiche halve its congestion window and retransmit. The
     * kernel grants at most net.core.rmem_max / wmem_max.
     */
    private static Bootstrap udp(EventLoopGroup g) {
        return new Bootstrap().group(g).channel(NioDatagramChannel.class)
                .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER)
                .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER);
    }

    /**
     * The receive buffer the kernel gave the listening socket, for tests.
     *
     * @return bytes
     */
    int receiveBuffer() {
        return ((io.netty.channel.socket.DatagramChannel) server).config().getReceiveBufferSize();
    }

    private <B extends QuicCodecBuilder<B>> B tune(B b) {
        return b.maxIdleTimeout(settings.idleTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .initialMaxData(settings.connectionWindow())
                .initialMaxStreamDataBidirectionalLocal(settings.streamWindow())
                .initialMaxStreamDataBidirectionalRemote(settings.streamWindow())
                .initialMaxStreamsBidirectional(settings.maxStreams());
    }

    private void pipeline(QuicStreamChannel ch, FrameHandler handler, InetSocketAddress remote, boolean connecting,
                          CompletableFuture<Connection> connected) {
        ch.pipeline().addLast("frames", core.codec().newDecoder());
        ch.pipeline().addLast("connection", new QuicConnection(core, ch, handler, remote, connecting, connected,
                settings.trust() != null && (connecting || settings.mutualTls())));
    }

    @Override
    public CompletableFuture<Connection> connect(InetSocketAddress address, FrameHandler handler) {
        if (closed || !started) {
            throw new IllegalStateException(closed ? "transport is closed" : "transport is not started");
        }
        CompletableFuture<Connection> connected = new CompletableFuture<>();
        QuicChannel.newBootstrap(client)
                .handler(IGNORE)
                .streamOption(ChannelOption.WRITE_BUFFER_WATER_MARK, settings.common().waterMark())
                .remoteAddress(address)
                .connect()
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        fail(connected, address, f.cause());
                        return;
                    }
                    QuicChannel q = (QuicChannel) f.getNow();
                    q.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInitializer<QuicStreamChannel>() {
                        @Override
                        protected void initChannel(QuicStreamChannel ch) {
                            ch.config().setOption(ChannelOption.WRITE_BUFFER_WATER_MARK, settings.common().waterMark());
                            pipeline(ch, handler, address, true, connected);
                        }
                    }).addListener(s -> {
                        if (!s.isSuccess()) {
                            fail(connected, address, s.cause());
                            q.close();
                        }
                    });
                });
        // QUIC over UDP hears no "connection refused": give up after the handshake timeout
        group.next().schedule(() -> fail(connected, address, new IOException("no answer within "
                + core.handshakeTimeout().toMillis() + " ms (transport.quic.handshake_timeout)")),
                core.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        return connected;
    }

    private static void fail(CompletableFuture<Connection> connected, InetSocketAddress address, Throwable cause) {
        ConnectException e = new ConnectException("cannot connect to " + address + " over QUIC: " + cause.getMessage());
        e.initCause(cause);
        connected.completeExceptionally(e);
    }

    @Override
    public String localNodeId() {
        return nodeId;
    }

    @Override
    public int maxFrameBytes() {
        return core.codec().maxFrame();
    }

    @Override
    public InetSocketAddress boundAddress() {
        return bound;
    }

    @Override
    public void close() {
        EventLoopGroup g;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            g = group;
        }
        if (g == null) {
            return;
        }
        core.closeConnections();
        server.close().awaitUninterruptibly(2000);
        client.close().awaitUninterruptibly(2000);
        g.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
