package dev.caxton.testkit.membership;

import dev.caxton.spi.membership.MembershipClock;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * A virtual clock for simulations: time moves only when the test runs tasks, so an hour of a
 * thousand-node cluster runs in seconds and the same seed gives the same run. Tasks scheduled for the
 * same instant run in the order they were scheduled. Single-threaded: everything runs on the thread
 * that calls {@link #runUntil} or {@link #advance}.
 */
public final class VirtualClock {

    private record Task(long at, long order, Runnable run) {
    }

    private final PriorityQueue<Task> tasks = new PriorityQueue<>((a, b) -> a.at != b.at
            ? Long.compare(a.at, b.at) : Long.compare(a.order, b.order));
    private final long wallOrigin;
    private long now;
    private long order;
    private long executed;

    /**
     * @param wallOrigin what {@link #wallMillis()} says at virtual time 0
     */
    public VirtualClock(long wallOrigin) {
        this.wallOrigin = wallOrigin;
    }

    /**
     * The virtual time.
     *
     * @return milliseconds since the simulation started
     */
    public long now() {
        return now;
    }

    /**
     * The virtual wall clock.
     *
     * @return {@code wallOrigin + now()}
     */
    public long wallMillis() {
        return wallOrigin + now;
    }

    /**
     * Runs a task later in virtual time.
     *
     * @param delayMs from now; negative counts as 0
     * @param task    the task
     */
    public void schedule(long delayMs, Runnable task) {
        tasks.add(new Task(now + Math.max(0, delayMs), order++, task));
    }

    /**
     * Runs every task due up to {@code time}, in time order, then sets the clock to {@code time}.
     *
     * @param time the virtual time to reach
     */
    public void runUntil(long time) {
        while (!tasks.isEmpty() && tasks.peek().at <= time) {
            Task t = tasks.poll();
            now = t.at;
            executed++;
            t.run.run();
        }
        now = Math.max(now, time);
    }

    /**
     * Runs the tasks of the next {@code ms} milliseconds.
     *
     * @param ms how far to move
     */
    public void advance(long ms) {
        runUntil(now + ms);
    }

    /**
     * Runs until the condition holds (checked after every task), or until {@code limit} virtual ms.
     *
     * @param limit     the virtual time not to pass
     * @param condition what to wait for
     * @return the virtual time it became true, or -1 when it did not by the limit
     */
    public long runUntil(long limit, java.util.function.BooleanSupplier condition) {
        if (condition.getAsBoolean()) {
            return now;
        }
        while (!tasks.isEmpty() && tasks.peek().at <= limit) {
            Task t = tasks.poll();
            now = t.at;
            executed++;
            t.run.run();
            if (condition.getAsBoolean()) {
                return now;
            }
        }
        now = Math.max(now, limit);
        return -1;
    }

    /**
     * This clock as the membership SPI's clock service, for one node: its tasks run on this clock,
     * and its random choices come from a generator of its own seeded with {@code seed}, so nodes do not
     * share a sequence and a run repeats.
     *
     * @param seed the node's seed
     * @return the service
     */
    public MembershipClock membershipClock(long seed) {
        RandomGenerator random = new SplittableRandom(seed);
        return new MembershipClock() {
            @Override
            public long monotonicMillis() {
                return now;
            }

            @Override
            public long wallMillis() {
                return VirtualClock.this.wallMillis();
            }

            @Override
            public void schedule(long delayMs, Runnable task) {
                VirtualClock.this.schedule(delayMs, task);
            }

            @Override
            public RandomGenerator random() {
                return random;
            }
        };
    }

    /**
     * How many tasks ran.
     *
     * @return the count
     */
    public long executed() {
        return executed;
    }
}
