package dev.caxton.spi.engine;

/**
 * A WebAssembly engine. Thread-safe: many agents compile and instantiate through one engine.
 */
public interface WasmEngine extends AutoCloseable {

    /**
     * What this engine can enforce.
     *
     * @return the engine's features
     */
    EngineFeatures features();

    /**
     * Decodes, validates and compiles a module. The result is immutable and may be instantiated
     * many times from many threads; callers cache it.
     *
     * @param wasm the binary module
     * @return the compiled module
     * @throws WasmCompileException when the bytes are not a valid module; the message says why
     */
    WasmModule compile(byte[] wasm);

    /** Releases what the engine holds (threads, native memory). Modules and instances die with it. */
    @Override
    void close();
}
