package dev.caxton.transport.netty;

import dev.caxton.spi.transport.Compression;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.Objects;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * The frame format both Netty transports speak, and what compresses it.
 *
 * <p>A frame is a 4-byte big-endian word, then its bytes. The word's low 31 bits are the length of
 * what follows; its top bit says whether the frame is compressed. A compressed frame's bytes are its
 * original size (4 bytes) then one LZ4 block. An uncompressed frame is therefore byte for byte what
 * the transports sent before compression existed, and a receiver tells the two apart per frame: it
 * always accepts both, whatever its own setting, so a cluster can turn compression on node by node.
 *
 * <p>The sender compresses a frame only when {@link Compression#applies} and the result is smaller;
 * otherwise it goes as it is. Compression runs on the sending thread, not the event loop.
 */
public final class FrameCodec {

    /** The top bit of the length word: the frame is compressed. */
    static final int COMPRESSED = 0x8000_0000;

    private static final LZ4Factory LZ4 = lz4();

    private final String section;
    private final int maxFrame;
    private final Compression compression;
    private final WireCounters counters = new WireCounters();
    private final LZ4Compressor compressor = LZ4.fastCompressor();
    private final LZ4SafeDecompressor decompressor = LZ4.safeDecompressor();

    /**
     * A codec.
     *
     * @param section     the transport's configuration section (e.g. {@code transport.tcp}), named in errors
     * @param maxFrame    the largest frame sent or accepted, before compression and after decompression
     * @param compression what to compress when sending
     */
    public FrameCodec(String section, int maxFrame, Compression compression) {
        this.section = Objects.requireNonNull(section, "section");
        this.maxFrame = maxFrame;
        this.compression = Objects.requireNonNull(compression, "compression");
    }

    // The JNI build where it loads, else the pure-Java one without sun.misc.Unsafe (which JDK 25
    // warns about); both produce the same blocks.
    private static LZ4Factory lz4() {
        try {
            return LZ4Factory.nativeInstance();
        } catch (Throwable noNative) {
            return LZ4Factory.safeInstance();
        }
    }

    /**
     * The largest frame, before compression.
     *
     * @return bytes
     */
    public int maxFrame() {
        return maxFrame;
    }

    /**
     * The configuration section, for messages.
     *
     * @return e.g. {@code transport.tcp}
     */
    public String section() {
        return section;
    }

    /**
     * What this codec compresses.
     *
     * @return the setting
     */
    public Compression compression() {
        return compression;
    }

    /**
     * This codec's counters.
     *
     * @return the counters
     */
    public WireCounters counters() {
        return counters;
    }

    /**
     * A frame with its length word, compressed when the setting asks and it pays.
     *
     * @param alloc the channel's allocator
     * @param frame the bytes from position to limit; the buffer itself is left as it is
     * @return a buffer the caller owns
     * @throws IllegalArgumentException when the frame is larger than the limit
     */
    public ByteBuf encode(ByteBufAllocator alloc, ByteBuffer frame) {
        int n = frame.remaining();
        checkSize(n);
        if (compression.applies(n) && n > 8) {
            int bound = compressor.maxCompressedLength(n);
            ByteBuf out = alloc.directBuffer(8 + bound);
            int size = compressor.compress(frame, frame.position(), n, out.nioBuffer(0, 8 + bound), 8, bound);
            if (size + 4 < n) {
                out.setInt(0, COMPRESSED | (size + 4)).setInt(4, n).writerIndex(8 + size);
                counters.compressedFrames.increment();
                counters.bytesBeforeCompression.add(n);
                counters.bytesAfterCompression.add(size + 4);
                return out;
            }
            out.release();
        }
        return alloc.directBuffer(4 + n).writeInt(n).writeBytes(frame.duplicate());
    }

    /**
     * Refuses a frame larger than the limit.
     *
     * @param n the frame's size
     * @throws IllegalArgumentException when it is larger, naming the limit and its key
     */
    public void checkSize(int n) {
        if (n > maxFrame) {
            throw new IllegalArgumentException("frame of " + n + " bytes exceeds the transport's maximum of "
                    + maxFrame + " bytes (" + section + ".max_frame_size)");
        }
    }

    /**
     * A frame sent as it is, whatever the setting (the handshake, and tests).
     *
     * @param alloc   the allocator
     * @param payload the bytes
     * @return a buffer the caller owns
     */
    public static ByteBuf plain(ByteBufAllocator alloc, byte[] payload) {
        return alloc.buffer(4 + payload.length).writeInt(payload.length).writeBytes(payload);
    }

    /**
     * A new decoder for one channel (decoders keep per-channel state).
     *
     * @return the decoder, to put in the pipeline before the connection
     */
    public FrameDecoder newDecoder() {
        return new FrameDecoder(this);
    }

    /**
     * Decompresses one LZ4 block into a new buffer of exactly the declared size.
     *
     * @return the buffer, or null when the block does not decompress to exactly that size
     */
    ByteBuf decompress(ByteBufAllocator alloc, ByteBuf in, int length, int declared) {
        ByteBuf out = alloc.buffer(declared);
        try {
            int got = decompressor.decompress(in.nioBuffer(in.readerIndex(), length), 0, length,
                    out.nioBuffer(0, declared), 0, declared);
            if (got != declared) {
                out.release();
                return null;
            }
            return out.writerIndex(declared);
        } catch (RuntimeException malformed) {
            out.release();
            return null;
        }
    }
}
