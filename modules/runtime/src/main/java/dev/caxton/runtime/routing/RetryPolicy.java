package dev.caxton.runtime.routing;

import java.time.Duration;

/**
 * How the node retries deliveries it owns (agents' replies, failure notices, broadcast copies) when
 * the receiver's mailbox is full: {@code attempts} more tries, the first after {@code delay}, each
 * later one {@code backoff} times longer, all within {@code deliveryTimeout} of the first failure.
 *
 * @param attempts        retries after the first failure (0: dead-letter at once)
 * @param delay           wait before the first retry
 * @param backoff         factor by which each further wait grows
 * @param deliveryTimeout how long retrying may go on in all
 */
public record RetryPolicy(int attempts, Duration delay, int backoff, Duration deliveryTimeout) {

    /**
     * The wait before a retry.
     *
     * @param retry the retry's number, from 1
     * @return the wait
     */
    public Duration delayBefore(int retry) {
        long ms = delay.toMillis();
        for (int i = 1; i < retry; i++) {
            ms = Math.multiplyExact(ms, backoff);
        }
        return Duration.ofMillis(ms);
    }
}
