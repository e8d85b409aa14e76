package dev.caxton.tests.archfixture.plugin;

import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.wasm.metering.FuelMetering;

/** A stand-in plugin class that breaks the rule: it reaches into the runtime (besides allowed uses). */
public final class UsesTheRuntime {
    WasmEngine engine;
    FuelMetering.Metered metered;
    PluginCatalog catalog;
}
