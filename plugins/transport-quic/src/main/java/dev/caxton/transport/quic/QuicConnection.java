package dev.caxton.transport.quic;

import dev.caxton.spi.transport.Connection;
import dev.caxton.spi.transport.FrameHandler;
import dev.caxton.transport.netty.FramedConnection;
import dev.caxton.transport.netty.TransportCore;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * One QUIC connection as the SPI sees it: the shared framed connection on the single bidirectional
 * stream its frames travel on (the connecting node opens it right after the QUIC handshake).
 * Closing the connection closes the QUIC connection around the stream; QUIC packs each burst the
 * send queue writes into as few UDP datagrams as it can.
 */
final class QuicConnection extends FramedConnection {

    private final QuicStreamChannel stream;
    private final boolean checkPeer;

    QuicConnection(TransportCore core, QuicStreamChannel stream, FrameHandler handler, InetSocketAddress remote,
                   boolean connecting, CompletableFuture<Connection> connected, boolean checkPeer) {
        super(core, stream, handler, remote, connecting, connected);
        this.stream = stream;
        this.checkPeer = checkPeer;
    }

    /**
     * A burst's frames go to the stream as writes of up to this many bytes. Netty's QUIC stream
     * hands each write to quiche and sends the resulting packets at once (outside a read), so one
     * write per frame put each small frame in a UDP datagram of its own: a packet, its encryption
     * and a system call per frame, and as many acknowledgements back.
     */
    static final int COALESCE_BYTES = 64 * 1024;

    private QuicChannel quic() {
        return stream.parent();
    }

    /** Writes raw bytes on the stream; only tests use it, to cut a frame short. */
    void writeRaw(ByteBuf bytes) {
        stream.writeAndFlush(bytes);
    }

    @Override
    protected Certificate[] certificatesToCheck(ChannelHandlerContext ctx) throws SSLPeerUnverifiedException {
        return checkPeer ? quic().sslEngine().getSession().getPeerCertificates() : null;
    }

    @Override
    protected int coalesceUpTo() {
        return COALESCE_BYTES;
    }

    /**
     * The event loop this connection's stream runs on; tests queue sends there so that they reach
     * the drain as one burst.
     *
     * @return the loop
     */
    io.netty.channel.EventLoop eventLoop() {
        return stream.eventLoop();
    }

    /**
     * The QUIC connection around the stream, for its statistics in tests.
     *
     * @return the QUIC channel
     */
    QuicChannel quicChannel() {
        return quic();
    }

    @Override
    protected void endOutput() {
        // FIN after the queued frames; the peer closes the connection once it has read them all
        stream.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> stream.shutdownOutput());
    }

    @Override
    protected void closeConnection() {
        quic().close();
    }

    @Override
    protected boolean connectionActive() {
        return quic().isActive();
    }

    @Override
    protected ChannelFuture closeFuture() {
        return quic().closeFuture();
    }

    @Override
    protected String transportName() {
        return "quic";
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        startHandshake(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof io.netty.channel.socket.ChannelInputShutdownReadComplete) {
            // the peer's FIN, after every frame before it was read: the orderly end of the connection
            quic().close();
        }
        ctx.fireUserEventTriggered(evt);
    }
}
