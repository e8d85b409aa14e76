package dev.caxton.testkit.spec;

import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.HostGlobal;
import dev.caxton.spi.engine.HostMemory;
import dev.caxton.spi.engine.HostTable;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.ValueType;
import dev.caxton.spi.engine.WasmInstance;

import java.util.List;
import java.util.Map;

/**
 * The {@code spectest} module the scripts import from, built from the SPI's host imports: the
 * {@code print*} functions (which print nothing: only their signatures matter), four constant
 * globals holding 666 or 666.6, a table of 10 function references that may grow to 20 and a memory
 * of one page that may grow to two.
 */
final class Spectest {

    /** The import module name. */
    static final String MODULE = "spectest";

    private static final HostFunction.Body SILENT = (memory, args) -> new long[0];

    private static final List<HostFunction> FUNCTIONS = List.of(
            print("print"),
            print("print_i32", ValueType.I32),
            print("print_i64", ValueType.I64),
            print("print_f32", ValueType.F32),
            print("print_f64", ValueType.F64),
            print("print_i32_f32", ValueType.I32, ValueType.F32),
            print("print_f64_f64", ValueType.F64, ValueType.F64));

    private static final List<HostGlobal> GLOBALS = List.of(
            new HostGlobal(MODULE, "global_i32", ValueType.I32, 666, false),
            new HostGlobal(MODULE, "global_i64", ValueType.I64, 666, false),
            new HostGlobal(MODULE, "global_f32", ValueType.F32, Float.floatToRawIntBits(666.6f), false),
            new HostGlobal(MODULE, "global_f64", ValueType.F64, Double.doubleToRawLongBits(666.6), false));

    private static final HostTable TABLE = new HostTable(MODULE, "table", 10, 20);
    private static final HostMemory MEMORY = new HostMemory(MODULE, "memory", 1, 2);

    private Spectest() {
    }

    /**
     * What a module of a script may import: {@code spectest}, and the instances registered so far.
     *
     * @param registered the instances registered by the script, by registration name
     * @return the imports
     */
    static Imports imports(Map<String, WasmInstance> registered) {
        Imports.Builder b = Imports.builder();
        FUNCTIONS.forEach(b::function);
        GLOBALS.forEach(b::global);
        b.table(TABLE);
        b.memory(MEMORY);
        registered.forEach(b::instance);
        return b.build();
    }

    private static HostFunction print(String name, ValueType... params) {
        return new HostFunction(MODULE, name, FunctionType.of(List.of(params), List.of()), SILENT);
    }
}
