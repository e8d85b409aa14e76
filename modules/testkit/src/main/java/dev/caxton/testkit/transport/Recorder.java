package dev.caxton.testkit.transport;

import static org.assertj.core.api.Assertions.fail;

import dev.caxton.spi.transport.Connection;
import dev.caxton.spi.transport.FrameHandler;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A {@link FrameHandler} that records every event for a test to wait on, and checks the SPI's
 * threading contract as it goes: no two threads inside one connection's events at once, {@code onOpen}
 * first, {@code onClosed} once and last.
 */
public class Recorder implements FrameHandler {

    /** A frame as received, with the connection it came on. */
    public record Received(Connection connection, byte[] bytes) {
    }

    /** A close as reported. */
    public record Closed(Connection connection, Throwable cause) {
    }

    /** Opened connections, in order. */
    public final BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
    /** Frames received, in delivery order. */
    public final BlockingQueue<Received> frames = new LinkedBlockingQueue<>();
    /** Closes reported. */
    public final BlockingQueue<Closed> closed = new LinkedBlockingQueue<>();
    /** Writability changes reported (the new value). */
    public final BlockingQueue<Boolean> writability = new LinkedBlockingQueue<>();
    /** Contract violations seen on transport threads; the suite fails on any. */
    public final List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());

    private final Map<Connection, AtomicInteger> inside = new ConcurrentHashMap<>();
    private final Map<Connection, String> state = new ConcurrentHashMap<>();
    private volatile Consumer<Connection> onOpenAction = c -> { };

    /**
     * Runs an action on the transport thread inside every {@code onOpen} (for instance to pause reads
     * before any frame is delivered).
     *
     * @param action the action
     * @return this
     */
    public Recorder onOpenDo(Consumer<Connection> action) {
        this.onOpenAction = action;
        return this;
    }

    private void enter(Connection c, String event) {
        if (inside.computeIfAbsent(c, k -> new AtomicInteger()).incrementAndGet() != 1) {
            violations.add("two threads inside the events of " + c + " at once (" + event + ")");
        }
        String s = state.get(c);
        if ("closed".equals(s)) {
            violations.add(event + " after onClosed on " + c);
        } else if (s == null && !"onOpen".equals(event)) {
            violations.add(event + " before onOpen on " + c);
        }
    }

    private void leave(Connection c) {
        inside.get(c).decrementAndGet();
    }

    @Override
    public void onOpen(Connection connection) {
        enter(connection, "onOpen");
        state.put(connection, "open");
        try {
            onOpenAction.accept(connection);
            opened.add(connection);
        } finally {
            leave(connection);
        }
    }

    @Override
    public void onFrame(Connection connection, ByteBuffer frame) {
        enter(connection, "onFrame");
        try {
            byte[] b = new byte[frame.remaining()];
            frame.get(b);
            frames.add(new Received(connection, b));
        } finally {
            leave(connection);
        }
    }

    @Override
    public void onWritabilityChanged(Connection connection, boolean writable) {
        enter(connection, "onWritabilityChanged");
        try {
            writability.add(writable);
        } finally {
            leave(connection);
        }
    }

    @Override
    public void onClosed(Connection connection, Throwable cause) {
        enter(connection, "onClosed");
        state.put(connection, "closed");
        try {
            closed.add(new Closed(connection, cause));
        } finally {
            leave(connection);
        }
    }

    /**
     * Waits for the next element of a queue.
     *
     * @param queue   the queue
     * @param timeout how long to wait at most
     * @param what    what was expected, for the failure message
     * @param <T>     the element type
     * @return the element
     */
    public static <T> T next(BlockingQueue<T> queue, Duration timeout, String what) {
        try {
            T t = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (t == null) {
                fail("waited " + timeout + " for " + what + ", nothing came");
            }
            return t;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + what, e);
        }
    }
}
