package dev.caxton.spi.engine;

import java.util.List;
import java.util.Optional;

/**
 * A validated, compiled module: its imports and exports can be inspected, and it can be
 * instantiated any number of times. Thread-safe.
 */
public interface WasmModule {

    /**
     * What the module imports, in declaration order.
     *
     * @return the imports
     */
    List<ImportDescriptor> imports();

    /**
     * What the module exports, in declaration order.
     *
     * @return the exports
     */
    List<ExportDescriptor> exports();

    /**
     * Looks up an export by name.
     *
     * @param name the export name
     * @return the export, if the module has one of that name
     */
    default Optional<ExportDescriptor> export(String name) {
        return exports().stream().filter(e -> e.name().equals(name)).findFirst();
    }

    /**
     * Creates an instance: links the imports, applies the limits, runs the start function.
     *
     * @param imports what the host provides
     * @param limits  memory, time and fuel bounds for this instance
     * @return the instance, owned by the caller and used by one thread at a time
     * @throws WasmLinkException when an import is missing or of the wrong type; names the import
     * @throws WasmTrapException when the start function traps
     */
    WasmInstance instantiate(Imports imports, InstanceLimits limits);

    /**
     * Creates an instance that may also import {@link WasiConfig#MODULE} functions, served by the
     * engine's own sandboxed WASI preview 1 as {@code wasi} describes. Engines that offer WASI
     * ({@link EngineFeatures#wasi()}) override this; the default accepts only {@code wasi == null}.
     *
     * @param imports what the host provides
     * @param limits  memory, time and fuel bounds for this instance
     * @param wasi    the WASI sandbox, or null for none (WASI imports then fail to link)
     * @return the instance
     * @throws WasmLinkException when an import is missing, or WASI is asked of an engine without it
     * @throws WasmTrapException when the start function traps
     */
    default WasmInstance instantiate(Imports imports, InstanceLimits limits, WasiConfig wasi) {
        if (wasi != null) {
            throw new WasmLinkException("this engine does not offer WASI");
        }
        return instantiate(imports, limits);
    }
}
