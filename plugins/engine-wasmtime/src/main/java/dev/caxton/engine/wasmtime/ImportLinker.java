package dev.caxton.engine.wasmtime;

import dev.caxton.engine.wasmtime.ModuleRewriter.Literal;
import dev.caxton.engine.wasmtime.ModuleShape.Import;
import dev.caxton.engine.wasmtime.ModuleShape.Limits;
import dev.caxton.engine.wasmtime.ModuleShape.TableType;
import dev.caxton.spi.engine.ExternKind;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.HostGlobal;
import dev.caxton.spi.engine.HostMemory;
import dev.caxton.spi.engine.HostTable;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.ValueType;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmLinkException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Resolves a module's imports against what the host offers, in plain Java before anything native
 * is created, so that a missing or mismatched import fails with a message naming it and both
 * types. Host items are matched first; an instance registered under the import's module name is
 * consulted next.
 *
 * <p>The result is a {@link Plan}: what each function and memory import of the compiled module is
 * bound to (in the order the compiled module imports them), the values replacing imported globals
 * and the tables replacing imported tables (see {@link ModuleRewriter}), and the store an instance
 * must join when it links against another instance's functions or memory.
 */
final class ImportLinker {

    /** What one function or memory import of the compiled module is bound to. */
    sealed interface Binding {
    }

    /** A host function. @param function the function @param qualified its name for messages */
    record HostFunc(HostFunction function, String qualified) implements Binding {
    }

    /** A function another instance exports. @param source the instance @param export the export name */
    record SourceFunc(WasmtimeInstance source, String export) implements Binding {
    }

    /**
     * A memory the engine creates: the module's own, or a host memory.
     *
     * @param key   the host memory (so one imported twice is created once), or null for the module's own
     * @param pages its initial size
     * @param max   its maximum (already capped by the instance's limit)
     */
    record NewMemory(HostMemory key, long pages, long max) implements Binding {
    }

    /** A memory another instance exports. @param source the instance @param export the export name */
    record SourceMemory(WasmtimeInstance source, String export) implements Binding {
    }

    /**
     * Everything instantiation needs.
     *
     * @param bindings  one per function or memory import of the compiled module, in its order
     * @param globals   the value of every imported global, in import order
     * @param tables    the type of every imported table, in import order
     * @param shared    the store of the instances this one links against, or null for a store of its own
     * @param memory    the limits of the instance's memory (memory 0), or null when it has none
     */
    record Plan(List<Binding> bindings, List<Literal> globals, List<TableType> tables, StoreContext shared,
                Limits memory) {
        boolean needsDefinitions() {
            return !globals.isEmpty() || !tables.isEmpty();
        }
    }

    private final WasmtimeEngine engine;
    private final ModuleRewriter.Base base;
    private final Imports offered;
    private final long pageLimit;
    private final long byteLimit;
    private StoreContext shared;
    private WasmtimeInstance sharedWith;

    private ImportLinker(WasmtimeEngine engine, ModuleRewriter.Base base, Imports offered, InstanceLimits limits) {
        this.engine = engine;
        this.base = base;
        this.offered = offered;
        this.pageLimit = Math.min(limits.maxPages(), GuestMemories.MAX_PAGES);
        this.byteLimit = limits.maxMemoryBytes();
    }

    /**
     * Plans the linking of a module.
     *
     * @param engine  the engine instantiating it
     * @param base    the module as compiled
     * @param offered what the host offers
     * @param limits  the new instance's limits
     * @return the plan
     * @throws WasmLinkException when an import cannot be satisfied
     */
    static Plan plan(WasmtimeEngine engine, ModuleRewriter.Base base, Imports offered, InstanceLimits limits) {
        return new ImportLinker(engine, base, offered, limits).plan();
    }

    private Plan plan() {
        List<Binding> bindings = new ArrayList<>();
        List<Literal> globals = new ArrayList<>();
        List<TableType> tables = new ArrayList<>();
        Limits memory = null;
        ModuleShape shape = base.shape();
        int own = base.ownMemory() == null ? -1 : shape.imports.size() - 1;
        for (int i = 0; i < shape.imports.size(); i++) {
            Import imp = shape.imports.get(i);
            if (i == own) {
                NewMemory m = ownMemory(base.ownMemory());
                bindings.add(m);
                memory = new Limits(m.pages(), m.max());
                continue;
            }
            switch (imp.kind()) {
                case FUNCTION -> bindings.add(function(imp, shape.types.get(imp.typeIndex()).toSpi()));
                case MEMORY -> {
                    Binding b = memory(imp);
                    bindings.add(b);
                    memory = b instanceof NewMemory m ? new Limits(m.pages(), m.max())
                            : ((SourceMemory) b).source().memoryLimits();
                }
                case GLOBAL -> globals.add(global(imp));
                case TABLE -> tables.add(table(imp));
                case TAG -> throw new WasmLinkException("import " + imp.qualified() + " is a tag, which this engine"
                        + " does not support");
            }
        }
        return new Plan(bindings, globals, tables, shared, memory);
    }

    // ---- functions

    private Binding function(Import imp, FunctionType expected) {
        String expectedText = "function " + expected;
        HostFunction mismatched = null;
        for (HostFunction h : offered.functions()) {
            if (h.module().equals(imp.module()) && h.name().equals(imp.name())) {
                if (h.type().equals(expected)) {
                    if (!Values.allNumbers(expected)) {
                        throw new WasmLinkException("import " + imp.qualified() + " cannot be a host function in this"
                                + " engine: its signature " + expected + " has values the wasmtime-java binding cannot"
                                + " pass (only i32, i64, f32 and f64)");
                    }
                    return new HostFunc(h, imp.qualified());
                }
                if (mismatched == null) {
                    mismatched = h;
                }
            }
        }
        if (mismatched != null) {
            throw wrongType(imp, expectedText, "the host offers function " + mismatched.type());
        }
        Source src = source(imp, ExternKind.FUNCTION, expectedText);
        FunctionType actual = src.instance.module().shape().exportedFunctions().get(imp.name());
        if (!actual.equals(expected)) {
            throw wrongType(imp, expectedText, src.describe() + " exports function " + actual);
        }
        join(src);
        return new SourceFunc(src.instance, imp.name());
    }

    // ---- memories

    private NewMemory ownMemory(Limits declared) {
        if (declared.min() > pageLimit) {
            throw new WasmLinkException(declared.min() > GuestMemories.MAX_PAGES && byteLimit > GuestMemories.MAX_PAGES
                    * InstanceLimits.PAGE_SIZE
                    ? "the module's memory starts at " + declared.min() + " pages, more than the "
                    + GuestMemories.MAX_PAGES + " pages (just under 2 GiB) this engine supports"
                    : "the module's memory starts at " + declared.min() + " pages (" + declared.min()
                    * InstanceLimits.PAGE_SIZE + " bytes), more than the instance's memory limit of " + byteLimit
                    + " bytes");
        }
        long max = Math.min(declared.hasMax() ? declared.max() : ModuleShape.MAX_MEMORY_PAGES, pageLimit);
        return new NewMemory(null, declared.min(), max);
    }

    private Binding memory(Import imp) {
        Limits wanted = imp.memory();
        String expectedText = describeMemory(wanted);
        for (HostMemory hm : offered.memories()) {
            if (hm.module().equals(imp.module()) && hm.name().equals(imp.name())) {
                NewMemory m = hostMemory(hm);
                if (m.pages() < wanted.min() || (wanted.hasMax() && m.max() > wanted.max())) {
                    throw wrongType(imp, expectedText, "the host offers a memory of " + m.pages()
                            + " pages that may grow to " + m.max());
                }
                return m;
            }
        }
        Source src = source(imp, ExternKind.MEMORY, expectedText);
        Limits actual = src.instance.memoryLimits();
        long pages = src.instance.memoryPages(imp.name());
        if (pages < wanted.min() || (wanted.hasMax() && actual.max() > wanted.max())) {
            throw wrongType(imp, expectedText, src.describe() + " exports a memory of " + pages
                    + " pages that may grow to " + actual.max());
        }
        join(src);
        return new SourceMemory(src.instance, imp.name());
    }

    private NewMemory hostMemory(HostMemory hm) {
        String name = hm.module() + "." + hm.name();
        long limit = ModuleShape.MAX_MEMORY_PAGES;
        if (hm.minPages() < 0 || hm.minPages() > limit
                || (hm.maxPages() != -1 && (hm.maxPages() < hm.minPages() || hm.maxPages() > limit))) {
            throw new WasmLinkException("host memory " + name + " has invalid limits: " + hm.minPages() + " to "
                    + hm.maxPages() + " pages (pages run from 0 to " + limit + ", and -1 means no maximum)");
        }
        if (hm.minPages() > pageLimit) {
            throw new WasmLinkException("host memory " + name + " starts at " + hm.minPages() + " pages ("
                    + (long) hm.minPages() * InstanceLimits.PAGE_SIZE + " bytes), more than the instance's memory"
                    + " limit of " + byteLimit + " bytes");
        }
        long max = Math.min(hm.maxPages() == -1 ? limit : hm.maxPages(), pageLimit);
        return new NewMemory(hm, hm.minPages(), max);
    }

    private static String describeMemory(Limits l) {
        return "memory of at least " + l.min() + " pages" + (l.hasMax() ? " and at most " + l.max() : "");
    }

    // ---- globals

    private Literal global(Import imp) {
        ModuleShape.GlobalType want = imp.global();
        String expectedText = describeGlobal(want.valType(), want.mutable());
        HostGlobal mismatched = null;
        for (HostGlobal g : offered.globals()) {
            if (g.module().equals(imp.module()) && g.name().equals(imp.name())) {
                if (ModuleShape.typeByte(g.type()) == want.valType() && g.mutable() == want.mutable()) {
                    if (!Values.isNumber(g.type())) {
                        throw new WasmLinkException("import " + imp.qualified() + ": this engine can offer only i32,"
                                + " i64, f32 and f64 host globals, not " + expectedText);
                    }
                    return new Literal(want.valType(), want.mutable(), Values.normalize(g.type(), g.value()));
                }
                if (mismatched == null) {
                    mismatched = g;
                }
            }
        }
        if (mismatched != null) {
            throw wrongType(imp, expectedText, "the host offers "
                    + describeGlobal(ModuleShape.typeByte(mismatched.type()), mismatched.mutable()));
        }
        Source src = source(imp, ExternKind.GLOBAL, expectedText);
        ModuleShape.GlobalType actual = src.instance.module().shape().globals.get(src.export.index());
        if (actual.valType() != want.valType() || actual.mutable() != want.mutable()) {
            throw wrongType(imp, expectedText, src.describe() + " exports "
                    + describeGlobal(actual.valType(), actual.mutable()));
        }
        if (actual.mutable()) {
            throw new WasmLinkException("import " + imp.qualified() + ": this engine cannot link a mutable global"
                    + " exported by another instance (the wasmtime-java binding cannot share a global between"
                    + " instances); only constant globals can be imported from " + src.describe());
        }
        ValueType type = ModuleShape.spiType(actual.valType());
        if (!Values.isNumber(type)) {
            throw new WasmLinkException("import " + imp.qualified() + ": this engine can import only i32, i64, f32"
                    + " and f64 globals from another instance, not " + expectedText);
        }
        return new Literal(want.valType(), false, src.instance.global(imp.name()));
    }

    private static String describeGlobal(int valType, boolean mutable) {
        return "global " + (mutable ? "mut " : "const ") + ModuleShape.typeName(valType);
    }

    // ---- tables

    private TableType table(Import imp) {
        TableType want = imp.table();
        String expectedText = describeTable(want);
        for (HostTable ht : offered.tables()) {
            if (ht.module().equals(imp.module()) && ht.name().equals(imp.name())) {
                String name = ht.module() + "." + ht.name();
                if (ht.min() < 0 || (ht.max() != -1 && ht.max() < ht.min())) {
                    throw new WasmLinkException("host table " + name + " has invalid limits: " + ht.min() + " to "
                            + ht.max() + " elements (-1 means no maximum)");
                }
                if (ht.min() > ModuleRewriter.TABLE_CAP) {
                    throw new WasmLinkException("host table " + name + " starts with " + ht.min() + " elements, more"
                            + " than the " + ModuleRewriter.TABLE_CAP + " this engine allows a table");
                }
                long max = ht.max() == -1 ? ModuleRewriter.TABLE_CAP : Math.min(ht.max(), ModuleRewriter.TABLE_CAP);
                if (want.refType() != ModuleShape.FUNCREF || ht.min() < want.limits().min()
                        || (want.limits().hasMax() && max > want.limits().max())) {
                    throw wrongType(imp, expectedText, "the host offers a table of funcref with " + ht.min()
                            + " elements that may grow to " + max);
                }
                return new TableType(ModuleShape.FUNCREF, new Limits(ht.min(), max));
            }
        }
        Source src = source(imp, ExternKind.TABLE, expectedText);
        throw new WasmLinkException("import " + imp.qualified() + ": this engine cannot link a table exported by"
                + " another instance (the wasmtime-java binding cannot share a table between instances), so "
                + src.describe() + " cannot provide it");
    }

    private static String describeTable(TableType t) {
        return "table of " + ModuleShape.typeName(t.refType()) + " with at least " + t.limits().min() + " elements"
                + (t.limits().hasMax() ? " and at most " + t.limits().max() : "");
    }

    // ---- instances and errors

    /** An export of a registered instance that satisfies an import. */
    private record Source(String moduleName, WasmtimeInstance instance, ModuleShape.Export export) {
        String describe() {
            return "the instance registered as '" + moduleName + "'";
        }
    }

    private Source source(Import imp, ExternKind kind, String expectedText) {
        WasmInstance registered = offered.instances().get(imp.module());
        if (registered == null) {
            String other = otherHostKind(imp);
            if (other != null) {
                throw new WasmLinkException("import " + imp.qualified() + " has the wrong kind: the module expects "
                        + expectedText + ", but the host offers " + other);
            }
            throw new WasmLinkException("missing import " + imp.qualified() + ": the module expects " + expectedText
                    + ", and neither a host " + kindWord(kind) + " nor an instance registered as '" + imp.module()
                    + "' provides it");
        }
        if (!(registered instanceof WasmtimeInstance wi) || !wi.belongsTo(engine)) {
            throw new WasmLinkException("import " + imp.qualified() + ": the instance registered as '" + imp.module()
                    + "' was not created by this wasmtime engine (" + registered.getClass().getName() + ")");
        }
        if (wi.isClosed()) {
            throw new WasmLinkException("import " + imp.qualified() + ": the instance registered as '" + imp.module()
                    + "' is closed");
        }
        ModuleShape.Export export = wi.module().shape().export(imp.name());
        if (export == null) {
            throw new WasmLinkException("missing import " + imp.qualified() + ": the module expects " + expectedText
                    + ", but the instance registered as '" + imp.module() + "' exports nothing named '"
                    + imp.name() + "'");
        }
        if (export.kind() != kind) {
            throw new WasmLinkException("import " + imp.qualified() + " has the wrong kind: the module expects "
                    + expectedText + ", but the instance registered as '" + imp.module() + "' exports a "
                    + kindWord(export.kind()) + " by that name");
        }
        return new Source(imp.module(), wi, export);
    }

    /** Functions and memories of another instance live in its store, so the new instance must join it. */
    private void join(Source src) {
        StoreContext ctx = src.instance.context();
        if (shared == null) {
            shared = ctx;
            sharedWith = src.instance;
        } else if (shared != ctx) {
            throw new WasmLinkException("this engine cannot link one instance against both " + src.describe()
                    + " and another instance that lives in a different store (" + describeOwner(sharedWith) + "):"
                    + " the wasmtime-java binding cannot call across stores");
        }
    }

    private String describeOwner(WasmtimeInstance instance) {
        for (Map.Entry<String, WasmInstance> e : offered.instances().entrySet()) {
            if (e.getValue() == instance) {
                return "the instance registered as '" + e.getKey() + "'";
            }
        }
        return "another instance";
    }

    /** Whether the host offers something of another kind under the import's name, for a better message. */
    private String otherHostKind(Import imp) {
        if (imp.kind() != ExternKind.FUNCTION && offered.functions().stream()
                .anyMatch(f -> f.module().equals(imp.module()) && f.name().equals(imp.name()))) {
            return "a function by that name";
        }
        if (imp.kind() != ExternKind.GLOBAL && offered.globals().stream()
                .anyMatch(g -> g.module().equals(imp.module()) && g.name().equals(imp.name()))) {
            return "a global by that name";
        }
        if (imp.kind() != ExternKind.MEMORY && offered.memories().stream()
                .anyMatch(m -> m.module().equals(imp.module()) && m.name().equals(imp.name()))) {
            return "a memory by that name";
        }
        if (imp.kind() != ExternKind.TABLE && offered.tables().stream()
                .anyMatch(t -> t.module().equals(imp.module()) && t.name().equals(imp.name()))) {
            return "a table by that name";
        }
        return null;
    }

    private static WasmLinkException wrongType(Import imp, String expected, String actual) {
        return new WasmLinkException("import " + imp.qualified() + " has the wrong type: the module expects "
                + expected + ", but " + actual);
    }

    private static String kindWord(ExternKind k) {
        return k.name().toLowerCase(Locale.ROOT);
    }
}
