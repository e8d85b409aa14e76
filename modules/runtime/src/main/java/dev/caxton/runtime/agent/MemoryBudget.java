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
 */
public final class MemoryBudget {

    /** The part of the JVM's maximum heap the default budget grants agents (the rest runs the node). */
    public static final double DEFAULT_HEAP_FRACTION = 0.5;

    private final long budget;
    private final Map<String, Long> booked = new HashMap<>();
    private long inUse;

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
    public synchronized void reserve(String agent, long bytes) {
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
