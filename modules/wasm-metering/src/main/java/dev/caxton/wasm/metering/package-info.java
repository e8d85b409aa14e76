/**
 * Reading and writing WebAssembly binaries ({@link dev.caxton.wasm.metering.WasmReader},
 * {@link dev.caxton.wasm.metering.WasmWriter}, {@link dev.caxton.wasm.metering.SectionEmitter}) and
 * adding fuel metering to a module ({@link dev.caxton.wasm.metering.FuelMetering}).
 */
package dev.caxton.wasm.metering;
