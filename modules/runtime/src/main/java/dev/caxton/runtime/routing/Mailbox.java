package dev.caxton.runtime.routing;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Priority;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One agent's bounded, priority-ordered inbox.
 *
 * <p>Order: a message of a more urgent class goes before a less urgent one (critical, high, normal,
 * low); within a class, first in first out, so the order of one sender's messages of one class is
 * kept. To keep a steady stream of urgent messages from starving the rest, each class has a
 * maximum latency: once the oldest message of a class has waited longer than that, it goes before
 * the fresh messages of more urgent classes (among several overdue classes, the most urgent first).
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
    private final ArrayDeque<Delivery>[] classes;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private int size;
    private boolean closed;
    private boolean wakeup;

    /**
     * Creates a mailbox.
     *
     * @param policies one policy per {@link Priority}, in its declaration order
     * @param budget   the node-wide bound this mailbox shares
     */
    @SuppressWarnings("unchecked")
    public Mailbox(List<ClassPolicy> policies, QueueBudget budget) {
        if (policies.size() != Priority.values().length) {
            throw new IllegalArgumentException("one policy per priority class is needed");
        }
        this.policies = policies.toArray(ClassPolicy[]::new);
        this.maxLatencyNanos = policies.stream().mapToLong(p -> p.maxLatency().toNanos()).toArray();
        this.budget = budget;
        this.classes = new ArrayDeque[this.policies.length];
        for (int i = 0; i < classes.length; i++) {
            classes[i] = new ArrayDeque<>();
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
        int c = e.effectivePriority().ordinal();
        lock.lock();
        try {
            if (closed) {
                return SendStatus.UNKNOWN_RECEIVER;
            }
            if (classes[c].size() >= policies[c].capacity() || !budget.tryAcquire()) {
                return SendStatus.QUEUE_FULL;
            }
            classes[c].addLast(new Delivery(e, System.nanoTime()));
            size++;
            accepted.delivered(e);
            notEmpty.signal();
            return SendStatus.ACCEPTED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes up to {@code max} messages in delivery order, waiting up to the timeout for the first.
     *
     * @param max     the most to take (the batch size)
     * @param timeout how long to wait for one
     * @param unit    its unit
     * @return the messages; empty when the wait ended without one (timeout, {@link #wakeUp()}, or
     *         closed and empty)
     * @throws InterruptedException when interrupted while waiting
     */
    public List<Delivery> poll(int max, long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (size == 0 && !wakeup && !closed) {
                if (nanos <= 0) {
                    return List.of();
                }
                nanos = notEmpty.awaitNanos(nanos);
            }
            wakeup = false;
            if (size == 0) {
                return List.of();
            }
            int n = Math.min(max, size);
            List<Delivery> out = new ArrayList<>(n);
            long now = System.nanoTime();
            for (int i = 0; i < n; i++) {
                out.add(next(now));
            }
            size -= n;
            budget.release(n);
            return out;
        } finally {
            lock.unlock();
        }
    }

    private Delivery next(long now) {
        int pick = -1;
        for (int i = 0; i < classes.length; i++) {
            Delivery head = classes[i].peekFirst();
            if (head == null) {
                continue;
            }
            if (pick < 0) {
                pick = i;
            }
            if (now - head.queuedAtNanos() > maxLatencyNanos[i]) {
                pick = i;
                break;
            }
        }
        return classes[pick].pollFirst();
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
            for (ArrayDeque<Delivery> q : classes) {
                all.addAll(q);
                q.clear();
            }
            budget.release(size);
            size = 0;
            return all;
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
