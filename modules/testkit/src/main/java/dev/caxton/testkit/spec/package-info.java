/**
 * An engine-agnostic runner of the official WebAssembly core spec tests (the {@code wast2json}
 * conversion of the WebAssembly test suite), driving a {@link dev.caxton.spi.engine.WasmEngine}
 * through the engine SPI only, and the expectation files that turn its results into a regression
 * check. Start at {@link dev.caxton.testkit.spec.SpecSuite}.
 */
package dev.caxton.testkit.spec;
