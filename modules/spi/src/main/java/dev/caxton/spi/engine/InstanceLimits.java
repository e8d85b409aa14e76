package dev.caxton.spi.engine;

import java.time.Duration;

/**
 * The bounds one instance runs within.
 *
 * @param maxMemoryBytes   the most linear memory the instance may hold; a {@code memory.grow}
 *                         past it returns -1 to the guest (no trap by itself); a module whose
 *                         initial memory already exceeds it fails to instantiate
 * @param executionTimeout the longest one {@link WasmInstance#call} may run before the engine
 *                         interrupts it with {@link WasmTimeoutException}; {@link Duration#ZERO}
 *                         for no limit
 * @param fuel             the instructions one call may execute before
 *                         {@link WasmFuelExhaustedException}, for engines whose
 *                         {@link EngineFeatures#fuel()} is true; 0 for no limit
 */
public record InstanceLimits(long maxMemoryBytes, Duration executionTimeout, long fuel) {

    /** 64 KiB, the WebAssembly page size. */
    public static final long PAGE_SIZE = 65536;

    /** No limits beyond WebAssembly's own 4 GiB. */
    public static final InstanceLimits UNLIMITED = new InstanceLimits(1L << 32, Duration.ZERO, 0);

    /** Checks the parts. */
    public InstanceLimits {
        if (maxMemoryBytes < 0 || fuel < 0 || executionTimeout.isNegative()) {
            throw new IllegalArgumentException("limits cannot be negative");
        }
    }

    /**
     * The memory limit in whole pages (rounded down), as engines configure it.
     *
     * @return the maximum number of 64 KiB pages, at most 65536
     */
    public int maxPages() {
        return (int) Math.min(65536, maxMemoryBytes / PAGE_SIZE);
    }
}
