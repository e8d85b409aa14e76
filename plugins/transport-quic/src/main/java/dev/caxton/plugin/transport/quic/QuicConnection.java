package dev.caxton.plugin.transport.quic;

import dev.caxton.spi.transport.Connection;
import dev.caxton.spi.transport.FrameHandler;
import dev.caxton.spi.transport.NodeHandshake;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One QUIC connection as the SPI sees it: the single bidirectional stream its frames travel on (the
 * connecting node opens it right after the QUIC handshake). The stream's pipeline ends with this
 * handler; closing the connection closes the QUIC connection around the stream.
 *
 * <p>Sends are queued lock-free and written by one event-loop task per burst with one flush, as on
 * {@code tcp}; QUIC then packs the burst into as few UDP datagrams as it can.
 */
final class QuicConnection extends ChannelInboundHandlerAdapter implements Connection {

    private static final System.Logger LOG = System.getLogger("dev.caxton.transport.quic");

    private final QuicTransport transport;
    private final QuicStreamChannel stream;
    private final FrameHandler handler;
    private final InetSocketAddress remote;
    private final boolean connecting;
    private final CompletableFuture<Connection> connected;
    private final ConcurrentLinkedQueue<ByteBuf> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainPending = new AtomicBoolean();
    private volatile String peer;
    private volatile boolean open;
    private volatile boolean closing;
    private volatile boolean writable = true;
    private Throwable failure;
    private ScheduledFuture<?> timer;

    QuicConnection(QuicTransport transport, QuicStreamChannel stream, FrameHandler handler, InetSocketAddress remote,
                   boolean connecting, CompletableFuture<Connection> connected) {
        this.transport = transport;
        this.stream = stream;
        this.handler = handler;
        this.remote = remote;
        this.connecting = connecting;
        this.connected = connected;
    }

    private QuicChannel quic() {
        return stream.parent();
    }

    @Override
    public String peerNodeId() {
        return peer;
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
                    + transport.maxFrameBytes() + " bytes (transport.quic.max_frame_size)");
        }
        if (!open || closing) {
            return false;
        }
        queue.add(stream.alloc().directBuffer(4 + n).writeInt(n).writeBytes(frame.duplicate()));
        if (drainPending.compareAndSet(false, true)) {
            run(this::writeQueued);
        }
        return true;
    }

    /** Writes raw bytes on the stream; only tests use it, to cut a frame short. */
    void writeRaw(ByteBuf bytes) {
        stream.writeAndFlush(bytes);
    }

    private void run(Runnable task) {
        try {
            stream.eventLoop().execute(task);
        } catch (RejectedExecutionException stopped) {
            open = false;
            closing = true;
            discard();
        }
    }

    private void writeQueued() {
        drainPending.set(false);
        if (!stream.isActive()) {
            discard();
            return;
        }
        int written = 0;
        for (ByteBuf b = queue.poll(); b != null; b = queue.poll()) {
            stream.write(b, stream.voidPromise());
            written++;
        }
        if (written > 0) {
            stream.flush();
            noticeWritability();
        }
    }

    private void discard() {
        for (ByteBuf b = queue.poll(); b != null; b = queue.poll()) {
            b.release();
        }
    }

    private void noticeWritability() {
        boolean now = stream.isWritable();
        if (open && now != writable) {
            writable = now;
            handler.onWritabilityChanged(this, now);
        }
    }

    @Override
    public void flush() {
        if (open && drainPending.compareAndSet(false, true)) {
            run(this::writeQueued);
        }
    }

    @Override
    public boolean isWritable() {
        return open && !closing && writable;
    }

    @Override
    public void pauseReading() {
        stream.config().setAutoRead(false);
    }

    @Override
    public void resumeReading() {
        stream.config().setAutoRead(true);
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
        run(() -> {
            writeQueued();
            if (!stream.isActive()) {
                return;
            }
            // FIN after the queued frames; the peer closes the connection once it has read them all
            stream.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> stream.shutdownOutput());
            long ms = transport.settings().closeTimeout().toMillis();
            stream.eventLoop().schedule(() -> {
                if (quic().isActive()) {
                    LOG.log(Level.WARNING, "closing the connection to {0}: frames not delivered within {1} ms, aborting", peer, ms);
                    quic().close();
                }
            }, ms, TimeUnit.MILLISECONDS);
        });
    }

    @Override
    public void abort() {
        closing = true;
        run(() -> {
            discard();
            quic().close();
        });
    }

    io.netty.channel.ChannelFuture closeFuture() {
        return quic().closeFuture();
    }

    @Override
    public String toString() {
        return "quic connection to " + peer + " at " + remote;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (connecting) {
            ctx.writeAndFlush(handshakeFrame(ctx));
        }
        timer = ctx.executor().schedule(() -> {
            if (peer == null) {
                failure = new IOException("no handshake from " + remote + " within "
                        + transport.settings().handshakeTimeout().toMillis() + " ms (transport.quic.handshake_timeout)");
                quic().close();
            }
        }, transport.settings().handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
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
            if (peer == null) {
                greet(ctx, frame);
            } else if (open) {
                handler.onFrame(this, frame.nioBuffer().asReadOnlyBuffer());
            }
        } catch (IOException e) {
            failure = e;
            quic().close();
        } finally {
            frame.release();
        }
    }

    private void greet(ChannelHandlerContext ctx, ByteBuf frame) throws IOException {
        String id = NodeHandshake.decode(frame.nioBuffer());
        if (transport.settings().trust() != null && (connecting || transport.settings().mutualTls())) {
            try {
                NodeHandshake.checkCertificate(id, quic().sslEngine().getSession().getPeerCertificates());
            } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                throw new IOException("node " + id + " presented no certificate", e);
            }
        }
        timer.cancel(false);
        if (!connecting) {
            ctx.writeAndFlush(handshakeFrame(ctx));
        }
        peer = id;
        open = true;
        transport.opened(this);
        handler.onOpen(this);
        connected.complete(this);
        noticeWritability();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof io.netty.channel.socket.ChannelInputShutdownReadComplete) {
            // the peer's FIN, after every frame before it was read: the orderly end of the connection
            quic().close();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        noticeWritability();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof DecoderException d && d.getCause() != null ? d.getCause() : cause;
        if (c instanceof TooLongFrameException) {
            c = new IOException("a frame announced by " + (peer == null ? remote : peer) + " exceeds the maximum of "
                    + transport.maxFrameBytes() + " bytes (transport.quic.max_frame_size); connection closed", c);
        }
        if (failure == null) {
            failure = c;
        }
        quic().close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        boolean wasOpen = open;
        open = false;
        closing = true;
        discard();
        if (timer != null) {
            timer.cancel(false);
        }
        // the stream ending (the peer's FIN, or a reset) ends the connection
        quic().close();
        if (failure != null) {
            LOG.log(Level.WARNING, "transport connection {0} {1} closed: {2}",
                    peer == null ? "from" : "with " + peer + " at", remote, failure.getMessage());
        }
        IOException why = new IOException("connection to " + remote + " closed before the transport handshake completed"
                + (failure == null ? "" : ": " + failure.getMessage()), failure);
        connected.completeExceptionally(why);
        if (wasOpen) {
            transport.closed(this);
            handler.onClosed(this, failure);
        }
        ctx.fireChannelInactive();
    }
}
