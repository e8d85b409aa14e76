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
     * Reads an exported global.
     *
     * @param name the export name
     * @return the value, encoded as in the package documentation
     * @throws IllegalArgumentException when there is no exported global of that name
     */
    long global(String name);

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

    /** Runs nothing more and frees what the instance holds. */
    @Override
    void close();
}
