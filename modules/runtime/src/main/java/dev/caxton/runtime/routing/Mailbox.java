package dev.caxton.runtime.routing;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Priority;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One agent's bounded, priority-ordered inbox.
 *
 * <p>Order: critical before high before normal before low, first-in first-out within a class (so
 * the order of one sender's messages of one class is kept). To keep a busy stream of urgent
 * messages from starving the rest, after {@value #FAIRNESS_BURST} consecutive takes that passed over
 * a waiting lower class, the oldest message of the most urgent waiting lower class goes next.
 *
 * <p>The bound counts all classes together; {@link #offer} refuses rather than waits, which is how
 * back-pressure reaches senders.
 */
public final class Mailbox {

    /** How many takes may pass over a waiting lower class before it is served once. */
    public static final int FAIRNESS_BURST = 16;

    private final int capacity;
    private final ArrayDeque<Envelope>[] classes;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private int size;
    private int passedOver;
    private boolean closed;
    private boolean wakeup;

    /**
     * Creates a mailbox.
     *
     * @param capacity the most messages it holds
     */
    @SuppressWarnings("unchecked")
    public Mailbox(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1");
        }
        this.capacity = capacity;
        this.classes = new ArrayDeque[Priority.values().length];
        for (int i = 0; i < classes.length; i++) {
            classes[i] = new ArrayDeque<>();
        }
    }

    /**
     * Adds a message unless the mailbox is full or closed.
     *
     * @param e the message
     * @return whether it was added
     */
    public boolean offer(Envelope e) {
        lock.lock();
        try {
            if (closed || size >= capacity) {
                return false;
            }
            classes[e.effectivePriority().ordinal()].addLast(e);
            size++;
            notEmpty.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes the next message, waiting up to the timeout.
     *
     * @param timeout how long to wait
     * @param unit    its unit
     * @return the message, or null when the wait ended without one (timeout, {@link #wakeUp()}, or
     *         closed and empty)
     * @throws InterruptedException when interrupted while waiting
     */
    public Envelope poll(long timeout, TimeUnit unit) throws InterruptedException {
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
            return size == 0 ? null : next();
        } finally {
            lock.unlock();
        }
    }

    private Envelope next() {
        int first = -1;
        int lowerWaiting = -1;
        for (int i = 0; i < classes.length; i++) {
            if (!classes[i].isEmpty()) {
                if (first < 0) {
                    first = i;
                } else {
                    lowerWaiting = i;
                    break;
                }
            }
        }
        int pick = first;
        if (lowerWaiting >= 0) {
            if (++passedOver > FAIRNESS_BURST) {
                pick = lowerWaiting;
                passedOver = 0;
            }
        } else {
            passedOver = 0;
        }
        size--;
        return classes[pick].pollFirst();
    }

    /** Makes a waiting {@link #poll} return now (with null when empty), e.g. to apply a reload. */
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
    public List<Envelope> drain() {
        lock.lock();
        try {
            List<Envelope> all = new ArrayList<>(size);
            for (ArrayDeque<Envelope> q : classes) {
                all.addAll(q);
                q.clear();
            }
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

    /** @return the most messages it holds */
    public int capacity() {
        return capacity;
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
