/**
 * Fuel metering for WebAssembly engines that cannot (or should not) count instructions themselves:
 * it rewrites a module binary so that the module counts its own fuel, with exactly the counts
 * Chicory's interpreter makes. A first-party library the engine plugins may use (the architecture
 * rules allow plugins the SPI and this module, nothing else of Caxton's); it depends on java.base
 * only, holds no state, and each plugin folder carries its own copy.
 */
module dev.caxton.wasm.metering {
    exports dev.caxton.wasm.metering;
}
