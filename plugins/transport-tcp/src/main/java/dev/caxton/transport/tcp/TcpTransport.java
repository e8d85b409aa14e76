package dev.caxton.transport.tcp;

import dev.caxton.spi.transport.Connection;
import dev.caxton.spi.transport.FrameHandler;
import dev.caxton.spi.transport.Transport;
import dev.caxton.transport.netty.TransportCore;
import dev.caxton.transport.netty.WireCounters;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The TCP transport: one event-loop group for the listener and every connection, epoll or NIO.
 * Nothing is allocated until {@link #start}; {@link #close} gives everything back.
 */
final class TcpTransport implements Transport {

    private static final System.Logger LOG = System.getLogger("dev.caxton.transport.tcp");

    private final TcpSettings settings;
    private final String nodeId;
    private final TransportCore core;
    private EventLoopGroup group;
    private Class<? extends SocketChannel> socketClass;
    private Channel server;
    private volatile InetSocketAddress bound;
    private volatile boolean started;
    private volatile boolean closed;
    private boolean epoll;

    TcpTransport(TcpSettings settings, String nodeId) {
        this.settings = settings;
        this.nodeId = nodeId;
        this.core = settings.common().core(nodeId, "transport.tcp");
    }

    TcpSettings settings() {
        return settings;
    }

    /**
     * The frame codec's counters (compression, refused frames).
     *
     * @return the counters
     */
    WireCounters counters() {
        return core.codec().counters();
    }

    /** Whether this transport runs on epoll (after start). */
    boolean usesEpoll() {
        return epoll;
    }

    @Override
    public synchronized InetSocketAddress start(InetSocketAddress bindAddress, FrameHandler handler) throws IOException {
        if (closed || started) {
            throw new IllegalStateException(closed ? "transport is closed" : "transport already started");
        }
        epoll = settings.useNative() && Epoll.isAvailable();
        if (settings.useNative() && !epoll) {
            LOG.log(Level.INFO, "epoll unavailable ({0}); the tcp transport uses NIO",
                    Epoll.unavailabilityCause() == null ? "unknown" : Epoll.unavailabilityCause().getMessage());
        }
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> serverClass = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        socketClass = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        EventLoopGroup g = new MultiThreadIoEventLoopGroup(settings.ioThreads(),
                new DefaultThreadFactory("caxton-tcp-" + nodeId, true), io);
        ServerBootstrap sb = new ServerBootstrap()
                .group(g)
                .channel(serverClass)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, settings.common().waterMark())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        pipeline(ch, settings.serverTls(), handler, ch.remoteAddress(), new CompletableFuture<>());
                    }
                });
        try {
            server = sb.bind(bindAddress).sync().channel();
        } catch (Exception e) {
            shutdown(g);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            BindException be = new BindException("cannot listen on " + bindAddress + ": " + e.getMessage());
            be.initCause(e);
            throw be;
        }
        group = g;
        bound = (InetSocketAddress) server.localAddress();
        started = true;
        LOG.log(Level.INFO, "tcp transport of {0} listening on {1} ({2}{3}{4})", nodeId, bound,
                epoll ? "epoll" : "nio", settings.tls() ? (settings.mutualTls() ? ", mutual TLS" : ", TLS") : "",
                core.codec().compression().enabled()
                        ? ", LZ4 from " + core.codec().compression().thresholdBytes() + " bytes" : "");
        return bound;
    }

    private void pipeline(SocketChannel ch, SslContext tls, FrameHandler handler, InetSocketAddress remote,
                          CompletableFuture<Connection> connected) {
        if (tls != null) {
            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
        }
        ch.pipeline().addLast("frames", core.codec().newDecoder());
        ch.pipeline().addLast("connection", new TcpConnection(core, ch, handler, remote, connected, settings.mutualTls()));
    }

    @Override
    public CompletableFuture<Connection> connect(InetSocketAddress address, FrameHandler handler) {
        if (closed || !started) {
            throw new IllegalStateException(closed ? "transport is closed" : "transport is not started");
        }
        CompletableFuture<Connection> connected = new CompletableFuture<>();
        Bootstrap b = new Bootstrap()
                .group(group)
                .channel(socketClass)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()))
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, settings.common().waterMark())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        pipeline(ch, settings.clientTls(), handler, address, connected);
                    }
                });
        b.connect(address).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                ConnectException e = new ConnectException("cannot connect to " + address + ": " + f.cause().getMessage());
                e.initCause(f.cause());
                connected.completeExceptionally(e);
            }
        });
        return connected;
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
        server.close().awaitUninterruptibly(core.closeTimeout().toMillis() + 1000);
        core.closeConnections();
        shutdown(g);
    }

    private static void shutdown(EventLoopGroup g) {
        g.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
