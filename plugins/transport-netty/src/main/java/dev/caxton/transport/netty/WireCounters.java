package dev.caxton.transport.netty;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of one transport's frame codec, for tests, logs and metrics: how much compression saved,
 * and how many compressed frames were refused (a declared or actual size above the frame limit, or
 * bytes that do not decompress).
 */
public final class WireCounters {

    final LongAdder compressedFrames = new LongAdder();
    final LongAdder bytesBeforeCompression = new LongAdder();
    final LongAdder bytesAfterCompression = new LongAdder();
    final LongAdder refusedFrames = new LongAdder();

    /**
     * Frames this transport sent compressed.
     *
     * @return the count
     */
    public long compressedFrames() {
        return compressedFrames.sum();
    }

    /**
     * Bytes of the frames sent compressed, before compression.
     *
     * @return the byte count
     */
    public long bytesBeforeCompression() {
        return bytesBeforeCompression.sum();
    }

    /**
     * Bytes of the frames sent compressed, as they went on the wire (without the length prefix).
     *
     * @return the byte count
     */
    public long bytesAfterCompression() {
        return bytesAfterCompression.sum();
    }

    /**
     * Compressed frames received and refused: their declared or actual decompressed size exceeds
     * the frame limit (a decompression bomb), or their bytes are not valid LZ4. The connection
     * survives each.
     *
     * @return the count
     */
    public long refusedFrames() {
        return refusedFrames.sum();
    }
}
