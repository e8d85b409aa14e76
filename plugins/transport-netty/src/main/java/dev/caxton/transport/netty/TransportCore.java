package dev.caxton.transport.netty;

import io.netty.channel.ChannelFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What every connection of one transport shares: the node's id, the frame codec, the handshake and
 * close timeouts, and the set of open connections the transport closes when it closes.
 */
public final class TransportCore {

    private final String nodeId;
    private final FrameCodec codec;
    private final Duration handshakeTimeout;
    private final Duration closeTimeout;
    private final Set<FramedConnection> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closing;

    /**
     * The shared part of a transport.
     *
     * @param nodeId           this node's id, sent in the handshake
     * @param codec            the frame codec
     * @param handshakeTimeout how long a new connection may take to name its node
     * @param closeTimeout     how long a graceful close waits for queued frames
     */
    public TransportCore(String nodeId, FrameCodec codec, Duration handshakeTimeout, Duration closeTimeout) {
        this.nodeId = nodeId;
        this.codec = codec;
        this.handshakeTimeout = handshakeTimeout;
        this.closeTimeout = closeTimeout;
    }

    /**
     * This node's id.
     *
     * @return the id
     */
    public String nodeId() {
        return nodeId;
    }

    /**
     * The frame codec.
     *
     * @return the codec
     */
    public FrameCodec codec() {
        return codec;
    }

    /**
     * How long a new connection may take to complete its handshake.
     *
     * @return the timeout
     */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /**
     * How long a graceful close waits.
     *
     * @return the timeout
     */
    public Duration closeTimeout() {
        return closeTimeout;
    }

    void opened(FramedConnection c) {
        open.add(c);
        if (closing) {
            c.close();
        }
    }

    void closed(FramedConnection c) {
        open.remove(c);
    }

    /**
     * Closes every open connection gracefully and waits (up to the close timeout and a second) for
     * them to end; a connection that completes its handshake after this is closed at once.
     */
    public void closeConnections() {
        closing = true;
        List<ChannelFuture> ends = new ArrayList<>();
        for (FramedConnection c : open) {
            c.close();
            ends.add(c.closeFuture());
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(closeTimeout.toMillis() + 1000);
        for (ChannelFuture f : ends) {
            f.awaitUninterruptibly(Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
    }
}
