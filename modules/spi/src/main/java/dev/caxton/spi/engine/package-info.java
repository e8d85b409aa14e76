/**
 * The WebAssembly engine SPI: validate and compile a module, instantiate it with host functions and
 * resource limits, call its exports and read or write its memory.
 *
 * <p>The flow the runtime follows, and a provider implements:
 * <pre>{@code
 * WasmEngine engine = provider.create(context);          // once per node
 * WasmModule module = engine.compile(bytes);             // validates; cache and reuse this
 * WasmInstance inst = module.instantiate(imports, limits);// one per agent, cheap relative to compile
 * long[] r = inst.call("handle_message", ptr, len);      // traps become WasmTrapException
 * }</pre>
 *
 * <p>Values cross the SPI as {@code long}s: an {@code i32} sign-extended, an {@code i64} as is, an
 * {@code f32} as its raw bits ({@link java.lang.Float#floatToRawIntBits}) and an {@code f64} as its raw
 * bits ({@link java.lang.Double#doubleToRawLongBits}), so NaN payloads survive.
 *
 * <p>What the runtime needs of an engine is the flow above with host functions as the only imports.
 * Linking modules to host globals, memories, tables and other instances, which the WebAssembly spec
 * suite needs, is the optional {@link dev.caxton.spi.engine.LinkingEngine} (SPI 1.2).
 *
 * <p>An engine must contain every guest failure: traps, stack exhaustion, memory faults, time and
 * fuel exhaustion all surface as subclasses of {@link dev.caxton.spi.engine.WasmException}, never
 * as a {@link java.lang.Error} that takes the node down.
 */
package dev.caxton.spi.engine;
