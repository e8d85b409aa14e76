package dev.caxton.spi.transport;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;

/** One connection between two nodes. Thread-safe. */
public interface Connection extends AutoCloseable {

    /**
     * Sends one frame.
     *
     * @param frame the bytes
     * @return completes when the frame is written, exceptionally when it cannot be
     */
    CompletableFuture<Void> send(byte[] frame);

    /** @return the peer's address */
    InetSocketAddress remoteAddress();

    /** @return whether frames can still be sent */
    boolean isOpen();

    /** Closes the connection. */
    @Override
    void close();
}
