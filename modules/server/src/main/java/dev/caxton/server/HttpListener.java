package dev.caxton.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.stream.ChunkedNioFile;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.util.AsciiString;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * One HTTP listener (the API or the metrics endpoint) on Netty.
 *
 * <p>Netty rather than the JDK's HTTP server because the node must notice a client that went away
 * while its request waits (to cancel the wait), and must bound connections and how long a
 * connection may sit idle or trickle a request in; the JDK server offers none of these per
 * listener. Request handling runs on virtual threads, never on the event loop, because node calls
 * block (a deploy compiles a module); a handler that waits returns an unfinished future, so a
 * waiting request holds no thread at all.
 *
 * <p>HTTP/2 (h2 by ALPN, h2c by prior knowledge or {@code Upgrade}) is served by turning each stream
 * back into one HTTP/1 request on a child channel with the same handlers, so the handler and every
 * limit see no difference; many waiting requests then share one connection.
 */
final class HttpListener implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(HttpListener.class.getName());
    /** Requests a client may pipeline behind the one in progress before the connection is closed. */
    private static final int MAX_PIPELINED = 16;
    /** How long a connection being closed after an error answer keeps draining the client's input. */
    private static final long LINGER_MS = 2000;

    /** A request as the handler sees it: the body is already complete and copied. */
    record Call(String method, String uri, Function<String, String> header, byte[] body, String client) {

        Call(String method, String uri, Function<String, String> header, byte[] body) {
            this(method, uri, header, body, "unknown");
        }
    }

    /**
     * An answer: status, content type, body and extra headers; or, when {@code file} is set, the
     * file's bytes as the body in place of {@code body}.
     */
    record Reply(int status, String contentType, byte[] body, Map<String, String> headers, FileBody file) {

        Reply(int status, String contentType, byte[] body, Map<String, String> headers) {
            this(status, contentType, body, headers, null);
        }

        static Reply json(int status, Object body, Map<String, String> headers) {
            return new Reply(status, "application/json", Json.bytes(body), headers);
        }

        /** Runs the file's {@code finished}: the reply has been written, or never will be. */
        void finish() {
            if (file != null) {
                file.finished().run();
            }
        }
    }

    /**
     * A body sent from a file without reading it into memory (a backup may be gigabytes).
     *
     * @param path     the file
     * @param finished run once when the file has been sent, or will not be (the client went away,
     *                 the write failed): the owner deletes the file there
     */
    record FileBody(Path path, Runnable finished) {
    }

    /** Turns a call into an eventual reply; may block, runs on a virtual thread. */
    interface Handler {
        /**
         * @param call the request
         * @return the reply; cancelled when the client disconnects before it completes
         */
        CompletableFuture<Reply> handle(Call call);
    }

    /**
     * Per-listener limits, from the {@code server.*} keys.
     *
     * @param http2      whether HTTP/2 is offered (h2 by ALPN on TLS, h2c on plain HTTP) besides HTTP/1.1
     * @param maxStreams most streams one HTTP/2 connection may have open at once
     */
    record Limits(int maxConnections, long maxBody, long requestTimeoutMs, long idleTimeoutMs, int maxHeaderSize,
                  boolean http2, int maxStreams) {

        Limits(int maxConnections, long maxBody, long requestTimeoutMs, long idleTimeoutMs, int maxHeaderSize) {
            this(maxConnections, maxBody, requestTimeoutMs, idleTimeoutMs, maxHeaderSize, false, 100);
        }
    }

    private final EventLoopGroup group;
    private final Channel server;
    private final AtomicInteger open = new AtomicInteger();
    private final Limits limits;
    private final Handler handler;
    private final ExecutorService executor;

    HttpListener(String host, int port, Limits limits, Handler handler, ExecutorService executor, String name) {
        this(host, port, limits, handler, executor, name, null);
    }

    /**
     * @param tls when set, connections speak TLS only: a client sending plain HTTP fails the
     *            handshake and is disconnected without an answer. Asked at every new connection,
     *            so a reloaded certificate serves the next handshake without a restart.
     */
    HttpListener(String host, int port, Limits limits, Handler handler, ExecutorService executor, String name,
                 java.util.function.Supplier<io.netty.handler.ssl.SslContext> tls) {
        this.limits = limits;
        this.handler = handler;
        this.executor = executor;
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> type = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        // One thread moves bytes; handling is elsewhere, so more would only compete for the cores.
        this.group = new MultiThreadIoEventLoopGroup(1, Thread.ofPlatform().name("caxton-" + name + "-io").daemon().factory(), io);
        try {
            this.server = new ServerBootstrap().group(group).channel(type)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            Guard guard = new Guard(null);
                            if (tls != null) {
                                ch.pipeline().addLast("tls", tls.get().newHandler(ch.alloc()));
                            }
                            ch.pipeline().addLast("guard", guard);
                            if (tls != null && limits.http2()) {
                                ch.pipeline().addLast("alpn", new Alpn(guard));
                            } else {
                                http1(ch.pipeline(), guard, limits.http2());
                            }
                        }
                    })
                    .bind(new InetSocketAddress(host, port)).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        }
        LOG.log(System.Logger.Level.DEBUG, "{0} listener on {1} ({2})", name, server.localAddress(), epoll ? "epoll" : "nio");
    }

    /**
     * The HTTP/1.1 end of a connection. With {@code cleartextH2}, a plain connection may also turn
     * into HTTP/2: by the client's prior knowledge (the h2 preface) or by an {@code Upgrade: h2c}
     * request, which is what java.net.http's client sends on {@code http://}.
     */
    private void http1(ChannelPipeline p, Guard guard, boolean cleartextH2) {
        // The line and the headers share one bound, so the codec's own defaults never decide what
        // "too large" means.
        HttpServerCodec codec = new HttpServerCodec(new io.netty.handler.codec.http.HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxHeaderSize())
                .setMaxHeaderSize(limits.maxHeaderSize()));
        if (cleartextH2) {
            HttpServerUpgradeHandler upgrade = new BoundedUpgrade(codec, protocol ->
                    AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
                            ? new Http2ServerUpgradeCodec(frameCodec(), multiplex(guard)) : null, limits.maxBody());
            p.addLast("codec", new CleartextHttp2ServerUpgradeHandler(codec, upgrade, new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    guard.http2();
                    // In place of this initializer, ahead of the HTTP/1 handlers: added last, the h2
                    // bytes went to those first and were lost, so a prior-knowledge client got
                    // SETTINGS and then no answer at all.
                    String here = ch.pipeline().context(this).name();
                    Http2FrameCodec frames = frameCodec();
                    ch.pipeline().addAfter(here, "h2-frames", frames).addAfter("h2-frames", "h2-streams", multiplex(guard));
                }
            }));
        } else {
            p.addLast("codec", codec);
        }
        p.addLast("chunked", new ChunkedWriteHandler())
                .addLast("aggregate", new BoundedAggregator(limits.maxBody()))
                .addLast("handle", new Connection(guard));
    }

    private Http2FrameCodec frameCodec() {
        // Rapid reset (CVE-2023-44487): streams opened and cancelled at once never count against the
        // stream bound, so resets are bounded per connection (200 in 30 s, Netty's server default,
        // written out so the protection does not rest on a default); past it the connection is closed.
        return Http2FrameCodecBuilder.forServer().decoderEnforceMaxRstFramesPerWindow(200, 30).initialSettings(Http2Settings.defaultSettings()
                .maxConcurrentStreams(limits.maxStreams()).maxHeaderListSize(limits.maxHeaderSize())).build();
    }

    /**
     * Gives every HTTP/2 stream the HTTP/1 handling: the stream's frames become one HTTP/1 request
     * and the reply goes back as frames, so authentication, limits, waits and file bodies behave
     * the same on both protocols.
     */
    private Http2MultiplexHandler multiplex(Guard connection) {
        ChannelInitializer<Channel> stream = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                Guard guard = new Guard(connection);
                ch.pipeline().addLast("guard", guard)
                        .addLast("codec", new Http2StreamFrameToHttpObjectCodec(true))
                        .addLast("chunked", new ChunkedWriteHandler())
                        .addLast("aggregate", new BoundedAggregator(limits.maxBody()))
                        .addLast("handle", new Connection(guard));
            }
        };
        // The upgrade request of h2c arrives as stream 1: the connection is HTTP/2 from then on.
        ChannelInitializer<Channel> upgraded = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                connection.http2();
                ch.pipeline().addLast(stream);
            }
        };
        return new Http2MultiplexHandler(stream, upgraded);
    }

    /** Chooses HTTP/2 or HTTP/1.1 by what the TLS handshake agreed (ALPN). */
    private final class Alpn extends ApplicationProtocolNegotiationHandler {
        private final Guard guard;

        Alpn(Guard guard) {
            super(ApplicationProtocolNames.HTTP_1_1);
            this.guard = guard;
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                guard.http2();
                ctx.pipeline().addLast(frameCodec(), multiplex(guard));
            } else {
                http1(ctx.pipeline(), guard, false);
            }
        }

        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            // Plain HTTP on the TLS port, scanners, clients that do not trust us: not the node's fault.
            LOG.log(System.Logger.Level.DEBUG, "TLS handshake with {0} failed: {1}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    /** @return the bound address */
    InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /** @return connections open now */
    int openConnections() {
        return open.get();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    static byte[] errorBody(String message, Map<String, Object> details) {
        return Json.bytes(CaxtonServer.error(message, details));
    }

    private static FullHttpResponse response(Reply r) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()),
                Unpooled.wrappedBuffer(r.body()));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
        r.headers().forEach((k, v) -> res.headers().set(k, v));
        return res;
    }

    /** Writes a JSON error and closes: for requests that cannot be parsed or arrive too slowly. */
    private static void failAndClose(ChannelHandlerContext ctx, int status, String message) {
        answerAndClose(ctx.channel(), new Reply(status, "application/json", errorBody(message, Map.of()), Map.of()));
    }

    /**
     * Sends a last answer, then closes gently: closing a socket with unread input makes the kernel
     * send a reset, which can destroy the answer before the client reads it. So the output is shut
     * first, whatever else the client sends is discarded, and the socket closes when the client
     * closes its side or after a short grace period.
     */
    private static void answerAndClose(Channel ch, Reply reply) {
        Guard guard = ch.pipeline().get(Guard.class);
        if (guard != null) {
            guard.discarding = true;
            guard.cancel();
        }
        FullHttpResponse res = response(reply);
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ch.writeAndFlush(res).addListener(f -> {
            if (f.isSuccess() && ch instanceof Http2StreamChannel) {
                // Closing the stream now would reset it, and a client still sending its body may
                // report the reset instead of the answer; the stream ends when the client's side does.
                ch.eventLoop().schedule(() -> ch.close(), LINGER_MS, TimeUnit.MILLISECONDS);
                return;
            }
            if (!f.isSuccess() || !(ch instanceof SocketChannel sc)) {
                ch.close();
                return;
            }
            sc.shutdownOutput();
            ch.eventLoop().schedule(() -> ch.close(), LINGER_MS, TimeUnit.MILLISECONDS);
        });
    }

    /** The h2c upgrade request is aggregated here: an oversized one gets the API's JSON 413 too. */
    private static final class BoundedUpgrade extends HttpServerUpgradeHandler {
        private final long max;

        BoundedUpgrade(SourceCodec codec, UpgradeCodecFactory factory, long max) {
            super(codec, factory, (int) Math.min(Integer.MAX_VALUE, max));
            this.max = max;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            failAndClose(ctx, 413, "the request body exceeds server.max_request_size (" + max + " bytes)");
        }
    }

    /** Answers an oversized body with the API's JSON error instead of Netty's plain one. */
    private static final class BoundedAggregator extends HttpObjectAggregator {
        private final long max;

        BoundedAggregator(long max) {
            super((int) Math.min(Integer.MAX_VALUE, max), true);
            this.max = max;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            failAndClose(ctx, 413, "the request body exceeds server.max_request_size (" + max + " bytes)");
        }
    }

    /**
     * One connection: counts it, times it out, handles its requests one at a time and cancels the
     * request in progress when the peer goes away.
     */
    private final class Connection extends ChannelInboundHandlerAdapter {

        private final Guard guard;

        Connection(Guard guard) {
            this.guard = guard;
        }

        private final ArrayDeque<FullHttpRequest> queued = new ArrayDeque<>();
        private CompletableFuture<Reply> inProgress;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof FullHttpRequest req)) {
                io.netty.util.ReferenceCountUtil.release(msg);
                return;
            }
            guard.requestComplete(ctx);
            if (inProgress != null) {
                if (queued.size() >= MAX_PIPELINED) {
                    req.release();
                    ctx.close();
                    return;
                }
                queued.add(req);
                return;
            }
            start(ctx, req);
        }

        private void start(ChannelHandlerContext ctx, FullHttpRequest req) {
            boolean keepAlive;
            Call call;
            try {
                if (!req.decoderResult().isSuccess()) {
                    // The codec already names the fault (bad Content-Length, header too long, ...).
                    Throwable cause = req.decoderResult().cause();
                    if (cause instanceof io.netty.handler.codec.TooLongFrameException) {
                        failAndClose(ctx, 413, "the request line or headers exceed server.max_header_size ("
                                + limits.maxHeaderSize() + " bytes)");
                        return;
                    }
                    failAndClose(ctx, 400, "malformed HTTP request: " + (cause == null || cause.getMessage() == null
                            ? "cannot be parsed" : cause.getMessage()));
                    return;
                }
                keepAlive = HttpUtil.isKeepAlive(req);
                var headers = req.headers();
                call = new Call(req.method().name(), req.uri(), headers::get, ByteBufUtil.getBytes(req.content()),
                        ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : "unknown");
            } finally {
                req.release();
            }
            CompletableFuture<Reply> result = new CompletableFuture<>();
            inProgress = result;
            executor.execute(() -> {
                CompletableFuture<Reply> inner;
                try {
                    inner = handler.handle(call);
                } catch (RuntimeException | Error e) {
                    inner = CompletableFuture.failedFuture(e);
                }
                CompletableFuture<Reply> in = inner;
                // A disconnect cancels the result; pass it on so the node drops its wait.
                result.whenComplete((r, t) -> {
                    if (result.isCancelled()) {
                        in.cancel(true);
                    }
                });
                in.whenComplete((r, t) -> {
                    if (t != null) {
                        result.completeExceptionally(t);
                    } else if (!result.complete(r) && r != null) {
                        // Cancelled meanwhile (the client went away): this reply is never written.
                        r.finish();
                    }
                });
            });
            result.whenComplete((r, t) -> {
                if (result.isCancelled()) {
                    return;
                }
                // Handlers answer their own errors; anything left is unexpected: logged with an id.
                Reply reply = t == null ? r : CaxtonServer.failure(call, CaxtonServer.unwrap(t));
                ctx.executor().execute(() -> written(ctx, reply, keepAlive));
            });
        }

        private void written(ChannelHandlerContext ctx, Reply reply, boolean keepAlive) {
            if (!ctx.channel().isActive()) {
                inProgress = null;
                reply.finish();
                return;
            }
            if (reply.file() != null) {
                writeFile(ctx, reply, keepAlive);
                return;
            }
            inProgress = null;
            FullHttpResponse res = response(reply);
            if (!keepAlive) {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            ctx.writeAndFlush(res);
            next(ctx);
        }

        /** Starts the next pipelined request, if any, once an answer is out. */
        private void next(ChannelHandlerContext ctx) {
            guard.responseSent(ctx);
            FullHttpRequest next = queued.poll();
            if (next != null) {
                guard.requestComplete(ctx);
                start(ctx, next);
            }
        }

        /**
         * Sends a file body as a file region (sendfile where the transport has it), with its length
         * known up front. The request stays in progress until the last byte is out, so neither the
         * idle timeout nor a pipelined request interrupts a long download.
         */
        private void writeFile(ChannelHandlerContext ctx, Reply reply, boolean keepAlive) {
            FileChannel channel;
            long size;
            try {
                channel = FileChannel.open(reply.file().path(), StandardOpenOption.READ);
                size = channel.size();
            } catch (IOException e) {
                reply.finish();
                LOG.log(System.Logger.Level.WARNING, "cannot send {0}: {1}", reply.file().path(), e.toString());
                written(ctx, Reply.json(500, CaxtonServer.error("the file to send could not be read; see the node's log",
                        Map.of()), Map.of()), keepAlive);
                return;
            }
            DefaultHttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(reply.status()));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType());
            res.headers().set(HttpHeaderNames.CONTENT_LENGTH, size);
            reply.headers().forEach((k, v) -> res.headers().set(k, v));
            if (!keepAlive) {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            ctx.write(res);
            io.netty.util.concurrent.Future<Void> done;
            if (ctx.channel() instanceof Http2StreamChannel || ctx.pipeline().get(SslHandler.class) != null) {
                // HTTP/2 frames and TLS records both need the bytes in hand: no sendfile there.
                try {
                    done = ctx.writeAndFlush(new HttpChunkedInput(new ChunkedNioFile(channel)));
                } catch (IOException e) {
                    done = ctx.newFailedFuture(e);
                }
            } else {
                // The region closes the channel to the file once it is written or released.
                ctx.write(new DefaultFileRegion(channel, 0, size));
                done = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            done.addListener(f -> {
                reply.finish();
                inProgress = null;
                if (!f.isSuccess() || !keepAlive) {
                    ctx.close();
                    return;
                }
                next(ctx);
            });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            CompletableFuture<Reply> p = inProgress;
            if (p != null) {
                p.cancel(true);
            }
            FullHttpRequest q;
            while ((q = queued.poll()) != null) {
                q.release();
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // Resets and broken pipes are clients going away; nothing to report beyond debug.
            LOG.log(System.Logger.Level.DEBUG, "connection {0}: {1}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    /**
     * Counts the connection against {@code server.max_connections} and enforces the two timeouts:
     * {@code request_timeout} from the first byte of a request until it is complete, and
     * {@code idle_timeout} while the connection has no request at all. A request being handled
     * (e.g. waiting for a reply) is under neither.
     *
     * <p>On HTTP/2 the connection's guard only counts it and closes it when no stream has been open
     * for {@code idle_timeout}; each stream has a guard of its own that gives its request
     * {@code request_timeout} to arrive.
     */
    private final class Guard extends ChannelInboundHandlerAdapter {

        /** The connection's guard when this one guards an HTTP/2 stream; null for a connection. */
        private final Guard connection;
        private ChannelHandlerContext ctx;
        private ScheduledFuture<?> timer;
        /** Set once the connection's last answer is out: input is read and dropped until it closes. */
        private boolean discarding;
        private boolean receiving;
        private boolean handling;
        /** Set once the connection speaks HTTP/2: its requests are its streams' business. */
        private boolean h2;
        private int streams;

        Guard(Guard connection) {
            this.connection = connection;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            if (connection != null) {
                connection.streams++;
                receiving = true;
                arm(ctx, limits.requestTimeoutMs(), true);
                super.channelActive(ctx);
                return;
            }
            if (open.incrementAndGet() > limits.maxConnections()) {
                LOG.log(System.Logger.Level.DEBUG, "refusing {0}: {1} connections open (server.max_connections)",
                        ctx.channel().remoteAddress(), limits.maxConnections());
                answerAndClose(ctx.channel(), new Reply(503, "application/json", errorBody(
                        "too many connections (server.max_connections is " + limits.maxConnections() + "); try again later",
                        Map.of()), Map.of("Retry-After", "1")));
                return;
            }
            arm(ctx, limits.idleTimeoutMs(), false);
            super.channelActive(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (connection != null) {
                connection.streams--;
            } else {
                open.decrementAndGet();
            }
            cancel();
            super.channelInactive(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (discarding) {
                io.netty.util.ReferenceCountUtil.release(msg);
                return;
            }
            if (!receiving && !handling && !h2) {
                receiving = true;
                arm(ctx, limits.requestTimeoutMs(), true);
            }
            super.channelRead(ctx, msg);
        }

        /** The connection has become HTTP/2: from now on only its idleness is watched here. */
        void http2() {
            h2 = true;
            receiving = false;
            handling = false;
            arm(ctx, limits.idleTimeoutMs(), false);
        }

        void requestComplete(ChannelHandlerContext ctx) {
            receiving = false;
            handling = true;
            cancel();
        }

        void responseSent(ChannelHandlerContext ctx) {
            handling = false;
            if (connection == null) {
                arm(ctx, limits.idleTimeoutMs(), false);
            }
        }

        private void arm(ChannelHandlerContext ctx, long ms, boolean request) {
            cancel();
            timer = ctx.executor().schedule(() -> {
                if (request) {
                    if (receiving) {
                        failAndClose(ctx, 408, "the request did not arrive completely within server.request_timeout ("
                                + ms + " ms)");
                    }
                } else if (h2 && streams > 0) {
                    // Streams are open (perhaps waiting for replies): not idle; look again later.
                    arm(ctx, ms, false);
                } else if (!receiving && !handling) {
                    ctx.close();
                }
            }, ms, TimeUnit.MILLISECONDS);
        }

        private void cancel() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }
    }
}
