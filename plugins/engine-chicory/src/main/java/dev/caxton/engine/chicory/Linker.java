package dev.caxton.engine.chicory;

import com.dylibso.chicory.runtime.ByteBufferMemory;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportGlobal;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportTable;
import com.dylibso.chicory.runtime.ImportTag;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExportSection;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.GlobalImport;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.ImportSection;
import com.dylibso.chicory.wasm.types.MemoryImport;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableImport;
import com.dylibso.chicory.wasm.types.TableLimits;
import com.dylibso.chicory.wasm.types.ValType;
import com.dylibso.chicory.wasm.types.Value;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.HostGlobal;
import dev.caxton.spi.engine.HostMemory;
import dev.caxton.spi.engine.HostTable;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmLinkException;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resolves a module's imports against what the host offers, before Chicory sees them, so that a
 * missing or mismatched import fails with a message naming it and both types (Chicory's own
 * messages name neither). Host items are matched first; an instance registered under the import's
 * module name is consulted next.
 */
final class Linker {

    private final com.dylibso.chicory.wasm.WasmModule module;
    private final Imports offered;
    private final InstanceLimits limits;
    // Chicory's WASI functions by name, when the instance has a WASI sandbox.
    private final Map<String, com.dylibso.chicory.runtime.HostFunction> wasi;
    // One Chicory object per offered memory or table, even if the module imports it twice.
    private final Map<HostMemory, Memory> memories = new IdentityHashMap<>();
    private final Map<HostTable, TableInstance> tables = new IdentityHashMap<>();

    private Linker(com.dylibso.chicory.wasm.WasmModule module, Imports offered, InstanceLimits limits,
                   Map<String, com.dylibso.chicory.runtime.HostFunction> wasi) {
        this.module = module;
        this.offered = offered;
        this.limits = limits;
        this.wasi = wasi;
    }

    /**
     * Resolves every import of a module.
     *
     * @param module  the module
     * @param offered what the host offers
     * @param limits  the new instance's limits (host memories are capped by them too)
     * @return the import values, one per import in declaration order
     * @throws WasmLinkException when an import cannot be satisfied
     */
    static ImportValues link(com.dylibso.chicory.wasm.WasmModule module, Imports offered, InstanceLimits limits) {
        return new Linker(module, offered, limits, Map.of()).link();
    }

    /**
     * Resolves every import of a module, serving {@code wasi_snapshot_preview1} imports from
     * Chicory's WASI functions.
     *
     * @param module  the module
     * @param offered what the host offers
     * @param limits  the new instance's limits
     * @param wasi    Chicory's WASI host functions for this instance
     * @return the import values
     * @throws WasmLinkException when an import cannot be satisfied
     */
    static ImportValues link(com.dylibso.chicory.wasm.WasmModule module, Imports offered, InstanceLimits limits,
                             com.dylibso.chicory.runtime.HostFunction[] wasi) {
        Map<String, com.dylibso.chicory.runtime.HostFunction> byName = new java.util.HashMap<>();
        for (com.dylibso.chicory.runtime.HostFunction f : wasi) {
            byName.put(f.module() + "." + f.name(), f);
        }
        return new Linker(module, offered, limits, byName).link();
    }

    private ImportValues link() {
        ImportValues.Builder b = ImportValues.builder();
        ImportSection section = module.importSection();
        for (int i = 0; i < section.importCount(); i++) {
            Import imp = section.getImport(i);
            switch (imp.importType()) {
                case FUNCTION -> b.addFunction(function((FunctionImport) imp));
                case GLOBAL -> b.addGlobal(global((GlobalImport) imp));
                case MEMORY -> b.addMemory(memory((MemoryImport) imp));
                case TABLE -> b.addTable(table((TableImport) imp));
                case TAG -> b.addTag(tag(imp));
            }
        }
        return b.build();
    }

    // ---- functions

    private ImportFunction function(FunctionImport imp) {
        var expected = module.typeSection().getType(imp.typeIndex());
        String expectedText = "function " + Types.describe(expected);
        HostFunction mismatched = null;
        for (HostFunction h : offered.functions()) {
            if (h.module().equals(imp.module()) && h.name().equals(imp.name())) {
                var actual = Types.toChicory(h.type());
                if (actual.equals(expected)) {
                    return hostFunction(h, actual);
                }
                if (mismatched == null) {
                    mismatched = h;
                }
            }
        }
        if (mismatched != null) {
            throw wrongType(imp, expectedText, "the host offers function " + mismatched.type());
        }
        com.dylibso.chicory.runtime.HostFunction w = wasi.get(imp.module() + "." + imp.name());
        if (w != null) {
            if (!w.functionType().equals(expected)) {
                throw wrongType(imp, expectedText, "WASI preview 1 defines function " + Types.describe(w.functionType()));
            }
            return wasiFunction(w);
        }
        Source src = source(imp, ExternalType.FUNCTION, expectedText);
        var actual = src.instance.type(src.instance.functionType(src.export.index()));
        if (!actual.equals(expected) && !hasConcreteReferences(expected, actual)) {
            throw wrongType(imp, expectedText, src.describe() + " exports function " + Types.describe(actual));
        }
        // With concrete reference types Chicory's canonical type matching decides.
        return ImportFunction.exportAsImport(imp.module(), imp.name(), src.instance, imp.name());
    }

    // Returned for every host function without results, and passed for a call without arguments:
    // an empty array holds nothing anyone could change.
    private static final long[] NO_VALUES = new long[0];

    private static ImportFunction hostFunction(HostFunction h, com.dylibso.chicory.wasm.types.FunctionType type) {
        String qualified = h.module() + "." + h.name();
        ValType[] params = type.params().toArray(ValType[]::new);
        ValType[] results = type.returns().toArray(ValType[]::new);
        HostFunction.Body body = h.body();
        CallerMemory callerMemory = new CallerMemory();
        // Most host functions take and return only 64-bit values, which need no normalising: their
        // arrays are passed through instead of copied on every call (an Extism plugin makes dozens
        // of kernel calls per message).
        boolean paramsAsIs = Types.normalized(params);
        boolean resultsAsIs = Types.normalized(results);
        WasmFunctionHandle handle = (caller, args) -> {
            long[] given = args == null ? NO_VALUES : args;
            long[] in = paramsAsIs && given.length == params.length ? given : Types.normalize(params, given);
            long[] out;
            try {
                out = body.call(callerMemory.of(caller), in);
            } catch (RuntimeException e) {
                throw new Failures.HostFunctionFailure(qualified, e);
            }
            int count = out == null ? 0 : out.length;
            if (count != results.length) {
                throw new Failures.HostFunctionFailure(qualified, new IllegalStateException("it returned " + count
                        + " result(s), but its signature " + h.type() + " declares " + results.length));
            }
            return results.length == 0 ? NO_VALUES : resultsAsIs ? out : Types.normalize(results, out);
        };
        return new com.dylibso.chicory.runtime.HostFunction(h.module(), h.name(), type, handle);
    }

    /**
     * A WASI function whose {@code proc_exit} becomes {@link Failures.GuestExit}, and whose other
     * failures are reported as a host function's, naming it.
     */
    private static ImportFunction wasiFunction(com.dylibso.chicory.runtime.HostFunction f) {
        String qualified = f.module() + "." + f.name();
        WasmFunctionHandle inner = f.handle();
        WasmFunctionHandle handle = (caller, args) -> {
            try {
                return inner.apply(caller, args);
            } catch (com.dylibso.chicory.wasi.WasiExitException e) {
                throw new Failures.GuestExit(e.exitCode());
            } catch (com.dylibso.chicory.runtime.TrapException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new Failures.HostFunctionFailure(qualified, e);
            }
        };
        return new com.dylibso.chicory.runtime.HostFunction(f.module(), f.name(), f.functionType(), handle);
    }

    /**
     * Finds the exported memory named {@code "memory"} of the instance calling a host function,
     * remembering the last answer: a host function is almost always called by one instance.
     */
    private static final class CallerMemory {
        private record Entry(Instance instance, GuestMemory memory) {
        }

        private volatile Entry last;

        GuestMemory of(Instance caller) {
            Entry e = last;
            if (e == null || e.instance != caller) {
                e = new Entry(caller, exportedMemory(caller));
                last = e;
            }
            return e.memory;
        }

        private static GuestMemory exportedMemory(Instance caller) {
            ExportSection exports = caller.module().exportSection();
            for (int i = 0; i < exports.exportCount(); i++) {
                Export e = exports.getExport(i);
                if (e.exportType() == ExternalType.MEMORY && e.name().equals("memory")) {
                    return new ChicoryMemory(caller.memory(e.index()), null);
                }
            }
            return ChicoryMemory.NONE;
        }
    }

    // ---- globals

    private ImportGlobal global(GlobalImport imp) {
        String expectedText = Types.describeGlobal(imp.type(), imp.mutabilityType());
        HostGlobal mismatched = null;
        for (HostGlobal g : offered.globals()) {
            if (g.module().equals(imp.module()) && g.name().equals(imp.name())) {
                ValType type = Types.toChicory(g.type());
                MutabilityType mutability = g.mutable() ? MutabilityType.Var : MutabilityType.Const;
                if (globalMatches(imp, type, mutability)) {
                    var instance = new GlobalInstance(Types.normalize(type, g.value()), 0, type, mutability);
                    return new ImportGlobal(imp.module(), imp.name(), instance);
                }
                if (mismatched == null) {
                    mismatched = g;
                }
            }
        }
        if (mismatched != null) {
            throw wrongType(imp, expectedText, "the host offers " + Types.describeGlobal(
                    Types.toChicory(mismatched.type()), mismatched.mutable() ? MutabilityType.Var : MutabilityType.Const));
        }
        Source src = source(imp, ExternalType.GLOBAL, expectedText);
        GlobalInstance g = src.instance.global(src.export.index());
        if (!globalMatches(imp, g.getType(), g.getMutabilityType()) && !hasConcreteReference(imp.type(), g.getType())) {
            throw wrongType(imp, expectedText, src.describe() + " exports "
                    + Types.describeGlobal(g.getType(), g.getMutabilityType()));
        }
        return new ImportGlobal(imp.module(), imp.name(), g);
    }

    private static boolean globalMatches(GlobalImport imp, ValType type, MutabilityType mutability) {
        if (imp.mutabilityType() != mutability) {
            return false;
        }
        // A constant import accepts a subtype; a mutable one needs the exact type.
        return mutability == MutabilityType.Var ? imp.type().equals(type) : ValType.matches(type, imp.type());
    }

    // ---- memories

    private ImportMemory memory(MemoryImport imp) {
        String expectedText = describeMemory(imp.limits());
        for (HostMemory hm : offered.memories()) {
            if (hm.module().equals(imp.module()) && hm.name().equals(imp.name())) {
                Memory m = memories.computeIfAbsent(hm, this::createMemory);
                checkMemory(imp, m, "the host offers");
                return new ImportMemory(imp.module(), imp.name(), m);
            }
        }
        Source src = source(imp, ExternalType.MEMORY, expectedText);
        Memory m = src.instance.memory(src.export.index());
        checkMemory(imp, m, src.describe() + " exports");
        return new ImportMemory(imp.module(), imp.name(), m);
    }

    private Memory createMemory(HostMemory hm) {
        String name = hm.module() + "." + hm.name();
        if (hm.minPages() < 0 || hm.minPages() > MemoryLimits.MAX_PAGES
                || (hm.maxPages() != -1 && (hm.maxPages() < hm.minPages() || hm.maxPages() > MemoryLimits.MAX_PAGES))) {
            throw new WasmLinkException("host memory " + name + " has invalid limits: " + hm.minPages()
                    + " to " + hm.maxPages() + " pages (pages run from 0 to " + MemoryLimits.MAX_PAGES
                    + ", and -1 means no maximum)");
        }
        int cap = limits.maxPages();
        if (hm.minPages() > cap) {
            throw new WasmLinkException("host memory " + name + " starts at " + hm.minPages() + " pages ("
                    + (long) hm.minPages() * Memory.PAGE_SIZE + " bytes), more than the instance's memory limit of "
                    + limits.maxMemoryBytes() + " bytes");
        }
        int max = Math.min(hm.maxPages() == -1 ? MemoryLimits.MAX_PAGES : hm.maxPages(), cap);
        return new ByteBufferMemory(new MemoryLimits(hm.minPages(), max));
    }

    private static void checkMemory(MemoryImport imp, Memory m, String offeredBy) {
        MemoryLimits wanted = imp.limits();
        // As Chicory does: "no maximum" means the most Chicory can hold, and a memory is judged by
        // its current size, since it may have grown since it was created.
        int wantedMax = wanted.maximumPages() == MemoryLimits.MAX_PAGES ? Memory.RUNTIME_MAX_PAGES : wanted.maximumPages();
        if (m.pages() < wanted.initialPages() || m.maximumPages() > wantedMax || m.shared() != wanted.shared()) {
            throw wrongType(imp, describeMemory(wanted), offeredBy + " a " + (m.shared() ? "shared " : "")
                    + "memory of " + m.pages() + " pages that may grow to " + m.maximumPages());
        }
    }

    private static String describeMemory(MemoryLimits l) {
        return (l.shared() ? "shared " : "") + "memory of at least " + l.initialPages() + " pages"
                + (l.maximumPages() == MemoryLimits.MAX_PAGES ? "" : " and at most " + l.maximumPages());
    }

    // ---- tables

    private ImportTable table(TableImport imp) {
        String expectedText = describeTable(imp.entryType(), imp.limits());
        for (HostTable ht : offered.tables()) {
            if (ht.module().equals(imp.module()) && ht.name().equals(imp.name())) {
                TableInstance t = tables.computeIfAbsent(ht, Linker::createTable);
                checkTable(imp, t, "the host offers");
                return new ImportTable(imp.module(), imp.name(), t);
            }
        }
        Source src = source(imp, ExternalType.TABLE, expectedText);
        TableInstance t = src.instance.table(src.export.index());
        checkTable(imp, t, src.describe() + " exports");
        return new ImportTable(imp.module(), imp.name(), t);
    }

    private static TableInstance createTable(HostTable ht) {
        if (ht.min() < 0 || (ht.max() != -1 && ht.max() < ht.min())) {
            throw new WasmLinkException("host table " + ht.module() + "." + ht.name() + " has invalid limits: "
                    + ht.min() + " to " + ht.max() + " elements (-1 means no maximum)");
        }
        var limits = new TableLimits(ht.min(), ht.max() == -1 ? TableLimits.LIMIT_MAX : ht.max());
        return new TableInstance(new Table(ValType.FuncRef, limits), Value.REF_NULL_VALUE);
    }

    private static void checkTable(TableImport imp, TableInstance t, String offeredBy) {
        boolean typeOk = imp.entryType().equals(t.elementType()) || hasConcreteReference(imp.entryType(), t.elementType());
        if (!typeOk || t.size() < imp.limits().min() || t.limits().max() > imp.limits().max()) {
            throw wrongType(imp, describeTable(imp.entryType(), imp.limits()), offeredBy + " a table of "
                    + Types.describe(t.elementType()) + " with " + t.size() + " elements that may grow to "
                    + t.limits().max());
        }
    }

    private static String describeTable(ValType element, TableLimits l) {
        return "table of " + Types.describe(element) + " with at least " + l.min() + " elements"
                + (l.max() == TableLimits.LIMIT_MAX ? "" : " and at most " + l.max());
    }

    // ---- tags

    private ImportTag tag(Import imp) {
        // Only instances define tags; Chicory checks the tag's type when it builds the instance.
        Source src = source(imp, ExternalType.TAG, "tag");
        return new ImportTag(imp.module(), imp.name(), src.instance.tag(src.export.index()));
    }

    // ---- instances and errors

    /** An export of a registered instance that satisfies an import. */
    private record Source(String moduleName, Instance instance, Export export) {
        String describe() {
            return "the instance registered as '" + moduleName + "'";
        }
    }

    private Source source(Import imp, ExternalType kind, String expectedText) {
        WasmInstance registered = offered.instances().get(imp.module());
        if (registered == null) {
            String other = otherHostKind(imp);
            if (other != null) {
                throw new WasmLinkException("import " + qualified(imp) + " has the wrong kind: the module expects "
                        + expectedText + ", but the host offers " + other);
            }
            throw new WasmLinkException("missing import " + qualified(imp) + ": the module expects " + expectedText
                    + ", and neither a host " + kindWord(kind) + " nor an instance registered as '" + imp.module()
                    + "' provides it");
        }
        if (!(registered instanceof ChicoryInstance ci)) {
            throw new WasmLinkException("import " + qualified(imp) + ": the instance registered as '" + imp.module()
                    + "' was not created by the Chicory engine (" + registered.getClass().getName() + ")");
        }
        Instance instance = ci.chicory();
        Export export = ci.shape().byName().get(imp.name());
        if (export == null) {
            throw new WasmLinkException("missing import " + qualified(imp) + ": the module expects " + expectedText
                    + ", but the instance registered as '" + imp.module() + "' exports nothing named '"
                    + imp.name() + "'");
        }
        if (export.exportType() != kind) {
            throw new WasmLinkException("import " + qualified(imp) + " has the wrong kind: the module expects "
                    + expectedText + ", but the instance registered as '" + imp.module() + "' exports a "
                    + kindWord(export.exportType()) + " by that name");
        }
        return new Source(imp.module(), instance, export);
    }

    /** Whether the host offers something of another kind under the import's name, for a better message. */
    private String otherHostKind(Import imp) {
        if (imp.importType() != ExternalType.FUNCTION && matches(offered.functions().stream()
                .map(f -> f.module() + "." + f.name()).toList(), imp)) {
            return "a function by that name";
        }
        if (imp.importType() != ExternalType.GLOBAL && matches(offered.globals().stream()
                .map(g -> g.module() + "." + g.name()).toList(), imp)) {
            return "a global by that name";
        }
        if (imp.importType() != ExternalType.MEMORY && matches(offered.memories().stream()
                .map(m -> m.module() + "." + m.name()).toList(), imp)) {
            return "a memory by that name";
        }
        if (imp.importType() != ExternalType.TABLE && matches(offered.tables().stream()
                .map(t -> t.module() + "." + t.name()).toList(), imp)) {
            return "a table by that name";
        }
        return null;
    }

    private static boolean matches(List<String> names, Import imp) {
        return names.contains(qualified(imp));
    }

    private static WasmLinkException wrongType(Import imp, String expected, String actual) {
        return new WasmLinkException("import " + qualified(imp) + " has the wrong type: the module expects "
                + expected + ", but " + actual);
    }

    private static String qualified(Import imp) {
        return imp.module() + "." + imp.name();
    }

    private static String kindWord(ExternalType t) {
        return switch (t) {
            case FUNCTION -> "function";
            case TABLE -> "table";
            case MEMORY -> "memory";
            case GLOBAL -> "global";
            case TAG -> "tag";
        };
    }

    /** References to concrete types compare across modules only canonically, which Chicory does itself. */
    private static boolean hasConcreteReferences(com.dylibso.chicory.wasm.types.FunctionType a,
                                                 com.dylibso.chicory.wasm.types.FunctionType b) {
        return a.params().stream().anyMatch(Linker::isConcreteReference)
                || a.returns().stream().anyMatch(Linker::isConcreteReference)
                || b.params().stream().anyMatch(Linker::isConcreteReference)
                || b.returns().stream().anyMatch(Linker::isConcreteReference);
    }

    private static boolean hasConcreteReference(ValType a, ValType b) {
        return isConcreteReference(a) || isConcreteReference(b);
    }

    private static boolean isConcreteReference(ValType t) {
        return (t.opcode() == ValType.ID.Ref || t.opcode() == ValType.ID.RefNull) && t.typeIdx() >= 0;
    }
}
