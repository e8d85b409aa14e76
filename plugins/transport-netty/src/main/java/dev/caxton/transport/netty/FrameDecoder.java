package dev.caxton.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.List;

/**
 * Splits a byte stream into frames in the format of {@link FrameCodec}, decompressing those marked
 * compressed.
 *
 * <p>A length above the limit is refused as soon as its word arrives, before any of the frame is
 * buffered, by failing the connection: the framing itself cannot be trusted any more. A compressed
 * frame whose framing is sound but whose declared or actual decompressed size exceeds the limit (a
 * decompression bomb), or whose bytes are not LZ4, is dropped with a log line and a count in
 * {@link WireCounters#refusedFrames()}; the connection carries on with the next frame.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

    /** A peer announced a frame the limit refuses. */
    public static final class FrameTooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        FrameTooLargeException(String message) {
            super(message);
        }
    }

    private static final System.Logger LOG = System.getLogger("dev.caxton.transport.netty");

    private final FrameCodec codec;

    FrameDecoder(FrameCodec codec) {
        this.codec = codec;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        int max = codec.maxFrame();
        while (in.readableBytes() >= 4) {
            int word = in.getInt(in.readerIndex());
            boolean compressed = (word & FrameCodec.COMPRESSED) != 0;
            int length = word & ~FrameCodec.COMPRESSED;
            if (length > max || (compressed && length < 4)) {
                in.skipBytes(in.readableBytes());
                throw new FrameTooLargeException((compressed ? "compressed " : "") + "frame of " + length
                        + " bytes announced by " + ctx.channel().remoteAddress()
                        + (length > max ? " exceeds the maximum of " + max + " bytes (" + codec.section() + ".max_frame_size)"
                                : " is too short to hold its size")
                        + "; connection closed");
            }
            if (in.readableBytes() < 4 + length) {
                return;
            }
            in.skipBytes(4);
            if (!compressed) {
                out.add(in.readRetainedSlice(length));
                continue;
            }
            int declared = in.readInt();
            int body = length - 4;
            ByteBuf frame = declared < 0 || declared > max ? null : codec.decompress(ctx.alloc(), in, body, declared);
            in.skipBytes(body);
            if (frame == null) {
                codec.counters().refusedFrames.increment();
                LOG.log(Level.WARNING, "compressed frame from {0} refused: {1}; the frame is dropped, the connection kept",
                        ctx.channel().remoteAddress(), declared < 0 || declared > max
                                ? "it declares " + Integer.toUnsignedString(declared) + " bytes once decompressed, above the maximum of "
                                        + max + " bytes (" + codec.section() + ".max_frame_size)"
                                : "its " + body + " bytes do not decompress to the " + declared + " bytes it declares");
                continue;
            }
            out.add(frame);
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        decode(ctx, in, out);
        if (in.isReadable()) {
            // the peer went away mid-frame: what came of the frame is dropped, nothing is delivered
            LOG.log(Level.WARNING, "peer {0} closed the connection in the middle of a frame; {1} bytes dropped",
                    ctx.channel().remoteAddress(), in.readableBytes());
            in.skipBytes(in.readableBytes());
        }
    }
}
