package dev.caxton.engine.chicory;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.engine.WasmEngineProvider;
import dev.caxton.testkit.engine.EngineConformance;

import java.util.Map;

/** The engine conformance suite against the Chicory engine in compiler mode. */
class ChicoryCompilerConformanceTest extends EngineConformance {

    @Override
    protected WasmEngineProvider provider() {
        return new ChicoryEngineProvider();
    }

    @Override
    protected ProviderConfig config() {
        return ProviderConfig.of("runtime.chicory", Map.of("mode", "compiler"));
    }
}
