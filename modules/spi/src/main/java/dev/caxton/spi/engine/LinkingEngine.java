package dev.caxton.spi.engine;

/**
 * An engine that links a module to more than host functions: host globals, memories and tables
 * ({@link Imports#globals()}, {@link Imports#memories()}, {@link Imports#tables()}), the exports of
 * other instances ({@link Imports#instances()}), and whose instances read an exported global by name
 * ({@link WasmInstance#global(String)}).
 *
 * <p>Optional since SPI 1.2. The runtime never asks for any of this (an agent imports host functions
 * only, and the node reads an agent's state through {@link WasmInstance#mutableGlobals()}); the
 * WebAssembly spec suite does, because its scripts link modules to each other and to the
 * {@code spectest} module, so the testkit's {@code SpecSuite} refuses an engine that does not
 * implement this interface, and the linking cases of {@code EngineConformance} run only for one
 * that does. An engine that implements only {@link WasmEngine} must still refuse what it cannot
 * link: {@link WasmModule#instantiate(Imports, InstanceLimits)} with imports that are not
 * {@link Imports#hostFunctionsOnly() host functions only} throws a {@link WasmLinkException} naming
 * the first import it cannot satisfy.
 *
 * <p>A marker: implementing it is the engine's promise that the methods above work as documented.
 */
public interface LinkingEngine extends WasmEngine {
}
