package dev.caxton.spi.engine;

import java.time.Duration;

/**
 * The bounds one instance runs within.
 *
 * <p><b>Fuel</b> is counted in instructions executed, the same way on every engine, so that a
 * budget means the same whichever engine an agent runs on: every instruction counts one, including
 * {@code block}, {@code loop}, {@code if}, {@code else} and {@code end}; a branch to a block, an
 * {@code if} or the function also counts the {@code end} it lands on; a branch back to a loop does
 * not count the {@code loop} again; the then-arm of an {@code if} counts its {@code else}, an
 * {@code if} taking the else-arm does not; {@code return} does not count the function's
 * {@code end}; a call counts the callee's instructions, a host function counts nothing. The budget
 * applies to each outermost {@link WasmInstance#call} (and to the start function at
 * instantiation); calls back into the instance from a host function draw on what the outer call
 * has left. The engine conformance suite checks these rules to the unit.
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
