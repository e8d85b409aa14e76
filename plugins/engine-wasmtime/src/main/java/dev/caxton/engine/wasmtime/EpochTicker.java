package dev.caxton.engine.wasmtime;

import io.github.kawamuray.wasmtime.Engine;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Drives Wasmtime's epoch interruption for one engine: a daemon thread increments the engine's
 * epoch at a fixed interval, and each call sets its store's deadline a number of ticks ahead, so
 * that compiled guest code traps with an interrupt once its time is up. Nothing is interrupted in
 * the Java sense, so no interrupt flag can leak into a caller's next call, and a guest spinning on
 * a virtual thread's carrier is stopped all the same.
 *
 * <p>The thread ticks while calls with a timeout are running (and for a tenth of a second after the
 * last one, so that a stream of short calls does not wake it every time) and parks otherwise, so
 * an idle node costs nothing. It uses its own handle on the Wasmtime engine: the binding guards
 * each handle with a mutex that a compilation holds for its whole length, and a shared handle would
 * stall the epoch (and so every timeout) while a large module compiles.
 */
final class EpochTicker implements AutoCloseable {

    /** A deadline so far ahead it never comes (it stays far below the epoch counter's overflow). */
    static final long NEVER = Long.MAX_VALUE / 4;

    private static final long STOPPED = 1L << 62;

    /**
     * How long the thread keeps ticking after the last timed call ended before it parks: calls
     * that follow each other closely then find it running and need not wake it.
     */
    private static final long IDLE_GRACE_NANOS = 100_000_000L;

    private final Engine handle;
    private final long intervalNanos;
    private final Thread thread;
    // The number of running timed calls, with STOPPED added once the thread has ended.
    private final AtomicLong state = new AtomicLong();
    private volatile boolean closed;
    // Set while the thread is (about to be) parked for good; arm() wakes it only then.
    private volatile boolean sleeping;

    /**
     * Starts the ticker.
     *
     * @param handle   a handle on the engine, owned (and eventually disposed) by the ticker
     * @param interval how often the epoch advances
     * @param name     the thread's name
     */
    EpochTicker(Engine handle, Duration interval, String name) {
        this.handle = handle;
        this.intervalNanos = Math.max(1, interval.toNanos());
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** @return the interval between ticks, in nanoseconds */
    long intervalNanos() {
        return intervalNanos;
    }

    /**
     * The deadline, in ticks from now, that fires no earlier than a given time: one tick more than
     * the time spans, because the current tick may be about to end.
     *
     * @param nanos the time left
     * @return the number of ticks
     */
    long ticksFor(long nanos) {
        if (nanos <= 0) {
            return 0;
        }
        long ticks = nanos / intervalNanos + (nanos % intervalNanos == 0 ? 0 : 1) + 1;
        return Math.min(ticks, NEVER);
    }

    /**
     * Announces a call with a timeout; the thread ticks until it ends.
     *
     * @throws IllegalStateException when the ticker has stopped (the engine is closed)
     */
    void arm() {
        while (true) {
            long s = state.get();
            if (s >= STOPPED) {
                throw new IllegalStateException("the wasmtime engine is closed");
            }
            if (state.compareAndSet(s, s + 1)) {
                // The increment comes before this read, and the thread announces that it sleeps
                // before it reads the count a last time: one of the two always sees the other.
                if (sleeping) {
                    LockSupport.unpark(thread);
                }
                return;
            }
        }
    }

    /** Ends a call announced with {@link #arm()}. */
    void disarm() {
        state.decrementAndGet();
    }

    /** Stops the thread once no timed call is running any more; running ones keep their deadlines. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
    }

    /** @return the state of the ticker thread, for tests that check it sleeps while idle */
    Thread.State threadState() {
        return thread.getState();
    }

    /** @return whether the thread has ended */
    boolean isStopped() {
        return state.get() >= STOPPED;
    }

    private void run() {
        try {
            long idleSince = 0;
            while (true) {
                long s = state.get();
                if (s == 0) {
                    if (closed && state.compareAndSet(0, STOPPED)) {
                        return;
                    }
                    long now = System.nanoTime();
                    if (idleSince == 0) {
                        idleSince = now;
                    }
                    if (closed || now - idleSince >= IDLE_GRACE_NANOS) {
                        sleeping = true;
                        if (state.get() == 0 && !closed) {
                            LockSupport.park(this);
                        }
                        sleeping = false;
                        idleSince = 0;
                        continue;
                    }
                } else {
                    idleSince = 0;
                }
                try {
                    handle.incrementEpoch();
                } catch (RuntimeException e) {
                    // The binding reports failures as exceptions; a missed tick only delays a timeout.
                }
                LockSupport.parkNanos(this, intervalNanos);
            }
        } finally {
            handle.dispose();
        }
    }
}
