/**
 * The Wasmtime engine provider and its implementation of the engine SPI on the wasmtime-java
 * binding (Wasmtime 7).
 *
 * <p>How the SPI's guarantees map onto Wasmtime and what the binding offers:
 * <ul>
 *   <li>{@code compile} decodes the module itself ({@link dev.caxton.engine.wasmtime.ModuleShape}),
 *       since the binding reports neither exports nor global types, then has Wasmtime validate and
 *       compile it (after the rewriting described in {@link dev.caxton.engine.wasmtime.ModuleRewriter});</li>
 *   <li>each instance lives in a store of its own (instances linked to each other's functions or
 *       memories share one); its memory is created by the engine with the instance's limit as its
 *       maximum, so Wasmtime answers a {@code memory.grow} past the limit with -1;</li>
 *   <li>execution timeouts use epoch interruption: one ticker thread per engine advances the epoch
 *       and each call sets a deadline in ticks;</li>
 *   <li>fuel, which the binding lacks, is metered by instrumenting the module
 *       (the shared {@link dev.caxton.wasm.metering.FuelMetering}): instances with a budget run a
 *       metered form, which counts instructions exactly as Chicory's interpreter does;</li>
 *   <li>traps, host function failures (with their exception as the cause) and stack exhaustion
 *       become {@link dev.caxton.spi.engine.WasmTrapException}s, interrupts become
 *       {@link dev.caxton.spi.engine.WasmTimeoutException}s;</li>
 *   <li>the native library is extracted once into the data directory and loaded from there
 *       ({@link dev.caxton.engine.wasmtime.NativeLibrary}).</li>
 * </ul>
 */
package dev.caxton.engine.wasmtime;
