package dev.caxton.spi.transport;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * One connection between two nodes, after a successful handshake. All methods are thread-safe and
 * never block on the network.
 *
 * <h2>Sending without a future per frame</h2>
 * {@link #send} queues a frame and returns at once with a plain status. The transport writes queued
 * frames in bursts: frames sent close together leave in one system call (one flush per burst, not
 * one per frame), so callers need not batch. {@link #flush} asks for the queue to be written now,
 * which matters only to a caller that wants to bound latency without sending more.
 *
 * <h2>Back-pressure</h2>
 * {@link #isWritable()} turns false when more bytes are queued towards the peer than the transport's
 * high water mark (the peer, or the network, is slower than the senders), and true again once the
 * queue drained below the low water mark; {@link FrameHandler#onWritabilityChanged} reports each
 * change. {@code send} still accepts frames while not writable (it never drops a frame silently),
 * so it is the caller's job to stop producing, typically by {@link #pauseReading() pausing reads}
 * from the connections whose frames it forwards to this one.
 */
public interface Connection {

    /**
     * The node id the peer presented in the handshake (verified against its certificate under
     * mutual TLS).
     *
     * @return the peer's node id, never null
     */
    String peerNodeId();

    /**
     * The peer's socket address: for a connection this node opened, the address it connected to;
     * for an accepted one, the peer's ephemeral address (not its listening address).
     *
     * @return the remote address
     */
    InetSocketAddress remoteAddress();

    /**
     * Queues one frame for the peer. The bytes between the buffer's position and its limit are
     * copied before this method returns; the buffer's position is not changed, and the caller keeps
     * ownership of the buffer and may reuse it at once.
     *
     * @param frame the frame, 0 to {@link Transport#maxFrameBytes()} bytes
     * @return true when queued; false when the connection is closed or closing (the frame is
     *         dropped and nothing else happens)
     * @throws IllegalArgumentException when the frame is larger than the transport's maximum
     */
    boolean send(ByteBuffer frame);

    /**
     * Asks the transport to write the frames queued so far now rather than at the end of the
     * current burst. Never needed for correctness. No-op on a closed connection.
     */
    void flush();

    /**
     * Whether the queue towards the peer is below the high water mark, as last reported to the
     * handler: once this returned false, {@link FrameHandler#onWritabilityChanged} with
     * {@code true} is guaranteed to follow when the queue drains (short flips in between may be
     * coalesced and never reported). False on a closed connection.
     *
     * @return true while senders may go on; false when they should hold back
     */
    boolean isWritable();

    /**
     * Stops reading from the peer: the transport reads nothing more from the network for this
     * connection until {@link #resumeReading()} (frames already read may still be delivered). The peer
     * then sees this connection become unwritable once the buffers between the two fill up. Used to
     * pass back-pressure upstream. Idempotent.
     */
    void pauseReading();

    /** Resumes reading after {@link #pauseReading()}. Idempotent. */
    void resumeReading();

    /**
     * Whether frames can still be sent.
     *
     * @return false once either end closed the connection or it failed
     */
    boolean isOpen();

    /**
     * Closes gracefully: frames queued before this call are written to the peer, then the connection
     * closes; later {@link #send}s return false. Both ends' handlers see
     * {@link FrameHandler#onClosed}. Idempotent; returns without waiting for the flush.
     */
    void close();

    /**
     * Closes at once: frames still queued are discarded. For peers that misbehave or a node that
     * shuts down hard. Idempotent.
     */
    void abort();
}
