package dev.caxton.runtime.agent;


import dev.caxton.runtime.api.DeployException;

import java.util.HashMap;
import java.util.Map;

/**
 * The node-wide budget for the sum of its agents' memory limits ({@code runtime.memory_budget}).
 * An agent's memory limit is what it may come to hold, so the node books the whole limit when the
 * agent is deployed rather than what it happens to use: the heap must be able to hold every agent
 * at its limit at once, or one busy moment ends in an {@link OutOfMemoryError} that takes more
 * than the greedy agent with it.
 *
 * <p>A deploy or reload that would take the sum past the budget is refused with
 * {@link DeployException.Kind#CAPACITY} (HTTP 503) and the numbers: requested, in use, budget.
 *
 * <p>Idle instances of the instance pool are booked here too, at what they hold (their module's
 * initial memory and tables), so that the budget bounds them as well. They only take room nobody
 * else has booked ({@link #reservePooled}), and never stand in an agent's way: an agent is refused
 * only when the other agents' limits leave no room, and when it fits only by the idle instances'
 * room, its {@link #reserve} has the {@link Reclaimer} close enough of them first.
 */
public final class MemoryBudget {

    /** The part of the JVM's maximum heap the default budget grants agents (the rest runs the node). */
    public static final double DEFAULT_HEAP_FRACTION = 0.5;

    private final long budget;
    private final Map<String, Long> booked = new HashMap<>();
    private long inUse;
    private long pooled;
    private volatile Reclaimer reclaimer = bytes -> { };

    /** Gives back room held by idle pooled instances, by closing them. */
    @FunctionalInterface
    public interface Reclaimer {
        /**
         * Closes idle instances holding at least this many bytes, or all of them when they hold
         * less; each closed instance's bytes go back through {@link #releasePooled}. Called with
         * no lock of the budget held.
         *
         * @param bytes the bytes wanted back
         */
        void reclaim(long bytes);
    }

    /**
     * Creates a budget.
     *
     * @param budget the most bytes all agents' memory limits may add up to
     */
    public MemoryBudget(long budget) {
        if (budget <= 0) {
            throw new IllegalArgumentException("a memory budget must be positive: " + budget);
        }
        this.budget = budget;
    }

    /**
     * The budget the configuration asks for: the configured value, or, when that is 0, half of the
     * JVM's maximum heap.
     *
     * @param configured the value of {@code runtime.memory_budget} in bytes (0: derive it)
     * @param maxHeap    the JVM's maximum heap ({@link Runtime#maxMemory()})
     * @return the budget in bytes
     */
    public static long resolve(long configured, long maxHeap) {
        if (configured > 0) {
            return configured;
        }
        return Math.max(1, (long) (maxHeap * DEFAULT_HEAP_FRACTION));
    }

    /**
     * Books an agent's memory limit, replacing what it had booked before (a reload or a redeploy
     * under the same name books the difference only).
     *
     * @param agent the agent's name
     * @param bytes its memory limit
     * @throws DeployException ({@link DeployException.Kind#CAPACITY}) when the budget cannot hold it
     */
    public void reserve(String agent, long bytes) {
        long over;
        synchronized (this) {
            long before = booked.getOrDefault(agent, 0L);
            long others = inUse - before;
            if (bytes > budget - others) {
                throw new DeployException(DeployException.Kind.CAPACITY, "not enough memory budget for agent '" + agent
                        + "': it asks for a memory limit of " + bytes + " bytes, agents already hold " + others
                        + " bytes of runtime.memory_budget " + budget + " bytes (" + Math.max(0, budget - others)
                        + " bytes free)");
            }
            booked.put(agent, bytes);
            inUse = others + bytes;
            over = inUse + pooled - budget;
        }
        if (over > 0) {
            // The agent fits once idle pooled instances make way: they go before the agent starts,
            // so what is really held never passes the budget. Called outside this lock: the pool
            // takes its own lock and then this one, never the other way round.
            reclaimer.reclaim(over);
        }
    }

    /**
     * Sets who gives back the idle instances' room when an agent needs it.
     *
     * @param r the reclaimer (the instance pool)
     */
    public void reclaimer(Reclaimer r) {
        this.reclaimer = r;
    }

    /**
     * Books an idle pooled instance, before it is made, if the budget has room beside every agent
     * and every other idle instance.
     *
     * @param bytes what the instance will hold
     * @return false, booking nothing, when there is no room
     */
    public synchronized boolean reservePooled(long bytes) {
        if (bytes > budget - inUse - pooled) {
            return false;
        }
        pooled += bytes;
        return true;
    }

    /**
     * Gives back an idle instance's booking: it was taken by an agent (which booked its own limit),
     * closed, or never made.
     *
     * @param bytes what {@link #reservePooled} booked for it
     */
    public synchronized void releasePooled(long bytes) {
        pooled -= bytes;
    }

    /** @return whether agents and idle instances together are booked past the budget (for a moment) */
    public synchronized boolean overBooked() {
        return inUse + pooled > budget;
    }

    /** @return the bytes booked by idle pooled instances */
    public synchronized long pooled() {
        return pooled;
    }

    /**
     * Gives an agent's booking back (undeploy, or a deploy that failed after booking).
     *
     * @param agent the agent's name
     */
    public synchronized void release(String agent) {
        Long b = booked.remove(agent);
        if (b != null) {
            inUse -= b;
        }
    }

    /** @return the bytes booked by all agents together */
    public synchronized long inUse() {
        return inUse;
    }

    /** @return the budget in bytes */
    public long budget() {
        return budget;
    }
}
