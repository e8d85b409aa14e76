package dev.caxton.spi.transport;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;

/** Listens for and opens connections that carry frames. Thread-safe. */
public interface Transport extends AutoCloseable {

    /**
     * Starts listening.
     *
     * @param address the address to bind (port 0 picks a free one)
     * @param handler receives frames from every accepted connection
     * @return the address actually bound
     */
    InetSocketAddress listen(InetSocketAddress address, FrameHandler handler);

    /**
     * Opens a connection.
     *
     * @param address the peer's listening address
     * @param handler receives frames the peer sends back on this connection
     * @return the connection, once established
     */
    CompletableFuture<Connection> connect(InetSocketAddress address, FrameHandler handler);

    /**
     * The largest frame this transport sends or accepts; larger incoming frames close the
     * connection with an error rather than being buffered.
     *
     * @return the limit in bytes
     */
    int maxFrameBytes();

    /** Stops listening, closes every connection and releases event loops. */
    @Override
    void close();
}
