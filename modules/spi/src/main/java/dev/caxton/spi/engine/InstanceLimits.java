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
 * <p><b>Tables</b> cost heap too (a 10-million-element table is some 80 MB of references), so
 * they draw on the same budget: every table element is counted at {@link #TABLE_ELEMENT_BYTES}
 * bytes, and all the tables of an instance together may hold at most {@link #maxTableElements()}
 * elements, a quarter of the memory limit's worth. A module whose tables' declared minimum sizes
 * add up to more fails to instantiate with a {@link WasmLinkException} that says so; a
 * {@code table.grow} past it returns -1 to the guest, as one past a table's own maximum does.
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

    /** The heap bytes one table element is counted at: one reference on a 64-bit JVM or host. */
    public static final long TABLE_ELEMENT_BYTES = 8;

    /** The share of the memory limit all tables together may take: one part in this many. */
    public static final long TABLE_SHARE_DIVISOR = 4;

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

    /**
     * The most elements all tables of one instance may hold together: a quarter of the memory
     * limit at {@link #TABLE_ELEMENT_BYTES} bytes an element (2,048 elements under a 64 KiB limit,
     * 327,680 under 10 MiB).
     *
     * @return the element allowance
     */
    public long maxTableElements() {
        return maxMemoryBytes / TABLE_SHARE_DIVISOR / TABLE_ELEMENT_BYTES;
    }

    /**
     * Checks the declared minimum sizes of an instance's tables against {@link #maxTableElements()},
     * the same way on every engine.
     *
     * @param minimums the declared minimum of each table the instance defines or imports
     * @throws WasmLinkException when they add up to more than the allowance
     */
    public void checkTables(long... minimums) {
        long total = 0;
        for (long m : minimums) {
            total += m;
        }
        if (total > maxTableElements()) {
            throw new WasmLinkException("the module's tables start with " + total + " elements, more than the "
                    + maxTableElements() + " its memory limit of " + maxMemoryBytes + " bytes allows (tables count "
                    + TABLE_ELEMENT_BYTES + " bytes an element and may take a quarter of the limit)");
        }
    }
}
