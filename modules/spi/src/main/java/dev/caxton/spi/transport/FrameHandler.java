package dev.caxton.spi.transport;

import java.nio.ByteBuffer;

/**
 * Receives the events of connections: opened, a frame arrived, writability changed, closed.
 *
 * <h2>Threading</h2>
 * Events are delivered on the transport's own threads (its event loops). The events of one
 * connection come from one thread at a time, in order ({@code onOpen} first, {@code onClosed} last
 * and exactly once), so a handler needs no locking for per-connection state; events of different
 * connections may arrive concurrently on different threads. A handler must not block: it runs on the
 * thread that reads every connection sharing its event loop. Hand slow work to another executor.
 * Calling {@link Connection#send} from a handler (on any connection) is allowed and cheap. An
 * exception thrown by a handler closes that connection, with the exception as the cause given to
 * {@link #onClosed}; other connections are not affected.
 */
public interface FrameHandler {

    /**
     * The handshake succeeded: the connection is usable and its {@link Connection#peerNodeId()} is
     * known. Called before any other event of the connection. Does nothing by default.
     *
     * @param connection the new connection
     */
    default void onOpen(Connection connection) {
    }

    /**
     * One whole frame arrived, in the order the peer sent it.
     *
     * @param connection where it came from (to reply on)
     * @param frame      the frame's bytes between position and limit, read-only; the buffer belongs to
     *                   the transport and is valid only until this method returns: copy what you keep
     */
    void onFrame(Connection connection, ByteBuffer frame);

    /**
     * {@link Connection#isWritable()} changed. Does nothing by default.
     *
     * @param connection the connection
     * @param writable   its new writability
     */
    default void onWritabilityChanged(Connection connection, boolean writable) {
    }

    /**
     * The connection closed, from either end. Called exactly once per opened connection, after
     * every other event of it. Does nothing by default.
     *
     * @param connection the connection
     * @param cause      why, or null for an orderly close by either end
     */
    default void onClosed(Connection connection, Throwable cause) {
    }
}
