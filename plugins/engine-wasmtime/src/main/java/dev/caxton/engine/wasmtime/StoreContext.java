package dev.caxton.engine.wasmtime;

import dev.caxton.spi.engine.InstanceLimits;
import io.github.kawamuray.wasmtime.Disposable;
import io.github.kawamuray.wasmtime.Store;
import io.github.kawamuray.wasmtime.Val;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One Wasmtime store and what lives in it: normally a single instance, or several when instances
 * link against each other's functions or memories (which must share a store). Everything native in
 * the store (the store itself and the binding's handles on functions, memories and instances) is
 * disposed together, once the last instance using it is closed, or by a {@link Cleaner} if its
 * instances are dropped without being closed.
 *
 * <p>Every use of the store happens under {@link #enter()}: the binding would crash the JVM if a
 * store were used after being disposed or from two threads at once. Closing from another thread
 * while a call runs defers the disposal to the end of that call rather than blocking.
 */
final class StoreContext {

    /** Disposes native objects whose Java owners were dropped without being closed. */
    static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "caxton-wasmtime-cleaner");
        t.setDaemon(true);
        return t;
    });

    private final Natives natives;
    private final ReentrantLock lock = new ReentrantLock();
    private final EpochTicker ticker;
    final Store<Void> store;
    final Failures.HostCalls hostCalls;
    private int references = 1;
    private volatile boolean released;
    private boolean disposed;
    // The absolute deadline (System.nanoTime) of the outermost running call, 0 for none, and how
    // deeply calls are nested (a host function calling back into the guest).
    private long deadline;
    private int depth;
    // Whether the store's epoch deadline is "never", so that calls without a timeout need not set it.
    private boolean deadlineIsNever;

    /** The native objects, kept apart from the context so the cleaner does not keep it reachable. */
    private static final class Natives implements Runnable {
        private final Store<Void> store;
        private final List<Disposable> handles = new ArrayList<>();
        private boolean done;

        Natives(Store<Void> store) {
            this.store = store;
        }

        synchronized void add(Disposable d) {
            if (done) {
                d.dispose();
            } else {
                handles.add(d);
            }
        }

        @Override
        public synchronized void run() {
            if (done) {
                return;
            }
            done = true;
            for (Disposable d : handles) {
                d.dispose();
            }
            handles.clear();
            store.dispose();
        }
    }

    /**
     * Takes ownership of a store.
     *
     * @param store          the store
     * @param ticker         the engine's epoch ticker
     * @param maxHostCalls   the most host calls one outermost call may make
     */
    StoreContext(Store<Void> store, EpochTicker ticker, long maxHostCalls) {
        this.store = store;
        this.ticker = ticker;
        this.hostCalls = new Failures.HostCalls(maxHostCalls);
        this.natives = new Natives(store);
        CLEANER.register(this, natives);
    }

    /**
     * Keeps a binding handle until the store goes.
     *
     * @param handle the handle
     * @param <T>    its type
     * @return the handle
     */
    <T extends Disposable> T own(T handle) {
        natives.add(handle);
        return handle;
    }

    /**
     * Adds a user: an instance that joins this store.
     *
     * @return this context
     * @throws IllegalStateException when the store is already gone
     */
    synchronized StoreContext retain() {
        if (references == 0) {
            throw new IllegalStateException("the store of the linked instance is closed");
        }
        references++;
        return this;
    }

    /** Removes a user; the last one out disposes the store (now, or when the running call ends). */
    void release() {
        synchronized (this) {
            if (references == 0 || --references > 0) {
                return;
            }
        }
        released = true;
        disposeIfIdle();
    }

    /**
     * Takes the store for the current thread; calls nest.
     *
     * @throws IllegalStateException when the store is gone
     */
    void enter() {
        lock.lock();
        if (disposed) {
            lock.unlock();
            throw new IllegalStateException("the instance is closed");
        }
    }

    /** Gives the store back; the outermost exit disposes it if it was released meanwhile. */
    void exit() {
        boolean outermost = lock.getHoldCount() == 1;
        lock.unlock();
        if (outermost && released) {
            disposeIfIdle();
        }
    }

    private void disposeIfIdle() {
        if (lock.tryLock()) {
            try {
                if (lock.getHoldCount() == 1 && !disposed) {
                    disposed = true;
                    natives.run();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Runs guest code under a time limit; the caller has entered the store.
     *
     * @param what    what runs, for messages
     * @param limits  the instance's limits
     * @param body    the call into the binding
     * @return the binding's results
     * @throws RuntimeException the SPI's exception for whatever went wrong
     */
    Val[] run(String what, InstanceLimits limits, Supplier<Val[]> body) {
        long now = System.nanoTime();
        long timeout = nanos(limits);
        long outer = deadline;
        long at = 0;
        if (timeout > 0) {
            at = now + timeout;
            at = at == 0 ? 1 : at; // 0 means "no deadline"
        }
        if (depth > 0 && outer != 0 && (at == 0 || outer - at < 0)) {
            at = outer;
        }
        boolean armed = at != 0;
        if (armed) {
            ticker.arm();
        }
        boolean nested = depth > 0;
        try {
            if (nested) {
                hostCalls.clearFailure();
                hostCalls.touch();
            } else {
                hostCalls.startOutermost();
            }
            setDeadline(armed ? ticker.ticksFor(at - now) : EpochTicker.NEVER);
            deadline = at;
            depth++;
            try {
                return body.get();
            } finally {
                depth--;
                deadline = outer;
                hostCalls.touch();
            }
        } catch (RuntimeException | StackOverflowError e) {
            throw Failures.translate(what, e, hostCalls, limits);
        } finally {
            if (armed) {
                ticker.disarm();
            }
            if (nested) {
                // Back in the outer call: its own deadline applies again, and a failure the
                // nested call reported is not the outer call's.
                hostCalls.clearFailure();
                setDeadline(outer == 0 ? EpochTicker.NEVER : ticker.ticksFor(Math.max(0, outer - System.nanoTime())));
            }
        }
    }

    /**
     * @return a number that changes whenever guest code may have run in this store, so that a
     *         cached view of a memory (whose size may have changed) is fetched again
     */
    long generation() {
        return hostCalls.generation();
    }

    private void setDeadline(long ticks) {
        if (ticks == EpochTicker.NEVER) {
            if (!deadlineIsNever) {
                store.setEpochDeadline(ticks);
                deadlineIsNever = true;
            }
        } else {
            store.setEpochDeadline(ticks);
            deadlineIsNever = false;
        }
    }

    private static long nanos(InstanceLimits limits) {
        try {
            return limits.executionTimeout().toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }
}
