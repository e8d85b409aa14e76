package dev.caxton.transport.tcp;

import dev.caxton.spi.transport.Connection;
import dev.caxton.spi.transport.FrameHandler;
import dev.caxton.transport.netty.FramedConnection;
import dev.caxton.transport.netty.TransportCore;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * One TCP connection: the shared framed connection on a socket channel, which is the whole
 * connection. A graceful close ends with a FIN once the queued frames left.
 */
final class TcpConnection extends FramedConnection {

    private final boolean mutualTls;

    TcpConnection(TransportCore core, SocketChannel channel, FrameHandler handler, InetSocketAddress remote,
                  CompletableFuture<Connection> connected, boolean mutualTls) {
        super(core, channel, handler, remote, channel.parent() == null, connected);
        this.mutualTls = mutualTls;
    }

    @Override
    protected Certificate[] certificatesToCheck(ChannelHandlerContext ctx) throws SSLPeerUnverifiedException {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        // a connecting node checks the listener's certificate; a listener checks the connecting
        // node's only when it asked for one (client_auth: require)
        if (ssl == null || !(mutualTls || ctx.channel().parent() == null)) {
            return null;
        }
        return ssl.engine().getSession().getPeerCertificates();
    }

    @Override
    protected void endOutput() {
        // the empty write completes after everything before it left; then the FIN goes out
        channel().writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    protected void closeConnection() {
        channel().close();
    }

    @Override
    protected boolean connectionActive() {
        return channel().isActive();
    }

    @Override
    protected ChannelFuture closeFuture() {
        return channel().closeFuture();
    }

    @Override
    protected String transportName() {
        return "tcp";
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        startHandshake(ctx);
        ctx.fireChannelActive();
    }
}
