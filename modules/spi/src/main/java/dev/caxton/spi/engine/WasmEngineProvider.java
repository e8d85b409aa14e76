package dev.caxton.spi.engine;

import dev.caxton.spi.Provider;
import dev.caxton.spi.ProviderContext;

import java.util.Optional;

/**
 * Creates {@link WasmEngine}s; selected by {@code runtime.engine} (first-party names {@code chicory}
 * and {@code wasmtime}).
 */
public interface WasmEngineProvider extends Provider {

    /**
     * Why this engine cannot run here, if it cannot: a native engine on an unsupported platform,
     * say. The runtime refuses to select an unsupported engine and prints this reason.
     *
     * @return the reason, or empty when the engine can run
     */
    default Optional<String> unsupportedReason() {
        return Optional.empty();
    }

    /**
     * Creates an engine. Called once per node; the engine is shared by every agent.
     *
     * @param context the provider's configuration section and the data directory (for code caches,
     *                extracted native libraries)
     * @return a thread-safe engine
     */
    WasmEngine create(ProviderContext context);
}
