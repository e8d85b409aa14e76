package dev.caxton.spi.engine;

/**
 * What an engine enforces, so the runtime can refuse a limit the engine cannot honour instead of
 * silently ignoring it.
 *
 * @param fuel              whether {@link InstanceLimits#fuel()} is metered
 * @param executionTimeout  whether {@link InstanceLimits#executionTimeout()} interrupts running code
 * @param description       a short human description, e.g. {@code "chicory 1.7.5, compiler"}
 * @param snapshots         whether instances read and restore their state
 *                          ({@link WasmInstance#mutableGlobals()}, {@link GuestMemory#grow}), which
 *                          durable agents need
 * @param wasi              whether {@link WasmModule#instantiate(Imports, InstanceLimits, WasiConfig)}
 *                          offers a sandboxed WASI preview 1
 */
public record EngineFeatures(boolean fuel, boolean executionTimeout, String description, boolean snapshots,
                             boolean wasi) {

    /**
     * Features of an engine without WASI.
     *
     * @param fuel             whether fuel is metered
     * @param executionTimeout whether the execution timeout interrupts running code
     * @param description      a short human description
     * @param snapshots        whether instances read and restore their state
     */
    public EngineFeatures(boolean fuel, boolean executionTimeout, String description, boolean snapshots) {
        this(fuel, executionTimeout, description, snapshots, false);
    }

    /**
     * Features of an engine that cannot snapshot instances.
     *
     * @param fuel             whether fuel is metered
     * @param executionTimeout whether the execution timeout interrupts running code
     * @param description      a short human description
     */
    public EngineFeatures(boolean fuel, boolean executionTimeout, String description) {
        this(fuel, executionTimeout, description, false, false);
    }
}
