package dev.caxton.runtime.agent;

import dev.caxton.spi.engine.InstanceLimits;

import java.time.Duration;

/**
 * An agent's resource limits.
 *
 * @param memoryBytes      the most linear memory it may hold
 * @param executionTimeout the longest one message may run ({@link Duration#ZERO}: unlimited)
 * @param fuel             instructions per message on engines that meter fuel (0: unmetered)
 */
public record AgentLimits(long memoryBytes, Duration executionTimeout, long fuel) {

    /** @return these limits in the engine SPI's terms */
    public InstanceLimits toInstanceLimits() {
        return new InstanceLimits(memoryBytes, executionTimeout, fuel);
    }
}
