package dev.caxton.spi.engine;

import java.util.Optional;

/**
 * A live instance of a module. Not thread-safe: one thread calls into it at a time (the runtime
 * gives each agent its own instance and processes its messages one by one).
 */
public interface WasmInstance extends AutoCloseable {

    /**
     * The signature of an exported function.
     *
     * @param name the export name
     * @return the signature, or empty when there is no exported function of that name
     */
    Optional<FunctionType> exportedFunction(String name);

    /**
     * Calls an exported function under this instance's limits.
     *
     * @param name the export name
     * @param args the arguments, encoded as in the package documentation
     * @return the results, likewise (an empty array for none)
     * @throws WasmTrapException when the guest traps, a host function throws, or the call stack
     *         is exhausted
     * @throws WasmTimeoutException when the call runs past the execution timeout
     * @throws WasmFuelExhaustedException when the call runs out of fuel
     * @throws IllegalArgumentException when there is no such export or the arguments do not match
     */
    long[] call(String name, long... args);

    /**
     * The exported memory named {@code "memory"}.
     *
     * @return the memory
     * @throws IllegalStateException when the instance exports no memory of that name
     */
    GuestMemory memory();

    /**
     * Reads an exported global. Required of a {@link LinkingEngine}'s instances only (the spec suite
     * reads globals this way; the runtime never does); abstract in SPI 1.0 and 1.1.
     *
     * @param name the export name
     * @return the value, encoded as in the package documentation
     * @throws IllegalArgumentException when there is no exported global of that name
     * @throws UnsupportedOperationException by default: the engine is not a {@link LinkingEngine}
     */
    default long global(String name) {
        throw new UnsupportedOperationException("this engine does not read exported globals by name (global '"
                + name + "'): that is part of LinkingEngine, which it does not implement");
    }

    /**
     * The fuel the most recent call into this instance that returned normally used, in the units
     * {@link InstanceLimits#fuel()} defines, so that operators can size budgets from what agents
     * really use. Reading it costs nothing: engines record it as the call returns.
     *
     * @return the units used, or -1 when the instance has no fuel budget or no call has returned
     *         yet; engines that meter fuel ({@link EngineFeatures#fuel()}) must report it, the
     *         default (-1) is for engines that do not
     */
    default long fuelUsed() {
        return -1;
    }

    /**
     * The values of every mutable global the module itself defines (imported globals and globals
     * an engine adds for its own bookkeeping excluded), in the module's global index order,
     * exported or not. With {@link GuestMemory} this is the whole state a durable agent keeps
     * between messages; tables are not part of it.
     *
     * @return the values, encoded as in the package documentation
     * @throws UnsupportedOperationException when the engine cannot read them
     *         ({@link EngineFeatures#snapshots()} false), or a mutable global is a {@code v128} or
     *         a reference (a handle that means nothing in another instance); the message names
     *         the global's index
     */
    default long[] mutableGlobals() {
        throw new UnsupportedOperationException("this engine cannot read the globals of an instance");
    }

    /**
     * Sets every mutable global the module defines, as {@link #mutableGlobals()} returned them
     * (from this instance or another instance of the same module).
     *
     * @param values the values, in the same order and encoding
     * @throws IllegalArgumentException when the count does not match the module's mutable globals
     * @throws UnsupportedOperationException when the engine cannot write them, or for the same
     *         globals {@link #mutableGlobals()} refuses
     */
    default void restoreMutableGlobals(long[] values) {
        throw new UnsupportedOperationException("this engine cannot write the globals of an instance");
    }

    /** Runs nothing more and frees what the instance holds. */
    @Override
    void close();
}
