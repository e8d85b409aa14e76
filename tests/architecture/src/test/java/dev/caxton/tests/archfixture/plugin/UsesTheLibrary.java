package dev.caxton.tests.archfixture.plugin;

import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.wasm.metering.FuelMetering;

/** A stand-in plugin class that keeps the rule: the SPI and the shared metering library only. */
public final class UsesTheLibrary {
    WasmEngine engine;
    FuelMetering.Metered metered;
}
