package dev.caxton.engine.wasmtime;

import dev.caxton.spi.engine.WasmEngineProvider;
import dev.caxton.testkit.engine.EngineConformance;

/** The engine conformance suite against the Wasmtime engine. */
class WasmtimeConformanceTest extends EngineConformance {

    @Override
    protected WasmEngineProvider provider() {
        return new WasmtimeEngineProvider();
    }
}
