package dev.caxton.testkit.transport;

import dev.caxton.spi.transport.Connection;
import dev.caxton.spi.transport.FrameHandler;
import dev.caxton.spi.transport.Transport;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A transport whose connections are pairs of in-memory queues. Listening addresses live in a
 * JVM-wide registry; port 0 takes a fresh number from a counter (no real port is bound). Each
 * transport has one event thread that delivers the events of all its connections, which gives the
 * SPI's per-connection ordering for free.
 */
public final class InMemoryTransport implements Transport {

    private static final ConcurrentHashMap<InetSocketAddress, InMemoryTransport> REGISTRY = new ConcurrentHashMap<>();
    private static final AtomicInteger NEXT_PORT = new AtomicInteger(20_000);

    private final String nodeId;
    private final int maxFrame;
    private final long highWater;
    private final long lowWater;
    private final Set<Endpoint> endpoints = ConcurrentHashMap.newKeySet();
    private volatile ExecutorService loop;
    private volatile FrameHandler acceptHandler;
    private volatile InetSocketAddress bound;
    private volatile boolean closed;

    InMemoryTransport(String nodeId, int maxFrame, long highWater, long lowWater) {
        this.nodeId = nodeId;
        this.maxFrame = maxFrame;
        this.highWater = highWater;
        this.lowWater = lowWater;
    }

    @Override
    public synchronized InetSocketAddress start(InetSocketAddress bindAddress, FrameHandler handler) throws IOException {
        if (closed || loop != null) {
            throw new IllegalStateException(closed ? "transport is closed" : "transport already started");
        }
        InetSocketAddress addr = bindAddress.getPort() == 0
                ? new InetSocketAddress(bindAddress.getAddress(), nextFreePort(bindAddress))
                : bindAddress;
        if (REGISTRY.putIfAbsent(addr, this) != null) {
            throw new BindException("memory transport: address already in use: " + addr);
        }
        acceptHandler = handler;
        bound = addr;
        loop = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "memory-transport-" + nodeId);
            t.setDaemon(true);
            return t;
        });
        return addr;
    }

    private static int nextFreePort(InetSocketAddress bindAddress) {
        while (true) {
            int p = NEXT_PORT.getAndIncrement();
            if (p > 65_535) {
                NEXT_PORT.compareAndSet(p + 1, 20_000);
                continue;
            }
            if (!REGISTRY.containsKey(new InetSocketAddress(bindAddress.getAddress(), p))) {
                return p;
            }
        }
    }

    @Override
    public CompletableFuture<Connection> connect(InetSocketAddress address, FrameHandler handler) {
        if (closed || loop == null) {
            throw new IllegalStateException(closed ? "transport is closed" : "transport is not started");
        }
        InMemoryTransport target = REGISTRY.get(address);
        if (target == null || target.closed) {
            return CompletableFuture.failedFuture(new ConnectException("memory transport: nothing listens on " + address));
        }
        Endpoint mine = new Endpoint(this, handler, address);
        Endpoint theirs = new Endpoint(target, target.acceptHandler, bound);
        mine.peer = theirs;
        theirs.peer = mine;
        endpoints.add(mine);
        target.endpoints.add(theirs);
        CompletableFuture<Connection> result = new CompletableFuture<>();
        if (!theirs.post(() -> theirs.handler.onOpen(theirs))) {
            return CompletableFuture.failedFuture(new ConnectException("memory transport: peer at " + address + " is closing"));
        }
        if (!mine.post(() -> {
            mine.handler.onOpen(mine);
            result.complete(mine);
        })) {
            result.completeExceptionally(new IOException("memory transport: closed while connecting"));
        }
        return result;
    }

    @Override
    public String localNodeId() {
        return nodeId;
    }

    @Override
    public int maxFrameBytes() {
        return maxFrame;
    }

    @Override
    public InetSocketAddress boundAddress() {
        return bound;
    }

    @Override
    public void close() {
        ExecutorService l;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            l = loop;
            if (bound != null) {
                REGISTRY.remove(bound, this);
            }
        }
        for (Endpoint e : endpoints) {
            e.close();
        }
        if (l != null) {
            l.shutdown();
            try {
                l.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One end of an in-memory connection; its events run on its owner's event thread. */
    private static final class Endpoint implements Connection {
        private final InMemoryTransport owner;
        private final FrameHandler handler;
        private final InetSocketAddress remote;
        private volatile Endpoint peer;
        // frames the peer sent that this end has not delivered yet; null marks an orderly close
        private final ArrayDeque<byte[]> inbound = new ArrayDeque<>();
        private long inboundBytes;
        private boolean drainScheduled;
        private boolean paused;
        private volatile boolean open = true;
        private volatile boolean writable = true;
        private final AtomicBoolean closeReported = new AtomicBoolean();

        Endpoint(InMemoryTransport owner, FrameHandler handler, InetSocketAddress remote) {
            this.owner = owner;
            this.handler = handler;
            this.remote = remote;
        }

        boolean post(Runnable task) {
            try {
                owner.loop.execute(task);
                return true;
            } catch (RejectedExecutionException e) {
                return false;
            }
        }

        @Override
        public String peerNodeId() {
            return peer.owner.nodeId;
        }

        @Override
        public InetSocketAddress remoteAddress() {
            return remote;
        }

        @Override
        public boolean send(ByteBuffer frame) {
            if (frame.remaining() > owner.maxFrame) {
                throw new IllegalArgumentException("frame of " + frame.remaining() + " bytes exceeds the transport's maximum of "
                        + owner.maxFrame + " bytes");
            }
            if (!open) {
                return false;
            }
            byte[] copy = new byte[frame.remaining()];
            frame.duplicate().get(copy);
            peer.enqueue(copy);
            return true;
        }

        // called by the peer's senders: queue, account for writability, schedule delivery
        private void enqueue(byte[] frame) {
            boolean turnUnwritable = false;
            synchronized (this) {
                if (!open && frame != null) {
                    return;
                }
                inbound.add(frame == null ? CLOSE : frame);
                if (frame != null) {
                    inboundBytes += frame.length;
                    if (inboundBytes > owner.highWater && peer.writable) {
                        peer.writable = false;
                        turnUnwritable = true;
                    }
                }
                scheduleDrain();
            }
            if (turnUnwritable) {
                Endpoint sender = peer;
                sender.post(() -> sender.handler.onWritabilityChanged(sender, false));
            }
        }

        private void scheduleDrain() {
            if (!drainScheduled && !paused) {
                drainScheduled = true;
                if (!post(this::drain)) {
                    drainScheduled = false;
                }
            }
        }

        private void drain() {
            while (true) {
                byte[] next;
                boolean turnWritable = false;
                synchronized (this) {
                    if (paused || inbound.isEmpty()) {
                        drainScheduled = false;
                        return;
                    }
                    next = inbound.poll();
                    if (next != CLOSE) {
                        inboundBytes -= next.length;
                        if (!peer.writable && inboundBytes <= owner.lowWater) {
                            peer.writable = true;
                            turnWritable = true;
                        }
                    }
                }
                if (turnWritable) {
                    Endpoint sender = peer;
                    sender.post(() -> sender.handler.onWritabilityChanged(sender, true));
                }
                if (next == CLOSE) {
                    finish(null);
                    continue;
                }
                if (!open) {
                    continue;
                }
                if (next.length > owner.maxFrame) {
                    IOException e = new IOException("frame of " + next.length + " bytes from " + peer.owner.nodeId
                            + " exceeds the maximum of " + owner.maxFrame + " bytes; connection closed");
                    peer.remoteFailure(e);
                    finish(e);
                    continue;
                }
                try {
                    handler.onFrame(this, ByteBuffer.wrap(next).asReadOnlyBuffer());
                } catch (RuntimeException e) {
                    // as on tcp: a handler that throws closes its connection, with the exception as the cause
                    peer.remoteFailure(new IOException("the peer's handler failed: " + e.getMessage()));
                    finish(e);
                }
            }
        }

        // the peer refused us: report on our own thread
        private void remoteFailure(IOException cause) {
            open = false;
            post(() -> finish(new IOException("connection closed by " + peer.owner.nodeId + ": " + cause.getMessage())));
        }

        private void finish(Throwable cause) {
            open = false;
            synchronized (this) {
                inbound.clear();
                inboundBytes = 0;
            }
            if (closeReported.compareAndSet(false, true)) {
                owner.endpoints.remove(this);
                handler.onClosed(this, cause);
            }
        }

        @Override
        public void flush() {
            // frames are handed over as they are sent
        }

        @Override
        public boolean isWritable() {
            return writable && open;
        }

        @Override
        public void pauseReading() {
            synchronized (this) {
                paused = true;
            }
        }

        @Override
        public void resumeReading() {
            synchronized (this) {
                paused = false;
                scheduleDrain();
            }
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            if (!open) {
                return;
            }
            open = false;
            // the close marker travels behind the frames already sent, as a FIN does on TCP
            peer.enqueue(null);
            if (!post(() -> finish(null))) {
                finish(null);
            }
        }

        @Override
        public void abort() {
            if (!open) {
                return;
            }
            open = false;
            Endpoint p = peer;
            p.open = false;
            p.post(() -> p.finish(new IOException("connection aborted by " + owner.nodeId)));
            if (!post(() -> finish(null))) {
                finish(null);
            }
        }

        @Override
        public String toString() {
            return "memory connection to " + (peer == null ? "?" : peer.owner.nodeId) + " at " + remote;
        }
    }

    private static final byte[] CLOSE = new byte[0];
}
