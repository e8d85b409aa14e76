package dev.caxton.engine.chicory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Enforces execution timeouts: one daemon thread per engine interrupts a calling thread whose
 * deadline passes. Interruption is the only way to stop guest code that Chicory offers: its
 * compiled code and the engine's execution listener poll the thread's interrupt flag.
 *
 * <p>The watchdog shares no lock with the threads it polices. Guest code that spins keeps its
 * carrier thread busy, so when the callers are virtual threads, all carriers can be taken by
 * guests that only the watchdog can stop; a virtual thread queued on a lock the watchdog also
 * needs would then never run again, and neither would the watchdog (a {@code
 * ScheduledThreadPoolExecutor} deadlocks exactly so). Callers therefore hand deadlines over through
 * a lock-free queue and wake the watchdog with {@link LockSupport#unpark}, and disarming is a
 * compare-and-set on the deadline itself.
 *
 * <p>An interrupt never outlives the call it was meant for: if a deadline has fired by the time
 * its call ends, disarming waits until the interrupt has been delivered and then clears it, so the
 * caller's next call starts clean.
 */
final class Watchdog implements AutoCloseable {

    /**
     * The longest the watchdog sleeps while deadlines are pending, so that the hand-over queue is
     * drained (and finished calls forgotten) even when every pending deadline is far away.
     */
    private static final long MAX_SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    /** Longer timeouts (about 73 years) are as good as none, and the cap keeps differences exact. */
    private static final long MAX_TIMEOUT_NANOS = Long.MAX_VALUE / 4;

    private final String threadName;
    private final ConcurrentLinkedQueue<Deadline> incoming = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    // What the watchdog announces before it parks: whether it is about to, until when, or for good.
    private volatile boolean parked;
    private volatile boolean parkedForGood;
    private volatile long wakeAt;
    private volatile boolean closed;

    /**
     * Creates the watchdog and starts its thread.
     *
     * @param threadName the thread's name
     */
    Watchdog(String threadName) {
        this.threadName = threadName;
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * A timeout in nanoseconds, saturated rather than overflowing.
     *
     * @param timeout the timeout
     * @return its length in nanoseconds; zero or negative for no limit
     */
    static long nanos(Duration timeout) {
        try {
            return timeout.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Starts a deadline for the current thread.
     *
     * @param nanos how long the call may run, from {@link #nanos(Duration)}; zero or negative for no limit
     * @return the deadline to disarm when the call ends, or null when there is no limit
     * @throws IllegalStateException when the watchdog is closed
     */
    Deadline arm(long nanos) {
        if (nanos <= 0) {
            return null;
        }
        if (closed) {
            throw new IllegalStateException("the Chicory engine is closed");
        }
        // nanoTime values are compared by difference, which stays right for any timeout up to
        // decades even when the sum wraps around.
        Deadline d = new Deadline(Thread.currentThread(), System.nanoTime() + Math.min(nanos, MAX_TIMEOUT_NANOS));
        incoming.add(d);
        if (closed) {
            // The watchdog may already have fired its last deadlines; this one would never fire.
            incoming.remove(d);
            throw new IllegalStateException("the Chicory engine is closed");
        }
        // Wake the watchdog only when it is about to sleep past this deadline. The caller publishes
        // the deadline before reading the watchdog's announcement, and the watchdog announces
        // before it looks at the queue a last time, so at least one of them sees the other.
        if (parked && (parkedForGood || wakeAt - d.at > 0)) {
            LockSupport.unpark(thread);
        }
        return d;
    }

    /**
     * Ends a deadline.
     *
     * @param deadline the deadline from {@link #arm}, or null
     * @return whether it fired (the call ran out of time); its interrupt has then been cleared
     */
    static boolean disarm(Deadline deadline) {
        return deadline != null && deadline.disarm();
    }

    /** Stops the thread; deadlines still pending fire at once, so no guest outlives the engine unnoticed. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
    }

    /** @return the name of the watchdog thread, for tests that count them */
    String threadName() {
        return threadName;
    }

    private void run() {
        PriorityQueue<Deadline> pending = new PriorityQueue<>((a, b) -> Long.compare(a.at - b.at, 0));
        while (!closed) {
            for (Deadline d; (d = incoming.poll()) != null; ) {
                if (d.isArmed()) {
                    pending.add(d);
                }
            }
            // Calls that ended before their deadline are forgotten, so an idle engine sleeps for good.
            pending.removeIf(d -> !d.isArmed());
            long now = System.nanoTime();
            while (!pending.isEmpty() && pending.peek().at - now <= 0) {
                pending.poll().fire();
            }
            boolean forGood = pending.isEmpty();
            long sleep = forGood ? 0 : Math.min(pending.peek().at - now, MAX_SLEEP_NANOS);
            wakeAt = now + sleep;
            parkedForGood = forGood;
            parked = true;
            if (incoming.isEmpty() && !closed) {
                if (forGood) {
                    LockSupport.park(this);
                } else {
                    LockSupport.parkNanos(this, sleep);
                }
            }
            parked = false;
        }
        List<Deadline> left = new ArrayList<>(pending);
        for (Deadline d; (d = incoming.poll()) != null; ) {
            left.add(d);
        }
        left.forEach(Deadline::fire);
    }

    /** One armed deadline. */
    static final class Deadline {
        private static final int ARMED = 0;
        private static final int FIRING = 1;
        private static final int FIRED = 2;
        private static final int DISARMED = 3;

        private static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(Deadline.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final Thread target;
        private final long at;
        // One object per call instead of two: the state is a field updated through a VarHandle.
        private volatile int state = ARMED;

        private Deadline(Thread target, long at) {
            this.target = target;
            this.at = at;
        }

        private boolean isArmed() {
            return state == ARMED;
        }

        private void fire() {
            if (STATE.compareAndSet(this, ARMED, FIRING)) {
                target.interrupt();
                state = FIRED;
            }
        }

        private boolean disarm() {
            if (STATE.compareAndSet(this, ARMED, DISARMED)) {
                return false;
            }
            // The watchdog won the race: wait for its interrupt to land so that clearing it below
            // cannot be followed by a late one. The watchdog is a platform thread that takes no
            // lock, so this wait is short.
            while (state == FIRING) {
                Thread.onSpinWait();
            }
            Thread.interrupted();
            return true;
        }
    }
}
