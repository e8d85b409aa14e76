/**
 * The Chicory WebAssembly engine: runs agent modules on Chicory, a WebAssembly runtime written in
 * pure Java, so Caxton needs no native code to execute guests.
 *
 * <p>The engine is selected with {@code runtime.engine: chicory}. It runs modules either in Chicory's
 * interpreter or, by default, as JVM bytecode produced by Chicory's runtime compiler (option
 * {@code runtime.chicory.mode}). Both modes enforce the instance limits of the engine SPI: memory
 * growth beyond the limit fails inside the guest, calls that run past their execution timeout are
 * interrupted, and calls with a fuel budget are metered instruction by instruction.
 *
 * <p>Like every plugin it exports nothing; the runtime reaches it only through the
 * {@link dev.caxton.spi.engine.WasmEngineProvider} it provides.
 */
module dev.caxton.engine.chicory {
    requires dev.caxton.spi;
    requires dev.caxton.wasm.metering;
    requires com.dylibso.chicory.wasm;
    requires com.dylibso.chicory.runtime;
    requires com.dylibso.chicory.compiler;
    requires com.dylibso.chicory.wasi;

    provides dev.caxton.spi.engine.WasmEngineProvider
            with dev.caxton.engine.chicory.ChicoryEngineProvider;
}
