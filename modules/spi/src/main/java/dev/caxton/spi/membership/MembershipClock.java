package dev.caxton.spi.membership;

import java.util.random.RandomGenerator;

/**
 * Time, deferred work and randomness for a membership provider, offered through
 * {@link dev.caxton.spi.ProviderContext#service(Class)} by whoever wants to run the provider's
 * protocol on a clock of its own: a simulation of many nodes in one JVM on a virtual clock, where an
 * hour of a thousand-node cluster runs in seconds and the same seed gives the same run.
 *
 * <p>The runtime never offers one: on a node a provider runs on real time with its own threads. A
 * provider that honours this service, when it is present, starts no thread and no timer of its own,
 * runs every step of its protocol as a task of this clock, and takes every random choice from
 * {@link #random()}. Whoever offers a clock drives it and calls the provider's
 * {@link Membership} methods from the one thread that runs the clock's tasks, so the provider needs
 * no locks; listeners are called on that thread too.
 *
 * <p>A provider that cannot run on a given clock (one whose library keeps its own timers) ignores
 * the service; a test suite then cannot simulate it, and says so.
 */
public interface MembershipClock {

    /**
     * A monotonic time, for timeouts and intervals.
     *
     * @return milliseconds since an arbitrary origin
     */
    long monotonicMillis();

    /**
     * The wall-clock time, for what is compared across nodes (incarnations, the stamps of changes).
     *
     * @return milliseconds since the epoch, as this clock sees it
     */
    long wallMillis();

    /**
     * Runs a task later on the clock's thread. Tasks due at the same time run in the order they were
     * scheduled.
     *
     * @param delayMs how long from now; negative counts as 0
     * @param task    the task; an exception it throws is the provider's bug and may stop the run
     */
    void schedule(long delayMs, Runnable task);

    /**
     * The source of every random choice the provider makes (probe order, gossip targets), seeded by
     * whoever drives the clock. Used on the clock's thread only.
     *
     * @return the generator
     */
    RandomGenerator random();
}
