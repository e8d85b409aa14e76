package dev.caxton.runtime.routing;

import dev.caxton.runtime.api.SendStatus;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Priority;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * One agent's bounded, priority-ordered inbox.
 *
 * <p>Order: a message of a more urgent class goes before a less urgent one (critical, high, normal,
 * low); within a class, first in first out, so the order of one sender's messages of one class is
 * kept. To keep a steady stream of urgent messages from starving the rest, each class has a
 * maximum latency: once the oldest message of a class has waited longer than that, it goes before
 * the fresh messages of more urgent classes (among several overdue classes, the most urgent first).
 *
 * <p>The choice is made per message, at the moment the agent is ready for its next one
 * ({@link #take}, {@link #poll()}), never for a batch at once: a batch ordered when the agent woke
 * would judge every message's waiting time at that one instant, so a low message could sit behind
 * a batch of critical ones long past its maximum latency, and a critical message arriving during a
 * batch of low ones would wait for all of them.
 *
 * <p>Each class has its own bound, and every message also takes a place in the node-wide
 * {@link QueueBudget}; {@link #offer} refuses rather than waits when either is full, which is how
 * back-pressure reaches senders.
 */
public final class Mailbox {

    /** A queued message and when it was queued. */
    public record Delivery(Envelope envelope, long queuedAtNanos) {
    }

    /**
     * One priority class's bound and maximum latency.
     *
     * @param capacity   messages of this class the mailbox holds
     * @param maxLatency how long the oldest may wait before it goes ahead of more urgent classes
     */
    public record ClassPolicy(int capacity, Duration maxLatency) {
    }

    private final ClassPolicy[] policies;
    private final long[] maxLatencyNanos;
    private final QueueBudget budget;
    private final LongSupplier nanoTime;
    private final Ring[] classes;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    // Volatile so that isIdle() can be read without the lock, on every synchronous request.
    private volatile int size;
    // Set while the consumer holds a message it took and has not finished: the mailbox is not idle
    // then even though it is empty. Written only by the one consumer (set under the lock, before
    // size drops, so a reader that sees the lower size sees the flag too).
    private volatile boolean inHand;
    private boolean closed;
    private boolean wakeup;
    // When the message the consumer took last was queued; written under the lock by the consumer's
    // own take, read by it afterwards.
    private long takenQueuedAt;
    // Whether the router of this node checked that message's ids (see offer); as takenQueuedAt.
    private boolean takenChecked;

    /**
     * One class's queue: the messages, when each was queued and whether it was checked, in parallel
     * rings, so queuing a message allocates nothing (a record per message used to). The arrays are made on the first
     * message and double when full, as an ArrayDeque's do, so an idle agent holds none.
     */
    private static final class Ring {
        private Envelope[] items = new Envelope[0];
        private long[] times = new long[0];
        private boolean[] checked = new boolean[0];
        private int head;
        private int count;

        int size() {
            return count;
        }

        boolean isEmpty() {
            return count == 0;
        }

        void add(Envelope e, long queuedAt, boolean wasChecked) {
            if (count == items.length) {
                grow();
            }
            int i = (head + count) & (items.length - 1);
            items[i] = e;
            times[i] = queuedAt;
            checked[i] = wasChecked;
            count++;
        }

        /** @return when the oldest message was queued; only while not empty */
        long headTime() {
            return times[head];
        }

        /** @return whether the oldest message was checked; only while not empty */
        boolean headChecked() {
            return checked[head];
        }

        /** @return the oldest message, removed; only while not empty */
        Envelope poll() {
            Envelope e = items[head];
            items[head] = null;
            head = (head + 1) & (items.length - 1);
            count--;
            return e;
        }

        private void grow() {
            int n = Math.max(8, items.length * 2);
            Envelope[] i2 = new Envelope[n];
            long[] t2 = new long[n];
            boolean[] c2 = new boolean[n];
            for (int k = 0; k < count; k++) {
                int from = (head + k) & (items.length - 1);
                i2[k] = items[from];
                t2[k] = times[from];
                c2[k] = checked[from];
            }
            items = i2;
            times = t2;
            checked = c2;
            head = 0;
        }
    }

    /**
     * Creates a mailbox.
     *
     * @param policies one policy per {@link Priority}, in its declaration order
     * @param budget   the node-wide bound this mailbox shares
     */
    public Mailbox(List<ClassPolicy> policies, QueueBudget budget) {
        this(policies, budget, System::nanoTime);
    }

    /**
     * Creates a mailbox that reads time from the given clock (tests drive it by hand).
     *
     * @param policies one policy per {@link Priority}, in its declaration order
     * @param budget   the node-wide bound this mailbox shares
     * @param nanoTime a monotonic clock in nanoseconds, like {@link System#nanoTime()}
     */
    public Mailbox(List<ClassPolicy> policies, QueueBudget budget, LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        if (policies.size() != Priority.values().length) {
            throw new IllegalArgumentException("one policy per priority class is needed");
        }
        this.policies = policies.toArray(ClassPolicy[]::new);
        this.maxLatencyNanos = policies.stream().mapToLong(p -> p.maxLatency().toNanos()).toArray();
        this.budget = budget;
        this.classes = new Ring[this.policies.length];
        for (int i = 0; i < classes.length; i++) {
            classes[i] = new Ring();
        }
    }

    /**
     * A mailbox with the same bound and no latency promise for every class (for tests and tools).
     *
     * @param capacityPerClass messages each class holds
     * @return the mailbox
     */
    public static Mailbox uniform(int capacityPerClass) {
        List<ClassPolicy> p = new ArrayList<>();
        for (int i = 0; i < Priority.values().length; i++) {
            p.add(new ClassPolicy(capacityPerClass, Duration.ofDays(365)));
        }
        return new Mailbox(p, new QueueBudget(Long.MAX_VALUE));
    }

    /**
     * Adds a message unless its class or the node is full, or the mailbox is closed.
     *
     * @param e        the message
     * @param accepted told of the message once queued, while the taker cannot see it yet
     * @return {@link SendStatus#ACCEPTED}, {@link SendStatus#QUEUE_FULL} or, when closed,
     *         {@link SendStatus#UNKNOWN_RECEIVER}
     */
    public SendStatus offer(Envelope e, RouteListener accepted) {
        return offer(e, accepted, false);
    }

    /**
     * {@link #offer(Envelope, RouteListener)}, saying whether this node's router checked the message's
     * ids and addressing on its way here; the consumer learns it with {@link #takenChecked()}. A
     * message from another node or from the outbox after a restart was not checked here.
     *
     * @param e        the message
     * @param accepted told of the message once queued, while the taker cannot see it yet
     * @param checked  true when this node's router checked it
     * @return as {@link #offer(Envelope, RouteListener)}
     */
    public SendStatus offer(Envelope e, RouteListener accepted, boolean checked) {
        int c = e.effectivePriority().ordinal();
        lock.lock();
        try {
            if (closed) {
                return SendStatus.UNKNOWN_RECEIVER;
            }
            if (classes[c].size() >= policies[c].capacity() || !budget.tryAcquire()) {
                return SendStatus.QUEUE_FULL;
            }
            classes[c].add(e, nanoTime.getAsLong(), checked);
            size++;
            accepted.delivered(e);
            notEmpty.signal();
            return SendStatus.ACCEPTED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes the next message in delivery order as of now, waiting up to the timeout for one.
     *
     * @param timeout how long to wait for one
     * @param unit    its unit
     * @return the message; null when the wait ended without one (timeout, {@link #wakeUp()}, or
     *         closed and empty)
     * @throws InterruptedException when interrupted while waiting
     */
    public Delivery take(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (size == 0 && !wakeup && !closed) {
                if (nanos <= 0) {
                    return null;
                }
                nanos = notEmpty.awaitNanos(nanos);
            }
            wakeup = false;
            return size == 0 ? null : new Delivery(takeOne(), takenQueuedAt);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes the next message in delivery order as of now, without waiting.
     *
     * @return the message, or null when none is queued
     */
    public Delivery poll() {
        Envelope e = pollEnvelope();
        return e == null ? null : new Delivery(e, takenQueuedAt);
    }

    /**
     * {@link #poll()} without the {@link Delivery}: the message alone, its queue time then in
     * {@link #takenQueuedAtNanos()}. The pool's turns take every message this way, allocating nothing.
     *
     * @return the message, or null when none is queued
     */
    public Envelope pollEnvelope() {
        lock.lock();
        try {
            return size == 0 ? null : takeOne();
        } finally {
            lock.unlock();
        }
    }

    /**
     * When the message the consumer took last was queued; read by the consumer after its own take.
     *
     * @return a {@link System#nanoTime()}-style instant from this mailbox's clock
     */
    public long takenQueuedAtNanos() {
        return takenQueuedAt;
    }

    /**
     * Whether the message the consumer took last was offered as checked by this node's router (see
     * {@link #offer(Envelope, RouteListener, boolean)}); read by the consumer after its own take.
     *
     * @return true when it was
     */
    public boolean takenChecked() {
        return takenChecked;
    }

    private Envelope takeOne() {
        Envelope e = next();
        inHand = true;
        size--;
        budget.release(1);
        return e;
    }

    private Envelope next() {
        int only = -1;
        for (int i = 0; i < classes.length; i++) {
            if (!classes[i].isEmpty()) {
                if (only >= 0) {
                    return next(nanoTime.getAsLong());
                }
                only = i;
            }
        }
        // One class queued: nothing to weigh, so no clock read (the common case, and the clock is
        // the costliest part of a take).
        return pollFrom(classes[only]);
    }

    private Envelope next(long now) {
        int pick = -1;
        for (int i = 0; i < classes.length; i++) {
            Ring q = classes[i];
            if (q.isEmpty()) {
                continue;
            }
            if (pick < 0) {
                pick = i;
            }
            if (now - q.headTime() > maxLatencyNanos[i]) {
                pick = i;
                break;
            }
        }
        return pollFrom(classes[pick]);
    }

    private Envelope pollFrom(Ring q) {
        takenQueuedAt = q.headTime();
        takenChecked = q.headChecked();
        return q.poll();
    }

    /**
     * Tells the mailbox its consumer is done with the message it took last, so that
     * {@link #isIdle()} may be true again.
     */
    public void finished() {
        inHand = false;
    }

    /**
     * Whether nothing is queued and the consumer holds no message it took: a caller that owns the
     * agent may then run a message at once without passing any queued one. Read without the lock.
     *
     * @return true when idle
     */
    public boolean isIdle() {
        // size first: see the comment on inHand.
        return size == 0 && !inHand;
    }

    /**
     * Whether a message is queued, read without the lock: a scheduler that saw false has been or will
     * be told of the next message by whoever queues it.
     *
     * @return true when at least one message waits
     */
    public boolean hasQueued() {
        return size > 0;
    }

    /** Makes a waiting {@link #poll} return now (empty when nothing is queued), e.g. to apply a reload. */
    public void wakeUp() {
        lock.lock();
        try {
            wakeup = true;
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Refuses new messages from now on; queued ones can still be taken. */
    public void close() {
        lock.lock();
        try {
            closed = true;
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes and returns everything queued, most urgent first.
     *
     * @return the messages
     */
    public List<Delivery> drain() {
        lock.lock();
        try {
            List<Delivery> all = new ArrayList<>(size);
            for (Ring q : classes) {
                while (!q.isEmpty()) {
                    long at = q.headTime();
                    all.add(new Delivery(q.poll(), at));
                }
            }
            budget.release(size);
            size = 0;
            return all;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Adds this mailbox's depth per priority class to {@code into}, for the queue-depth metric.
     *
     * @param into one slot per {@link Priority}, in declaration order
     */
    public void addDepths(long[] into) {
        lock.lock();
        try {
            for (int i = 0; i < classes.length && i < into.length; i++) {
                into[i] += classes[i].size();
            }
        } finally {
            lock.unlock();
        }
    }

    /** @return how many messages are queued */
    public int size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    /** @return whether it refuses new messages */
    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }
}
