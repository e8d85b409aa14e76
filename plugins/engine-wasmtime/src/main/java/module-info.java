/**
 * The Wasmtime WebAssembly engine: runs agent modules on Wasmtime, an optimising native engine,
 * through the wasmtime-java JNI binding, as an alternative to the pure-Java Chicory engine.
 *
 * <p>The engine is selected with {@code runtime.engine: wasmtime}. It enforces the instance limits
 * of the engine SPI: memory growth past the limit fails inside the guest, and calls that run past
 * their execution timeout are interrupted through Wasmtime's epoch interruption. Fuel, which the
 * binding does not expose, is metered by instrumenting the module: every instruction executed
 * counts one, as on Chicory.
 * The binding's native library is extracted once into the node's data directory and loaded from
 * there; on a platform the binding has no library for, the provider reports why instead.
 *
 * <p>Like every plugin it exports nothing; the runtime reaches it only through the
 * {@link dev.caxton.spi.engine.WasmEngineProvider} it provides.
 */
module dev.caxton.engine.wasmtime {
    requires dev.caxton.spi;
    requires dev.caxton.wasm.metering;
    requires wasmtime.java;
    // For wasmtime.java: as an automatic module it cannot declare that it needs SLF4J, and nothing
    // else would make the module system resolve org.slf4j (and, through its service binding, the
    // slf4j-nop provider) when this plugin is on a module path.
    requires org.slf4j;

    provides dev.caxton.spi.engine.WasmEngineProvider
            with dev.caxton.engine.wasmtime.WasmtimeEngineProvider;
}
