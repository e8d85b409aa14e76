package dev.caxton.spi.transport;

/** Receives frames. Called on the transport's threads: hand work off rather than block. */
public interface FrameHandler {

    /**
     * One whole frame arrived.
     *
     * @param connection where it came from (to reply on)
     * @param frame      the bytes
     */
    void onFrame(Connection connection, byte[] frame);

    /**
     * The connection closed.
     *
     * @param connection the connection
     * @param cause      why, or null for an orderly close
     */
    default void onClosed(Connection connection, Throwable cause) {
    }
}
