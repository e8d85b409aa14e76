package dev.caxton.spi.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * Carries frames between this node and others: listens for peers, opens connections to them.
 *
 * <p>Life cycle: {@linkplain TransportProvider#create created} (no resources), {@link #start started}
 * once (event loops and listening socket), {@link #close closed} once (everything released). All
 * methods are thread-safe.
 *
 * <p>Every connection begins with a handshake in which both ends present their node id (the
 * {@code nodeName} of the {@link dev.caxton.spi.ProviderContext} each transport was created with).
 * A connection is handed to the application only once the handshake succeeded, so
 * {@link Connection#peerNodeId()} is always known. Under mutual TLS the presented id must also match
 * the peer's certificate (its subject common name or a DNS subject alternative name); a peer whose
 * certificate or id does not fit is refused, and the application never sees it.
 */
public interface Transport extends AutoCloseable {

    /**
     * Binds the listening socket and starts the transport's threads. Connections accepted from now
     * on report to {@code handler}.
     *
     * @param bindAddress the address to bind; port 0 picks a free port
     * @param handler     receives the events of every accepted connection
     * @return the address actually bound (with the real port)
     * @throws IOException           when the address cannot be bound (in use, not local); the
     *                               transport then holds no resources and may be closed or started
     *                               again
     * @throws IllegalStateException when already started or closed
     */
    InetSocketAddress start(InetSocketAddress bindAddress, FrameHandler handler) throws IOException;

    /**
     * Opens a connection to a peer's listening address and performs the handshake.
     *
     * @param address the peer's listening address
     * @param handler receives the events of this connection (frames the peer sends back on it)
     * @return completes with the connection once the handshake succeeded (after
     *         {@link FrameHandler#onOpen} was called); completes exceptionally with an
     *         {@link IOException} saying why when the peer is unreachable, refuses the handshake or
     *         fails TLS verification
     * @throws IllegalStateException when the transport is not started, or is closed
     */
    CompletableFuture<Connection> connect(InetSocketAddress address, FrameHandler handler);

    /**
     * The node id this transport presents to its peers.
     *
     * @return the local node id
     */
    String localNodeId();

    /**
     * The largest frame this transport sends or accepts, in bytes (the frame's own bytes, without
     * any framing the transport adds). {@link Connection#send} refuses larger frames; a peer that
     * announces a larger frame has its connection closed with an error, and the listener carries on.
     *
     * @return the limit in bytes
     */
    int maxFrameBytes();

    /**
     * The address bound by {@link #start}.
     *
     * @return the bound address, or null when not started
     */
    InetSocketAddress boundAddress();

    /**
     * Stops listening, closes every connection gracefully (frames already sent are flushed, within
     * a bounded wait) and releases the event loops. Each connection's handler sees
     * {@link FrameHandler#onClosed}. Idempotent; closing a transport that was never started only
     * marks it closed.
     */
    @Override
    void close();
}
