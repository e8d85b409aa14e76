package dev.caxton.plugin.transport.tcp;

import dev.caxton.spi.transport.Connection;
import dev.caxton.spi.transport.FrameHandler;
import dev.caxton.spi.transport.NodeHandshake;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One TCP connection: the last handler of its channel's pipeline (handshake, then frames to the
 * application's {@link FrameHandler}) and the {@link Connection} the application sends on.
 *
 * <p>Sending from any thread puts an encoded frame on a lock-free queue and, if no drain is pending,
 * schedules one on the channel's event loop; the drain writes everything queued and flushes once. So
 * a burst of sends costs one task and one system call, and no future is made per frame.
 */
final class TcpConnection extends ChannelInboundHandlerAdapter implements Connection {

    private static final System.Logger LOG = System.getLogger("dev.caxton.transport.tcp");

    private final TcpTransport transport;
    private final Channel channel;
    private final FrameHandler handler;
    private final InetSocketAddress remote;
    private final CompletableFuture<Connection> connected;
    private final ConcurrentLinkedQueue<ByteBuf> outbound = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drain;
    private volatile String peerNodeId;
    private volatile boolean open;
    private volatile boolean closing;
    // Writability as the handler was told it, updated on the event loop only. isWritable() answers
    // from it rather than from the channel, so a caller that saw false is sure to get the event
    // that turns it true (the channel's own flag can flip and flip back between two events).
    private volatile boolean reportedWritable = true;
    private Throwable failure;
    private ScheduledFuture<?> handshakeTimer;

    TcpConnection(TcpTransport transport, Channel channel, FrameHandler handler, InetSocketAddress remote,
                  CompletableFuture<Connection> connected) {
        this.transport = transport;
        this.channel = channel;
        this.handler = handler;
        this.remote = remote;
        this.connected = connected;
    }

    // --- Connection ---

    @Override
    public String peerNodeId() {
        return peerNodeId;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public boolean send(ByteBuffer frame) {
        int n = frame.remaining();
        if (n > transport.maxFrameBytes()) {
            throw new IllegalArgumentException("frame of " + n + " bytes exceeds the transport's maximum of "
                    + transport.maxFrameBytes() + " bytes (transport.tcp.max_frame_size)");
        }
        if (!open || closing) {
            return false;
        }
        ByteBuf buf = channel.alloc().directBuffer(4 + n);
        buf.writeInt(n).writeBytes(frame.duplicate());
        outbound.add(buf);
        scheduleDrain();
        return true;
    }

    private void scheduleDrain() {
        if (drainScheduled.compareAndSet(false, true)) {
            onLoop(drainTask);
        }
    }

    /** Runs a task on the channel's event loop; once the transport shut its loops down, drops the queue instead. */
    private void onLoop(Runnable task) {
        try {
            channel.eventLoop().execute(task);
        } catch (java.util.concurrent.RejectedExecutionException shutDown) {
            open = false;
            closing = true;
            releaseQueued();
        }
    }

    /** On the event loop: everything queued goes into the channel, then one flush. */
    private void drain() {
        drainScheduled.set(false);
        if (!channel.isActive()) {
            releaseQueued();
            return;
        }
        ByteBuf b;
        boolean wrote = false;
        while ((b = outbound.poll()) != null) {
            channel.write(b, channel.voidPromise());
            wrote = true;
        }
        if (wrote) {
            channel.flush();
            // Netty reports writability through the pipeline; checking here as well makes the
            // report independent of which handler (TLS) queued the bytes.
            checkWritability();
        }
    }

    private void checkWritability() {
        boolean w = channel.isWritable();
        if (open && w != reportedWritable) {
            reportedWritable = w;
            handler.onWritabilityChanged(this, w);
        }
    }

    private void releaseQueued() {
        ByteBuf b;
        while ((b = outbound.poll()) != null) {
            b.release();
        }
    }

    @Override
    public void flush() {
        if (open) {
            scheduleDrain();
        }
    }

    @Override
    public boolean isWritable() {
        return open && !closing && reportedWritable;
    }

    @Override
    public void pauseReading() {
        channel.config().setAutoRead(false);
    }

    @Override
    public void resumeReading() {
        channel.config().setAutoRead(true);
    }

    @Override
    public boolean isOpen() {
        return open && !closing;
    }

    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        onLoop(() -> {
            drain();
            if (!channel.isActive()) {
                return;
            }
            // the empty write completes after everything before it left; then the FIN goes out
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            long ms = transport.settings().closeTimeout().toMillis();
            channel.eventLoop().schedule(() -> {
                if (channel.isActive()) {
                    LOG.log(Level.WARNING, "closing the connection to {0} gave up waiting for {1} queued bytes after {2} ms",
                            peerNodeId, channel.unsafe().outboundBuffer() == null ? 0
                                    : channel.unsafe().outboundBuffer().totalPendingWriteBytes(), ms);
                    channel.close();
                }
            }, ms, TimeUnit.MILLISECONDS);
        });
    }

    @Override
    public void abort() {
        closing = true;
        onLoop(() -> {
            releaseQueued();
            channel.close();
        });
    }

    /** Completes when the channel is closed; for the transport's shutdown. */
    io.netty.channel.ChannelFuture closeFuture() {
        return channel.closeFuture();
    }

    @Override
    public String toString() {
        return "tcp connection to " + peerNodeId + " at " + remote;
    }

    // --- channel events (all on the channel's event loop) ---

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // The connecting end speaks first; the listener answers only once it accepted the
        // connecting node, so a refused node never completes its connect.
        if (ctx.channel().parent() == null) {
            ctx.writeAndFlush(handshakeFrame(ctx), ctx.voidPromise());
        }
        handshakeTimer = ctx.executor().schedule(() -> {
            if (peerNodeId == null) {
                failure = new IOException("no handshake from " + remote + " within "
                        + transport.settings().handshakeTimeout().toMillis() + " ms (transport.tcp.handshake_timeout)");
                ctx.close();
            }
        }, transport.settings().handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    /** This node's handshake, length-prefixed like every frame. */
    private ByteBuf handshakeFrame(ChannelHandlerContext ctx) {
        byte[] payload = NodeHandshake.encode(transport.localNodeId());
        return ctx.alloc().buffer(4 + payload.length).writeInt(payload.length).writeBytes(payload);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        try {
            if (peerNodeId == null) {
                handshake(ctx, frame);
            } else if (open) {
                handler.onFrame(this, frame.nioBuffer().asReadOnlyBuffer());
            }
        } catch (IOException e) {
            failure = e;
            ctx.close();
        } finally {
            frame.release();
        }
    }

    private void handshake(ChannelHandlerContext ctx, ByteBuf frame) throws IOException {
        String id = NodeHandshake.decode(frame.nioBuffer());
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (ssl != null && (transport.settings().mutualTls() || ctx.channel().parent() == null)) {
            // a connecting node checks the listener's certificate; a listener checks the
            // connecting node's only when it asked for one (client_auth: require)
            try {
                NodeHandshake.checkCertificate(id, ssl.engine().getSession().getPeerCertificates());
            } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                throw new IOException("node " + id + " presented no certificate", e);
            }
        }
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
        if (ctx.channel().parent() != null) {
            ctx.writeAndFlush(handshakeFrame(ctx), ctx.voidPromise());
        }
        peerNodeId = id;
        open = true;
        transport.opened(this);
        handler.onOpen(this);
        connected.complete(this);
        reportedWritable = channel.isWritable();
        if (!reportedWritable) {
            handler.onWritabilityChanged(this, false);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        checkWritability();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof io.netty.handler.codec.DecoderException d && d.getCause() != null ? d.getCause() : cause;
        if (failure == null) {
            failure = c;
        }
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        boolean wasOpen = open;
        open = false;
        closing = true;
        releaseQueued();
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
        if (failure != null) {
            LOG.log(Level.WARNING, "transport connection {0} {1} closed: {2}",
                    peerNodeId == null ? "from" : "with " + peerNodeId + " at", remote, failure.getMessage());
        }
        if (wasOpen) {
            transport.closed(this);
            // a handler that threw in onOpen left the connect pending: it fails here
            connected.completeExceptionally(new IOException("connection to " + remote + " closed", failure));
            handler.onClosed(this, failure);
        } else {
            if (failure == null && ctx.channel().parent() != null) {
                LOG.log(Level.WARNING, "connection from {0} closed before the transport handshake; ignored", remote);
            }
            IOException why = new IOException("connection to " + remote + " closed before the handshake completed"
                    + (failure == null ? " (refused by the peer, or not a Caxton transport)" : ": " + failure.getMessage()), failure);
            connected.completeExceptionally(why);
        }
        ctx.fireChannelInactive();
    }
}
