package dev.caxton.runtime.api;

import dev.caxton.spi.Quantities;
import dev.caxton.spi.engine.InstanceLimits;

import java.time.Duration;

/**
 * An agent's resource limits.
 *
 * @param memoryBytes      the most linear memory it may hold
 * @param executionTimeout the longest one message may run ({@link Duration#ZERO}: unlimited)
 * @param fuel             instructions per message on engines that meter fuel (0: unmetered)
 * @param cpuShare         its scheduling weight against the other agents of the node: on the pool
 *                         scheduler its batch per turn is {@code runtime.scheduler.throughput} times
 *                         this over {@value #DEFAULT_CPU_SHARE}
 */
public record AgentLimits(long memoryBytes, Duration executionTimeout, long fuel, int cpuShare) {

    /** The CPU share of an agent deployed without one. */
    public static final int DEFAULT_CPU_SHARE = 100;
    /** The smallest CPU share. */
    public static final int MIN_CPU_SHARE = 1;
    /** The largest CPU share: a thousand times the smallest is as uneven as a turn should get. */
    public static final int MAX_CPU_SHARE = 1000;

    /**
     * Limits with the default CPU share.
     *
     * @param memoryBytes      the most linear memory it may hold
     * @param executionTimeout the longest one message may run ({@link Duration#ZERO}: unlimited)
     * @param fuel             instructions per message on engines that meter fuel (0: unmetered)
     */
    public AgentLimits(long memoryBytes, Duration executionTimeout, long fuel) {
        this(memoryBytes, executionTimeout, fuel, DEFAULT_CPU_SHARE);
    }

    /** The smallest memory limit: one WebAssembly page. */
    public static final long MIN_MEMORY = InstanceLimits.PAGE_SIZE;
    /** The largest memory limit: all a 32-bit WebAssembly memory can address. */
    public static final long MAX_MEMORY = 4L << 30;
    /** The longest execution time limit, one day (the same range as the configuration's). */
    public static final Duration MAX_EXECUTION_TIMEOUT = Duration.ofDays(1);

    /** @return these limits in the engine SPI's terms */
    public InstanceLimits toInstanceLimits() {
        return new InstanceLimits(memoryBytes, executionTimeout, fuel);
    }

    /**
     * Checks that every limit lies in its allowed range. Every way limits enter the node (the API,
     * the command line, configuration overrides, agents restored from storage) passes here, so a
     * value such as 2^63-1 bytes is refused by name instead of being taken at its word.
     *
     * @throws DeployException ({@link DeployException.Kind#INVALID_REQUEST}) naming the field
     *                         ({@code limits.memory_bytes}, {@code limits.execution_timeout_ms},
     *                         {@code limits.fuel}, {@code limits.cpu_share}) and its allowed range
     */
    public void validate() {
        if (memoryBytes < MIN_MEMORY || memoryBytes > MAX_MEMORY) {
            throw new DeployException(DeployException.Kind.INVALID_REQUEST, "field 'limits.memory_bytes' is "
                    + memoryBytes + " bytes, outside the allowed range " + MIN_MEMORY + " to " + MAX_MEMORY
                    + " bytes (" + Quantities.formatSize(MIN_MEMORY) + " to " + Quantities.formatSize(MAX_MEMORY) + ")");
        }
        if (executionTimeout == null || executionTimeout.isNegative()
                || executionTimeout.compareTo(MAX_EXECUTION_TIMEOUT) > 0) {
            throw new DeployException(DeployException.Kind.INVALID_REQUEST, "field 'limits.execution_timeout_ms' is "
                    + (executionTimeout == null ? "missing" : executionTimeout.toMillis() + " ms")
                    + ", outside the allowed range 0 to " + MAX_EXECUTION_TIMEOUT.toMillis() + " ms (0 means no limit)");
        }
        if (fuel < 0) {
            throw new DeployException(DeployException.Kind.INVALID_REQUEST, "field 'limits.fuel' is " + fuel
                    + ", outside the allowed range 0 to " + Long.MAX_VALUE + " (0 means unmetered)");
        }
        if (cpuShare < MIN_CPU_SHARE || cpuShare > MAX_CPU_SHARE) {
            throw new DeployException(DeployException.Kind.INVALID_REQUEST, "field 'limits.cpu_share' is " + cpuShare
                    + ", outside the allowed range " + MIN_CPU_SHARE + " to " + MAX_CPU_SHARE
                    + " (" + DEFAULT_CPU_SHARE + " is the usual share)");
        }
    }
}
