package dev.caxton.transport.netty;

import dev.caxton.spi.transport.Connection;
import dev.caxton.spi.transport.FrameHandler;
import dev.caxton.spi.transport.NodeHandshake;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.cert.Certificate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * One connection of a Netty transport: the last handler of the pipeline of the channel its frames
 * travel on (a TCP socket, or a QUIC stream), and the {@link Connection} the application sends on.
 *
 * <p>Sending from any thread encodes the frame (compressing it when the codec says so) on the
 * caller's thread, puts it on a lock-free queue and, if no drain is pending, schedules one on the
 * channel's event loop; the drain writes everything queued and flushes once. So a burst of sends
 * costs one task and one flush, and no future is made per frame.
 *
 * <p>The connecting end sends its node id first; the accepting end answers only once it accepted
 * it, so a refused node never completes its connect. A subclass says how its transport checks the
 * peer's certificate and how it ends the connection around the channel.
 */
public abstract class FramedConnection extends ChannelInboundHandlerAdapter implements Connection {

    private static final System.Logger LOG = System.getLogger("dev.caxton.transport.netty");

    private final TransportCore core;
    private final Channel channel;
    private final FrameHandler handler;
    private final InetSocketAddress remote;
    private final boolean connecting;
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

    /**
     * A connection over {@code channel}.
     *
     * @param core       the transport's shared part
     * @param channel    the channel frames are written to and read from
     * @param handler    the application's handler
     * @param remote     the peer's address
     * @param connecting whether this end opened the connection (it speaks first)
     * @param connected  completed with this connection once the handshake is done, or failed
     */
    protected FramedConnection(TransportCore core, Channel channel, FrameHandler handler, InetSocketAddress remote,
                               boolean connecting, CompletableFuture<Connection> connected) {
        this.core = core;
        this.channel = channel;
        this.handler = handler;
        this.remote = remote;
        this.connecting = connecting;
        this.connected = connected;
    }

    /**
     * The certificates to check against the node id the peer announced, or null when this end does
     * not check (no TLS, or a listener that asked for no client certificate).
     *
     * @param ctx this handler's context
     * @return the peer's certificate chain, or null
     * @throws SSLPeerUnverifiedException when a check is due but the peer presented none
     */
    protected abstract Certificate[] certificatesToCheck(ChannelHandlerContext ctx) throws SSLPeerUnverifiedException;

    /** On the event loop, after the queue was written: ends the output once it has left (a FIN). */
    protected abstract void endOutput();

    /** Closes the whole connection the channel belongs to, at once. */
    protected abstract void closeConnection();

    /**
     * Whether the whole connection is still up (a graceful close that outlives the close timeout
     * is then cut short).
     *
     * @return true while up
     */
    protected abstract boolean connectionActive();

    /**
     * Completes when the whole connection is closed; for the transport's shutdown.
     *
     * @return the future
     */
    protected abstract ChannelFuture closeFuture();

    /**
     * The transport's name, for messages.
     *
     * @return e.g. {@code tcp}
     */
    protected abstract String transportName();

    /**
     * The channel frames travel on.
     *
     * @return the channel
     */
    protected final Channel channel() {
        return channel;
    }

    // --- Connection ---

    @Override
    public final String peerNodeId() {
        return peerNodeId;
    }

    @Override
    public final InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public final boolean send(ByteBuffer frame) {
        core.codec().checkSize(frame.remaining());
        if (!open || closing) {
            return false;
        }
        outbound.add(core.codec().encode(channel.alloc(), frame));
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
        } catch (RejectedExecutionException shutDown) {
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
        int limit = coalesceUpTo();
        ByteBuf pending = null;
        boolean merged = false;
        for (ByteBuf b = outbound.poll(); b != null; b = outbound.poll()) {
            if (pending != null && pending.readableBytes() + b.readableBytes() <= limit) {
                if (!merged) {
                    ByteBuf m = channel.alloc().directBuffer(Math.min(limit, 8 * (pending.readableBytes() + b.readableBytes())), limit);
                    m.writeBytes(pending);
                    pending.release();
                    pending = m;
                    merged = true;
                }
                pending.writeBytes(b);
                b.release();
                continue;
            }
            if (pending != null) {
                channel.write(pending, channel.voidPromise());
            }
            pending = b;
            merged = false;
        }
        if (pending != null) {
            channel.write(pending, channel.voidPromise());
            channel.flush();
            // Netty reports writability through the pipeline; checking here as well makes the
            // report independent of which handler (TLS) queued the bytes.
            checkWritability();
        }
    }

    /**
     * Up to how many bytes consecutive queued frames are copied into one buffer before they are
     * written; 0 writes each frame on its own. A channel that turns every write into packets at
     * once (a QUIC stream sends and flushes on each write) wants a burst as one write; one that
     * gathers writes until the flush (a TCP socket) does not need the copy.
     *
     * @return the most bytes merged into one write, or 0
     */
    protected int coalesceUpTo() {
        return 0;
    }

    private void checkWritability() {
        boolean w = channel.isWritable();
        if (open && w != reportedWritable) {
            reportedWritable = w;
            handler.onWritabilityChanged(this, w);
        }
    }

    private void releaseQueued() {
        for (ByteBuf b = outbound.poll(); b != null; b = outbound.poll()) {
            b.release();
        }
    }

    @Override
    public final void flush() {
        if (open) {
            scheduleDrain();
        }
    }

    @Override
    public final boolean isWritable() {
        return open && !closing && reportedWritable;
    }

    @Override
    public final void pauseReading() {
        channel.config().setAutoRead(false);
    }

    @Override
    public final void resumeReading() {
        channel.config().setAutoRead(true);
    }

    @Override
    public final boolean isOpen() {
        return open && !closing;
    }

    @Override
    public final void close() {
        if (closing) {
            return;
        }
        closing = true;
        onLoop(() -> {
            drain();
            if (!channel.isActive()) {
                return;
            }
            endOutput();
            long ms = core.closeTimeout().toMillis();
            channel.eventLoop().schedule(() -> {
                if (connectionActive()) {
                    LOG.log(Level.WARNING, "closing the {0} connection to {1}: queued frames not delivered within {2} ms, aborting",
                            transportName(), peerNodeId, ms);
                    closeConnection();
                }
            }, ms, TimeUnit.MILLISECONDS);
        });
    }

    @Override
    public final void abort() {
        closing = true;
        onLoop(() -> {
            releaseQueued();
            closeConnection();
        });
    }

    @Override
    public String toString() {
        return transportName() + " connection to " + peerNodeId + " at " + remote;
    }

    // --- channel events (all on the channel's event loop) ---

    /**
     * Starts the handshake once the channel can carry bytes: the connecting end sends its node id,
     * and either end gives the other the handshake timeout to name itself.
     *
     * @param ctx this handler's context
     */
    protected final void startHandshake(ChannelHandlerContext ctx) {
        if (connecting) {
            ctx.writeAndFlush(handshakeFrame(ctx), ctx.voidPromise());
        }
        handshakeTimer = ctx.executor().schedule(() -> {
            if (peerNodeId == null) {
                failure = new IOException("no handshake from " + remote + " within " + core.handshakeTimeout().toMillis()
                        + " ms (transport." + transportName() + ".handshake_timeout)");
                closeConnection();
            }
        }, core.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** This node's handshake, never compressed. */
    private ByteBuf handshakeFrame(ChannelHandlerContext ctx) {
        return FrameCodec.plain(ctx.alloc(), NodeHandshake.encode(core.nodeId()));
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
            closeConnection();
        } finally {
            frame.release();
        }
    }

    private void handshake(ChannelHandlerContext ctx, ByteBuf frame) throws IOException {
        String id = NodeHandshake.decode(frame.nioBuffer());
        try {
            Certificate[] chain = certificatesToCheck(ctx);
            if (chain != null) {
                NodeHandshake.checkCertificate(id, chain);
            }
        } catch (SSLPeerUnverifiedException e) {
            throw new IOException("node " + id + " presented no certificate", e);
        }
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
        if (!connecting) {
            ctx.writeAndFlush(handshakeFrame(ctx), ctx.voidPromise());
        }
        peerNodeId = id;
        open = true;
        core.opened(this);
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
        Throwable c = cause instanceof DecoderException d && d.getCause() != null ? d.getCause() : cause;
        if (failure == null) {
            failure = c;
        }
        closeConnection();
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
        // the channel ending (a FIN, a reset, a QUIC stream's end) ends the whole connection
        closeConnection();
        if (failure != null) {
            LOG.log(Level.WARNING, "{0} transport connection {1} {2} closed: {3}", transportName(),
                    peerNodeId == null ? "from" : "with " + peerNodeId + " at", remote, failure.getMessage());
        }
        if (wasOpen) {
            core.closed(this);
            // a handler that threw in onOpen left the connect pending: it fails here
            connected.completeExceptionally(new IOException("connection to " + remote + " closed", failure));
            handler.onClosed(this, failure);
        } else {
            if (failure == null && !connecting) {
                LOG.log(Level.WARNING, "{0} transport connection from {1} closed before the transport handshake; ignored",
                        transportName(), remote);
            }
            connected.completeExceptionally(new IOException("connection to " + remote + " closed before the handshake completed"
                    + (failure == null ? " (refused by the peer, or not a Caxton transport)" : ": " + failure.getMessage()), failure));
        }
        ctx.fireChannelInactive();
    }
}
