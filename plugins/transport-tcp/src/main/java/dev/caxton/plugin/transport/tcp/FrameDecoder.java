package dev.caxton.plugin.transport.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.io.IOException;
import java.util.List;

/**
 * Splits the byte stream into frames: a 4-byte big-endian length, then that many bytes. A length
 * above the limit (or negative) is refused as soon as its prefix arrives, before any of the frame is
 * buffered, by failing the connection; the listener and other connections are not affected.
 */
final class FrameDecoder extends ByteToMessageDecoder {

    /** A peer announced a frame the limit refuses. */
    static final class FrameTooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        FrameTooLargeException(String message) {
            super(message);
        }
    }

    private static final System.Logger LOG = System.getLogger("dev.caxton.transport.tcp");

    private final int maxFrame;

    FrameDecoder(int maxFrame) {
        this.maxFrame = maxFrame;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        while (in.readableBytes() >= 4) {
            int length = in.getInt(in.readerIndex());
            if (length < 0 || length > maxFrame) {
                in.skipBytes(in.readableBytes());
                throw new FrameTooLargeException("frame of " + Integer.toUnsignedString(length)
                        + " bytes announced by " + ctx.channel().remoteAddress() + " exceeds the maximum of " + maxFrame
                        + " bytes (transport.tcp.max_frame_size); connection closed");
            }
            if (in.readableBytes() < 4 + length) {
                return;
            }
            in.skipBytes(4);
            out.add(in.readRetainedSlice(length));
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        decode(ctx, in, out);
        if (in.isReadable()) {
            // the peer went away mid-frame: what came of the frame is dropped, nothing is delivered
            LOG.log(System.Logger.Level.WARNING, "peer {0} closed the connection in the middle of a frame; {1} bytes dropped",
                    ctx.channel().remoteAddress(), in.readableBytes());
            in.skipBytes(in.readableBytes());
        }
    }
}
