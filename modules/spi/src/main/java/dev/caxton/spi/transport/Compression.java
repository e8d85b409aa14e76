package dev.caxton.spi.transport;

/**
 * How a transport should compress the frames it sends, as the node's configuration says
 * ({@code messaging.enable_compression}, {@code messaging.compression_threshold}). The runtime offers
 * it to transport providers through {@link dev.caxton.spi.ProviderContext#service(Class)}; a provider
 * that finds none sends frames as they are.
 *
 * <p>It only governs sending. A transport that compresses marks each compressed frame on the wire so
 * that its receiver always accepts both kinds: nodes with compression on and off can share a cluster
 * (as they do while a configuration change rolls through it). A transport may ignore it (the testkit's
 * in-memory transport does: there is no wire to save).
 *
 * @param enabled        whether frames are compressed at all
 * @param thresholdBytes frames smaller than this are sent as they are (compressing them costs more
 *                       than it saves); at least 0
 */
public record Compression(boolean enabled, int thresholdBytes) {

    /** Nothing is compressed. */
    public static final Compression OFF = new Compression(false, 0);

    /**
     * Checks the threshold.
     *
     * @throws IllegalArgumentException when the threshold is negative
     */
    public Compression {
        if (thresholdBytes < 0) {
            throw new IllegalArgumentException("compression threshold must be at least 0 bytes, not " + thresholdBytes);
        }
    }

    /**
     * Whether a frame of this size should be compressed.
     *
     * @param frameBytes the frame's size
     * @return true when compression is on and the frame is at least the threshold
     */
    public boolean applies(int frameBytes) {
        return enabled && frameBytes >= thresholdBytes;
    }
}
