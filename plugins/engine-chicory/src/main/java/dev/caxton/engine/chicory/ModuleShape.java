package dev.caxton.engine.chicory;

import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExportSection;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.ImportSection;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.TypeSection;
import com.dylibso.chicory.wasm.types.ValType;
import dev.caxton.spi.engine.ExportDescriptor;
import dev.caxton.spi.engine.ExternKind;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.ImportDescriptor;
import dev.caxton.spi.engine.WasmCompileException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a module imports and exports, worked out once at compile time so that instantiating and
 * calling need no more than map lookups.
 *
 * @param imports   the imports, in declaration order
 * @param exports   the exports, in declaration order
 * @param functions the exported functions by name
 * @param byName    every export by name, with its kind and index
 */
record ModuleShape(List<ImportDescriptor> imports, List<ExportDescriptor> exports,
                   Map<String, ExportedFunction> functions, Map<String, Export> byName) {

    /**
     * An exported function with what a call needs.
     *
     * @param type    the SPI signature
     * @param params  Chicory's parameter types
     * @param results Chicory's result types
     */
    record ExportedFunction(FunctionType type, ValType[] params, ValType[] results) {
    }

    /**
     * Describes a decoded module.
     *
     * @param module the module
     * @return its shape
     * @throws WasmCompileException when an imported or exported function uses a value type the SPI
     *         cannot name (the garbage-collection proposal's reference types), or the module uses
     *         128-bit SIMD, which this engine does not run
     */
    static ModuleShape of(com.dylibso.chicory.wasm.WasmModule module) {
        refuseSimd(module);
        TypeSection types = module.typeSection();
        List<com.dylibso.chicory.wasm.types.FunctionType> functionTypes = new ArrayList<>();

        ImportSection importSection = module.importSection();
        List<ImportDescriptor> imports = new ArrayList<>(importSection.importCount());
        for (int i = 0; i < importSection.importCount(); i++) {
            Import imp = importSection.getImport(i);
            FunctionType spi = null;
            if (imp.importType() == ExternalType.FUNCTION) {
                int typeIndex = ((FunctionImport) imp).typeIndex();
                var f = types.getType(typeIndex);
                if (f == null) {
                    throw new WasmCompileException("invalid module: import " + imp.module() + "." + imp.name()
                            + " refers to type " + typeIndex + ", which is not a function type");
                }
                functionTypes.add(f);
                spi = representable(f, types, "import " + imp.module() + "." + imp.name());
            }
            imports.add(new ImportDescriptor(imp.module(), imp.name(), kind(imp.importType()), spi));
        }
        for (int i = 0; i < module.functionSection().functionCount(); i++) {
            functionTypes.add(module.functionSection().getFunctionType(i, types));
        }

        ExportSection exportSection = module.exportSection();
        List<ExportDescriptor> exports = new ArrayList<>(exportSection.exportCount());
        Map<String, ExportedFunction> functions = new HashMap<>();
        Map<String, Export> byName = new HashMap<>();
        for (int i = 0; i < exportSection.exportCount(); i++) {
            Export e = exportSection.getExport(i);
            // Chicory's validator leaves export indices to instantiation; check them here, where a
            // broken module belongs.
            int available = count(module, e.exportType(), functionTypes.size());
            if (e.index() < 0 || e.index() >= available) {
                throw new WasmCompileException("invalid module: export '" + e.name() + "' refers to "
                        + e.exportType().name().toLowerCase(Locale.ROOT) + " " + Integer.toUnsignedString(e.index())
                        + ", but the module has " + available);
            }
            if (byName.containsKey(e.name())) {
                throw new WasmCompileException("invalid module: duplicate export name '" + e.name() + "'");
            }
            FunctionType spi = null;
            if (e.exportType() == ExternalType.FUNCTION) {
                var f = functionTypes.get(e.index());
                spi = representable(f, types, "export '" + e.name() + "'");
                functions.put(e.name(), new ExportedFunction(spi, f.params().toArray(ValType[]::new),
                        f.returns().toArray(ValType[]::new)));
            }
            byName.put(e.name(), e);
            exports.add(new ExportDescriptor(e.name(), kind(e.exportType()), spi));
        }
        return new ModuleShape(List.copyOf(imports), List.copyOf(exports), Map.copyOf(functions), Map.copyOf(byName));
    }

    /** How many items of a kind the module has, imported ones included. */
    private static int count(com.dylibso.chicory.wasm.WasmModule module, ExternalType kind, int functions) {
        int imported = module.importSection().count(kind);
        return switch (kind) {
            case FUNCTION -> functions;
            case TABLE -> imported + module.tableSection().tableCount();
            case MEMORY -> imported + module.memorySection().map(m -> m.memoryCount()).orElse(0);
            case GLOBAL -> imported + module.globalSection().globalCount();
            case TAG -> imported + module.tagSection().map(t -> t.tagCount()).orElse(0);
        };
    }

    /**
     * Refuses SIMD up front. Chicory runs it only with an extra interpreter built on the incubating
     * Vector API, which Caxton does not ship; without it the interpreter fails at the first SIMD
     * instruction and the compiler cannot translate v128 values at all. Better one clear message
     * at deployment than a trap in the middle of a conversation.
     */
    private static void refuseSimd(com.dylibso.chicory.wasm.WasmModule module) {
        String reason = null;
        TypeSection types = module.typeSection();
        for (int i = 0; i < types.subTypeCount() && reason == null; i++) {
            var f = types.getType(i);
            if (f != null && (f.params().stream().anyMatch(ModuleShape::isV128) || f.returns().stream().anyMatch(ModuleShape::isV128))) {
                reason = "type " + i + " " + Types.describe(f) + " has v128 values";
            }
        }
        for (int i = 0; i < module.globalSection().globalCount() && reason == null; i++) {
            if (isV128(module.globalSection().getGlobal(i).valueType())) {
                reason = "global " + i + " holds a v128";
            }
        }
        FunctionBody[] bodies = module.codeSection().functionBodies();
        int imported = module.importSection().count(ExternalType.FUNCTION);
        for (int i = 0; i < bodies.length && reason == null; i++) {
            if (bodies[i].localTypes().stream().anyMatch(ModuleShape::isV128)) {
                reason = "function " + (imported + i) + " has a v128 local";
                break;
            }
            for (Instruction ins : bodies[i].instructions()) {
                int op = ins.opcode().opcode();
                if (op >= SIMD_PREFIX && op < SIMD_PREFIX + 0x100) {
                    reason = "function " + (imported + i) + " uses the SIMD instruction " + ins.opcode();
                    break;
                }
            }
        }
        if (reason != null) {
            throw new WasmCompileException("unsupported module: " + reason
                    + "; the Chicory engine does not run 128-bit SIMD");
        }
    }

    /** Chicory numbers the SIMD opcodes after their 0xFD prefix byte. */
    private static final int SIMD_PREFIX = 0xFD00;

    private static boolean isV128(ValType t) {
        return t.opcode() == ValType.ID.V128;
    }

    private static FunctionType representable(com.dylibso.chicory.wasm.types.FunctionType f, TypeSection types, String what) {
        FunctionType spi = Types.toSpi(f, types);
        if (spi == null) {
            throw new WasmCompileException("unsupported module: " + what + " has the signature " + Types.describe(f)
                    + ", which uses a reference type the Caxton engine SPI cannot represent"
                    + " (only funcref and externref cross it)");
        }
        return spi;
    }

    static ExternKind kind(ExternalType t) {
        return switch (t) {
            case FUNCTION -> ExternKind.FUNCTION;
            case TABLE -> ExternKind.TABLE;
            case MEMORY -> ExternKind.MEMORY;
            case GLOBAL -> ExternKind.GLOBAL;
            case TAG -> ExternKind.TAG;
        };
    }
}
