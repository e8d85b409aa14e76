package dev.caxton.spi.serializer;

/**
 * Bounds a decoder enforces so that hostile bytes cannot cost more than they are worth.
 *
 * @param maxBytes  the largest input accepted, in bytes; larger input is refused before parsing
 * @param maxDepth  the deepest nesting of arrays and maps accepted
 * @param maxItems  the largest number of elements one array or map may declare
 */
public record SerializerLimits(int maxBytes, int maxDepth, int maxItems) {

    /** The defaults: 1 MiB (the default message size limit), depth 64, 100,000 items. */
    public static final SerializerLimits DEFAULT = new SerializerLimits(1 << 20, 64, 100_000);

    /** Checks the bounds are positive. */
    public SerializerLimits {
        if (maxBytes <= 0 || maxDepth <= 0 || maxItems <= 0) {
            throw new IllegalArgumentException("serializer limits must be positive: " + maxBytes + ", " + maxDepth + ", " + maxItems);
        }
    }

    /**
     * These limits with another size bound.
     *
     * @param bytes the largest input in bytes
     * @return the new limits
     */
    public SerializerLimits withMaxBytes(int bytes) {
        return new SerializerLimits(bytes, maxDepth, maxItems);
    }
}
