package dev.caxton.engine.chicory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * ScheduledThreadPoolExecutor} deadlocks exactly so). Callers therefore publish deadlines in slots
 * the watchdog scans, wake it with {@link LockSupport#unpark}, and disarm with a compare-and-set on
 * the slot itself.
 *
 * <p>Arming and disarming allocate nothing: every calling thread owns one slot per nesting depth,
 * made and handed to the watchdog on its first call and reused by every call after it (an object
 * and a queue node per call were a twelfth of an agent worker's time under fire-and-forget). A slot
 * carries a generation, so the watchdog can only fire the arming it looked at, never a later one.
 *
 * <p>An interrupt never outlives the call it was meant for: if a deadline has fired by the time
 * its call ends, disarming waits until the interrupt has been delivered and then clears it, so the
 * caller's next call starts clean.
 */
final class Watchdog implements AutoCloseable {

    /**
     * The longest the watchdog sleeps while deadlines are pending, so that slots of threads that
     * have ended are dropped even when every pending deadline is far away.
     */
    private static final long MAX_SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    /** Longer timeouts (about 73 years) are as good as none, and the cap keeps differences exact. */
    private static final long MAX_TIMEOUT_NANOS = Long.MAX_VALUE / 4;

    private final String threadName;
    // Slots of threads calling for the first time; the watchdog moves them into its own list.
    private final ConcurrentLinkedQueue<Deadline> joining = new ConcurrentLinkedQueue<>();
    private final ThreadLocal<Caller> callers = ThreadLocal.withInitial(Caller::new);
    private final Thread thread;
    // What the watchdog announces before it parks: whether it is about to, until when, or for good.
    private volatile boolean parked;
    private volatile boolean parkedForGood;
    private volatile long wakeAt;
    private volatile boolean closed;
    private volatile int scanned;

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
        Deadline d = callers.get().enter(this);
        // nanoTime values are compared by difference, which stays right for any timeout up to
        // decades even when the sum wraps around.
        long at = System.nanoTime() + Math.min(nanos, MAX_TIMEOUT_NANOS);
        d.arm(at);
        if (closed) {
            // The watchdog may already have fired its last deadlines; this one would never fire.
            d.disarm();
            throw new IllegalStateException("the Chicory engine is closed");
        }
        // Wake the watchdog only when it is about to sleep past this deadline. The caller publishes
        // the deadline before reading the watchdog's announcement, and the watchdog announces
        // before it looks at the slots a last time, so at least one of them sees the other.
        if (parked && (parkedForGood || wakeAt - at > 0)) {
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

    /** @return how many slots the watchdog scanned last, for tests that check they are reused and dropped */
    int slots() {
        return scanned;
    }

    private void run() {
        List<Deadline> slots = new ArrayList<>();
        while (!closed) {
            for (Deadline d; (d = joining.poll()) != null; ) {
                slots.add(d);
            }
            // A thread that has ended can call no more: its slots are forgotten.
            slots.removeIf(d -> !d.target.isAlive());
            scanned = slots.size();
            long now = System.nanoTime();
            boolean forGood = true;
            long earliest = 0;
            for (Deadline d : slots) {
                long word = d.armedWord();
                if (word == Deadline.NOT_ARMED) {
                    continue;
                }
                long at = d.seenAt;
                if (at - now <= 0) {
                    d.fire(word);
                } else if (forGood || at - earliest < 0) {
                    earliest = at;
                    forGood = false;
                }
            }
            long sleep = forGood ? 0 : Math.min(earliest - now, MAX_SLEEP_NANOS);
            long until = now + sleep;
            wakeAt = until;
            parkedForGood = forGood;
            parked = true;
            if (joining.isEmpty() && !closed && !armedBefore(slots, until, forGood)) {
                if (forGood) {
                    LockSupport.park(this);
                } else {
                    LockSupport.parkNanos(this, sleep);
                }
            }
            parked = false;
        }
        for (Deadline d; (d = joining.poll()) != null; ) {
            slots.add(d);
        }
        for (Deadline d : slots) {
            long word = d.armedWord();
            if (word != Deadline.NOT_ARMED) {
                d.fire(word);
            }
        }
    }

    /** The last look before parking: a deadline armed since the scan that the sleep would overrun. */
    private static boolean armedBefore(List<Deadline> slots, long until, boolean forGood) {
        for (Deadline d : slots) {
            if (d.armedWord() != Deadline.NOT_ARMED && (forGood || d.seenAt - until < 0)) {
                return true;
            }
        }
        return false;
    }

    /** The slots of one calling thread, one per depth of calls nested on it (a host function may call a guest). */
    private static final class Caller {
        private Deadline[] slots = new Deadline[1];
        private int depth;

        Deadline enter(Watchdog owner) {
            if (depth == slots.length) {
                slots = java.util.Arrays.copyOf(slots, depth * 2);
            }
            Deadline d = slots[depth];
            if (d == null) {
                d = new Deadline(Thread.currentThread(), this);
                slots[depth] = d;
                owner.joining.add(d);
            }
            depth++;
            return d;
        }
    }

    /**
     * One calling thread's deadline slot at one nesting depth, armed and disarmed once per call.
     * Its state word holds a generation, counted up by each arming, and the state of that arming.
     */
    static final class Deadline {
        private static final long IDLE = 0;
        private static final long ARMED = 1;
        private static final long FIRING = 2;
        private static final long FIRED = 3;
        private static final long STATE_MASK = 3;
        private static final long NOT_ARMED = -1;

        private static final VarHandle WORD;

        static {
            try {
                WORD = MethodHandles.lookup().findVarHandle(Deadline.class, "word", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final Thread target;
        private final Caller caller;
        // Written by the owning thread only while the slot is idle, before the word that arms it;
        // read by the watchdog only between two reads of an unchanged armed word.
        private long at;
        private volatile long word = IDLE;
        // The deadline of the arming the watchdog last looked at; the watchdog's own.
        private long seenAt;

        private Deadline(Thread target, Caller caller) {
            this.target = target;
            this.caller = caller;
        }

        private void arm(long deadline) {
            at = deadline;
            // A volatile write: the caller reads the watchdog's announcement next, and one of the
            // two must see the other.
            word = (word & ~STATE_MASK) + (STATE_MASK + 1) | ARMED;
        }

        /** @return the armed word, with its deadline read into {@link #seenAt}; NOT_ARMED otherwise (watchdog and tests only) */
        long armedWord() {
            while (true) {
                long w = word;
                if ((w & STATE_MASK) != ARMED) {
                    return NOT_ARMED;
                }
                long a = at;
                VarHandle.loadLoadFence();
                if (word == w) {
                    seenAt = a;
                    return w;
                }
            }
        }

        void fire(long armed) {
            // Only the arming that was looked at: a call that has ended, or a later one, is left alone.
            if (WORD.compareAndSet(this, armed, (armed & ~STATE_MASK) | FIRING)) {
                target.interrupt();
                word = (armed & ~STATE_MASK) | FIRED;
            }
        }

        private boolean disarm() {
            caller.depth--;
            // Only the owner counts generations up, so the current one is the arming to end.
            long armed = (word & ~STATE_MASK) | ARMED;
            if (WORD.compareAndSet(this, armed, (armed & ~STATE_MASK) | IDLE)) {
                return false;
            }
            // The watchdog won the race: wait for its interrupt to land so that clearing it below
            // cannot be followed by a late one. The watchdog is a platform thread that takes no
            // lock, so this wait is short.
            long w;
            while (((w = word) & STATE_MASK) == FIRING) {
                Thread.onSpinWait();
            }
            Thread.interrupted();
            word = (w & ~STATE_MASK) | IDLE;
            return true;
        }
    }
}
