package dev.caxton.runtime.routing;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The node-wide bound on queued messages ({@code messaging.queue_size}), shared by every mailbox
 * and the retry queue, so the sum of all queues is bounded and not only each one.
 */
public final class QueueBudget {

    private final long limit;
    private final AtomicLong used = new AtomicLong();

    /**
     * Creates a budget.
     *
     * @param limit the most messages queued on the node at once
     */
    public QueueBudget(long limit) {
        this.limit = limit;
    }

    /** @return whether one more message may be queued (and reserves its place) */
    public boolean tryAcquire() {
        while (true) {
            long u = used.get();
            if (u >= limit) {
                return false;
            }
            if (used.compareAndSet(u, u + 1)) {
                return true;
            }
        }
    }

    /**
     * Gives places back.
     *
     * @param n how many messages left their queues
     */
    public void release(int n) {
        used.addAndGet(-n);
    }

    /** @return messages queued now */
    public long used() {
        return used.get();
    }

    /** @return the bound */
    public long limit() {
        return limit;
    }
}
