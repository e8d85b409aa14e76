package dev.caxton.runtime.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * A coarse hashed timer wheel for deadlines that almost never fire: a waiting client's timeout and
 * a {@code reply_by}. Most such deadlines are cancelled within microseconds, because the reply
 * comes first; a scheduled task per deadline would allocate a task, take a lock, and often wake
 * the timer thread, only to be cancelled. Here arming is one small object and a lock-free enqueue,
 * and cancelling is a compare-and-set on the entry; neither wakes anyone, except the first arm after
 * the wheel went idle.
 *
 * <p>One thread owns the wheel's slots. It ticks every {@link #tickMillis()} while deadlines are
 * pending, and parks for good when none is, so an idle node has no wake-ups at all. A deadline
 * fires on the first tick at or after it: never early, and late by at most one tick plus the time
 * the thread takes to be scheduled (the resolution). Actions run on the wheel's thread and must
 * be short; anything that may block hands itself to another executor.
 *
 * <p>Cancelled entries are mostly dropped as they are taken from the hand-over queue (a reply
 * usually comes within one tick); those already in a slot are swept out when cancelled entries
 * outnumber live ones, so a busy node with long waits does not hold every finished request until
 * its deadline, and when they may be all that is left, so the thread stops ticking.
 */
public final class DeadlineWheel implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(DeadlineWheel.class.getName());

    /** The default tick: waits are given in milliseconds and a few of them late is harmless. */
    public static final long DEFAULT_TICK_MILLIS = 4;

    private static final int SLOTS = 512;

    /** One armed deadline; {@link #cancel()} disarms it. */
    public static final class Timeout {
        private static final int ARMED = 0;
        private static final int CANCELLED = 1;
        private static final int FIRED = 2;

        // A plain field under a VarHandle rather than an AtomicInteger: one object per wait, not two.
        private static final java.lang.invoke.VarHandle STATE;

        static {
            try {
                STATE = java.lang.invoke.MethodHandles.lookup().findVarHandle(Timeout.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final long tick;
        // Dropped when cancelled: a cancelled entry may sit in the hand-over queue or a slot until the
        // wheel's thread next ticks or sweeps, and its action holds the waiting client's future and
        // through it the reply. Thousands of finished requests a tick kept alive that way made every
        // young collection copy them. Only the thread whose compare-and-set won reads or clears it.
        private Runnable action;
        private volatile int state; // ARMED (0) until cancelled or fired
        private final DeadlineWheel wheel;

        private Timeout(DeadlineWheel wheel, long tick, Runnable action) {
            this.wheel = wheel;
            this.tick = tick;
            this.action = action;
        }

        /**
         * Disarms the deadline.
         *
         * @return true when it had not fired (nor been cancelled) yet
         */
        public boolean cancel() {
            if (STATE.compareAndSet(this, ARMED, CANCELLED)) {
                action = null;
                wheel.cancelled.incrementAndGet();
                return true;
            }
            return false;
        }

        /** @return true once cancelled */
        public boolean isCancelled() {
            return state == CANCELLED;
        }
    }

    private final LongSupplier clockNanos;
    private final long tickNanos;
    private final ConcurrentLinkedQueue<Timeout> incoming = new ConcurrentLinkedQueue<>();
    // The slots belong to the wheel's thread (or to the test driving advance()): no locks inside.
    @SuppressWarnings("unchecked")
    private final List<Timeout>[] slots = new List[SLOTS];
    private final AtomicInteger cancelled = new AtomicInteger();
    private final AtomicBoolean idle = new AtomicBoolean(true);
    private final Thread thread;
    private long lastTick;
    // Written only by the wheel's thread; volatile so that pending() reads a current count elsewhere.
    private volatile int inSlots;
    private volatile boolean closed;

    /**
     * A wheel on the system's monotonic clock with its own thread.
     *
     * @param threadName the thread's name
     * @param tickMillis the resolution, at least 1 ms
     */
    public DeadlineWheel(String threadName, long tickMillis) {
        this(System::nanoTime, tickMillis, threadName);
    }

    /**
     * A wheel on a given clock. Without a thread name no thread is started, and the caller drives
     * the wheel with {@link #advance()} (for tests with a controllable clock).
     *
     * @param clockNanos a monotonic clock in nanoseconds
     * @param tickMillis the resolution, at least 1 ms
     * @param threadName the thread's name, or null to drive the wheel by hand
     */
    public DeadlineWheel(LongSupplier clockNanos, long tickMillis, String threadName) {
        if (tickMillis < 1) {
            throw new IllegalArgumentException("tick must be at least 1 ms, got " + tickMillis);
        }
        this.clockNanos = clockNanos;
        this.tickNanos = TimeUnit.MILLISECONDS.toNanos(tickMillis);
        for (int i = 0; i < SLOTS; i++) {
            slots[i] = new ArrayList<>();
        }
        this.lastTick = Math.floorDiv(clockNanos.getAsLong(), tickNanos);
        if (threadName != null) {
            thread = new Thread(this::run, threadName);
            thread.setDaemon(true);
            thread.start();
        } else {
            thread = null;
        }
    }

    /**
     * A duration in nanoseconds, saturated rather than overflowing.
     *
     * @param d the duration
     * @return its length in nanoseconds
     */
    public static long nanos(java.time.Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return d.isNegative() ? 0 : Long.MAX_VALUE;
        }
    }

    /** @return the resolution in milliseconds */
    public long tickMillis() {
        return TimeUnit.NANOSECONDS.toMillis(tickNanos);
    }

    /**
     * Arms a deadline.
     *
     * @param delayNanos how long from now; zero or less fires on the next tick
     * @param action     what to run when it passes (on the wheel's thread, so short)
     * @return the handle to cancel it with
     */
    public Timeout schedule(long delayNanos, Runnable action) {
        long deadline = clockNanos.getAsLong() + Math.max(0, Math.min(delayNanos, Long.MAX_VALUE / 4));
        // The first tick whose start is at or after the deadline: firing there is never early.
        long tick = Math.floorDiv(deadline, tickNanos) + (Math.floorMod(deadline, tickNanos) == 0 ? 0 : 1);
        Timeout t = new Timeout(this, tick, action);
        incoming.add(t);
        if (thread != null && idle.get() && idle.compareAndSet(true, false)) {
            LockSupport.unpark(thread);
        }
        return t;
    }

    /**
     * Fires every deadline that has passed by the clock's present reading. The wheel's own thread
     * calls this each tick; tests without a thread call it after moving their clock.
     *
     * @return how many deadlines fired
     */
    public int advance() {
        long now = clockNanos.getAsLong();
        long target = Math.floorDiv(now, tickNanos);
        int fired = drain(target);
        if (target > lastTick) {
            // A long gap (a stalled thread, a jumping test clock) visits each slot once.
            long last = Math.min(target, lastTick + SLOTS);
            for (long t = lastTick + 1; t <= last; t++) {
                fired += expire(slots[(int) Math.floorMod(t, (long) SLOTS)], target);
            }
            lastTick = target;
        }
        // Sweep when cancelled entries may be all that is left (so the thread can go idle) or
        // outnumber live ones (so memory stays proportional to the waits still open).
        int c = cancelled.get();
        if (inSlots > 0 && c > 0 && (c >= inSlots || (c > 64 && 2 * c > inSlots))) {
            sweep();
        }
        return fired;
    }

    /** @return deadlines armed and neither fired nor cancelled, plus cancelled ones not yet swept */
    public int pending() {
        return inSlots + incoming.size();
    }

    private int drain(long target) {
        int fired = 0;
        for (Timeout t; (t = incoming.poll()) != null; ) {
            if (t.state == Timeout.CANCELLED) {
                cancelled.decrementAndGet();
                continue;
            }
            if (t.tick <= target) {
                fired += fire(t);
            } else {
                slots[(int) Math.floorMod(t.tick, (long) SLOTS)].add(t);
                inSlots++;
            }
        }
        return fired;
    }

    private int expire(List<Timeout> slot, long target) {
        int fired = 0;
        int keep = 0;
        for (int i = 0; i < slot.size(); i++) {
            Timeout t = slot.get(i);
            if (t.state == Timeout.CANCELLED) {
                cancelled.decrementAndGet();
                inSlots--;
            } else if (t.tick <= target) {
                inSlots--;
                fired += fire(t);
            } else {
                slot.set(keep++, t);
            }
        }
        slot.subList(keep, slot.size()).clear();
        return fired;
    }

    private void sweep() {
        for (List<Timeout> slot : slots) {
            int before = slot.size();
            slot.removeIf(t -> t.state == Timeout.CANCELLED);
            int removed = before - slot.size();
            inSlots -= removed;
            cancelled.addAndGet(-removed);
        }
    }

    private int fire(Timeout t) {
        if (!Timeout.STATE.compareAndSet(t, Timeout.ARMED, Timeout.FIRED)) {
            cancelled.decrementAndGet();
            return 0;
        }
        try {
            t.action.run();
        } catch (RuntimeException e) {
            // One failing action must not stop the deadlines behind it.
            LOG.log(System.Logger.Level.WARNING, "a deadline's action failed: " + e);
        }
        return 1;
    }

    private void run() {
        while (!closed) {
            advance();
            if (inSlots == 0 && incoming.isEmpty()) {
                idle.set(true);
                // An arm that came between the check and the flag saw idle false and did not unpark:
                // look once more before parking for good.
                if (incoming.isEmpty()) {
                    LockSupport.park(this);
                    continue;
                }
                idle.set(false);
            }
            LockSupport.parkNanos(this, tickNanos);
        }
    }

    /** Stops the thread; pending deadlines never fire. */
    @Override
    public void close() {
        closed = true;
        if (thread != null) {
            LockSupport.unpark(thread);
        }
    }
}
