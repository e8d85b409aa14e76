package dev.caxton.spi.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the host offers a module at instantiation: host functions, globals, memories, tables,
 * and the exports of other instances registered under a module name (how the WebAssembly spec tests
 * link modules together). Agents only ever get host functions; every engine links those, while the
 * rest is linked only by a {@link LinkingEngine} (since SPI 1.2) and refused by other engines with a
 * {@link WasmLinkException}.
 *
 * @param functions host functions
 * @param globals   host globals
 * @param memories  host memories
 * @param tables    host tables
 * @param instances other instances whose exports are importable under the given module name
 */
public record Imports(List<HostFunction> functions, List<HostGlobal> globals, List<HostMemory> memories,
                      List<HostTable> tables, Map<String, WasmInstance> instances) {

    /** Nothing at all. */
    public static final Imports NONE = new Imports(List.of(), List.of(), List.of(), List.of(), Map.of());

    /** Copies the parts. */
    public Imports {
        functions = List.copyOf(functions);
        globals = List.copyOf(globals);
        memories = List.copyOf(memories);
        tables = List.copyOf(tables);
        instances = Map.copyOf(instances);
    }

    /**
     * Whether these imports are host functions and nothing else: all an engine that is not a
     * {@link LinkingEngine} has to link.
     *
     * @return true when there are no globals, memories, tables or instances
     */
    public boolean hostFunctionsOnly() {
        return globals.isEmpty() && memories.isEmpty() && tables.isEmpty() && instances.isEmpty();
    }

    /**
     * Imports made of host functions only.
     *
     * @param functions the functions
     * @return the imports
     */
    public static Imports of(List<HostFunction> functions) {
        return new Imports(functions, List.of(), List.of(), List.of(), Map.of());
    }

    /**
     * A builder.
     *
     * @return an empty builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Collects imports. */
    public static final class Builder {
        private final List<HostFunction> functions = new ArrayList<>();
        private final List<HostGlobal> globals = new ArrayList<>();
        private final List<HostMemory> memories = new ArrayList<>();
        private final List<HostTable> tables = new ArrayList<>();
        private final Map<String, WasmInstance> instances = new LinkedHashMap<>();

        private Builder() {
        }

        /** @param f a host function @return this builder */
        public Builder function(HostFunction f) { functions.add(f); return this; }
        /** @param g a host global @return this builder */
        public Builder global(HostGlobal g) { globals.add(g); return this; }
        /** @param m a host memory @return this builder */
        public Builder memory(HostMemory m) { memories.add(m); return this; }
        /** @param t a host table @return this builder */
        public Builder table(HostTable t) { tables.add(t); return this; }

        /**
         * Makes another instance's exports importable under a module name.
         *
         * @param moduleName the name importers use
         * @param instance   the instance (of the same engine)
         * @return this builder
         */
        public Builder instance(String moduleName, WasmInstance instance) { instances.put(moduleName, instance); return this; }

        /** @return the imports */
        public Imports build() {
            return new Imports(functions, globals, memories, tables, instances);
        }
    }
}
