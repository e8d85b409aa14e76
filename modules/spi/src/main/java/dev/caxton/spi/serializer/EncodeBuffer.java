package dev.caxton.spi.serializer;

import java.io.OutputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * A growable byte array that one owner reuses for many encodings, so that encoding a message does
 * not allocate its bytes anew each time. It is an {@link OutputStream} so that codecs built on
 * stream writers can write into it directly.
 *
 * <p>Not thread-safe: one owner (an agent, say) uses it from one thread at a time. Only the first
 * {@link #length()} bytes of {@link #array()} belong to the current encoding; whatever lies beyond
 * is left over from earlier, longer ones and must never be read. {@link #reset()} starts the next
 * encoding and gives memory back when an unusually large one made the array grow past the
 * retained size.
 */
public final class EncodeBuffer extends OutputStream {

    private final int retain;
    private byte[] bytes;
    private int length;

    /**
     * Creates an empty buffer.
     *
     * @param initialCapacity the first array's size, and the size {@link #reset()} keeps; positive
     */
    public EncodeBuffer(int initialCapacity) {
        if (initialCapacity <= 0) {
            throw new IllegalArgumentException("initial capacity must be positive: " + initialCapacity);
        }
        this.retain = Math.max(initialCapacity, 64 * 1024);
        this.bytes = new byte[initialCapacity];
    }

    /**
     * Empties the buffer for the next encoding. An array grown beyond 64 KiB (or the initial
     * capacity, if larger) is dropped, so one large message does not keep its memory for good.
     */
    public void reset() {
        length = 0;
        if (bytes.length > retain) {
            bytes = new byte[retain];
        }
    }

    /**
     * The backing array: valid from index 0 to {@link #length()}, exclusive. It changes when the
     * buffer grows, so read it after the encoding is complete.
     *
     * @return the array, not a copy
     */
    public byte[] array() {
        return bytes;
    }

    /**
     * How many bytes the current encoding holds.
     *
     * @return the length
     */
    public int length() {
        return length;
    }

    /**
     * A copy of the current encoding's bytes.
     *
     * @return a new array of {@link #length()} bytes
     */
    public byte[] toByteArray() {
        return Arrays.copyOf(bytes, length);
    }

    /**
     * Makes room for more bytes, for writers that fill the array themselves.
     *
     * @param more how many bytes will follow
     * @return the backing array, with at least {@code more} bytes free after {@link #length()}
     * @throws SerializationException when the total would exceed what one array can hold
     */
    public byte[] reserve(int more) {
        if (more > bytes.length - length) {
            grow(more);
        }
        return bytes;
    }

    /**
     * Records that a writer filled bytes of the array after {@link #reserve}.
     *
     * @param count how many bytes it wrote
     * @throws IndexOutOfBoundsException when more than the array holds
     */
    public void advance(int count) {
        Objects.checkFromIndexSize(length, count, bytes.length);
        length += count;
    }

    /**
     * Appends one byte.
     *
     * @param b the byte, in its low eight bits
     */
    @Override
    public void write(int b) {
        if (length == bytes.length) {
            grow(1);
        }
        bytes[length++] = (byte) b;
    }

    /**
     * Appends bytes.
     *
     * @param b   the source
     * @param off the first index copied
     * @param len how many bytes
     */
    @Override
    public void write(byte[] b, int off, int len) {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len > bytes.length - length) {
            grow(len);
        }
        System.arraycopy(b, off, bytes, length, len);
        length += len;
    }

    private void grow(int more) {
        long needed = (long) length + more;
        if (needed > Integer.MAX_VALUE - 16) {
            throw new SerializationException("an encoding of " + needed + " bytes is larger than one buffer can hold");
        }
        long doubled = Math.max(needed, Math.min((long) bytes.length * 2, Integer.MAX_VALUE - 16));
        bytes = Arrays.copyOf(bytes, (int) doubled);
    }

    /**
     * Describes the buffer, for logs; never its bytes.
     *
     * @return the length and capacity
     */
    @Override
    public String toString() {
        return "EncodeBuffer[" + length + " of " + bytes.length + " bytes]";
    }
}
