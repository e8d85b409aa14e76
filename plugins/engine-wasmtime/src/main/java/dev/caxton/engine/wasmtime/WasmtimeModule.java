package dev.caxton.engine.wasmtime;

import dev.caxton.wasm.metering.WasmReader;
import dev.caxton.wasm.metering.FuelMetering;
import dev.caxton.engine.wasmtime.ImportLinker.Binding;
import dev.caxton.engine.wasmtime.ImportLinker.HostFunc;
import dev.caxton.engine.wasmtime.ImportLinker.NewMemory;
import dev.caxton.engine.wasmtime.ImportLinker.Plan;
import dev.caxton.engine.wasmtime.ImportLinker.SourceFunc;
import dev.caxton.engine.wasmtime.ImportLinker.SourceMemory;
import dev.caxton.engine.wasmtime.ModuleRewriter.Literal;
import dev.caxton.engine.wasmtime.ModuleShape.TableType;
import dev.caxton.spi.engine.ExportDescriptor;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.ImportDescriptor;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.ValueType;
import dev.caxton.spi.engine.WasiConfig;
import dev.caxton.spi.engine.WasmException;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmLinkException;
import dev.caxton.spi.engine.WasmModule;
import dev.caxton.spi.engine.WasmTrapException;
import io.github.kawamuray.wasmtime.Extern;
import io.github.kawamuray.wasmtime.Func;
import io.github.kawamuray.wasmtime.FuncType;
import io.github.kawamuray.wasmtime.Instance;
import io.github.kawamuray.wasmtime.Memory;
import io.github.kawamuray.wasmtime.MemoryType;
import io.github.kawamuray.wasmtime.Module;
import io.github.kawamuray.wasmtime.Store;
import io.github.kawamuray.wasmtime.WasmtimeException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A compiled module. Compiled once (as rewritten by {@link ModuleRewriter}); a module that imports
 * globals or tables is additionally compiled once per distinct set of imported values, and the
 * latest of those variants are kept. Instances with a fuel budget run a second form of the
 * module, metered by {@link FuelMetering}, compiled when the first of them is created. Thread-safe; the native code is freed by a cleaner once the
 * module is no longer referenced (instances keep it referenced).
 */
final class WasmtimeModule implements WasmModule {

    /** How many variants (per imported global values and tables) a module keeps compiled. */
    private static final int VARIANTS = 16;

    /** Wasmtime's words for the traps instantiation itself can raise (segment initialisation). */
    private static final List<String> TRAP_WORDS = List.of("out of bounds", "undefined element",
            "uninitialized element", "call stack exhausted", "unreachable", "divide by zero", "integer overflow",
            "indirect call type mismatch", "interrupt", "invalid conversion to integer");

    private final WasmtimeEngine engine;
    private final ModuleShape shape;
    private final ModuleRewriter.Base base;
    private final Compiled compiled;

    /** A natively compiled module that may be disposed while others look it up. */
    private static final class Native {
        private final Module module;
        private final ReentrantLock lock = new ReentrantLock();
        private boolean disposed;

        Native(Module module) {
            this.module = module;
        }

        /** @return the instance, or null when this module has been disposed meanwhile */
        Instance instantiate(Store<Void> store, List<Extern> externs) {
            lock.lock();
            try {
                return disposed ? null : new Instance(store, module, externs);
            } finally {
                lock.unlock();
            }
        }

        boolean isDisposed() {
            lock.lock();
            try {
                return disposed;
            } finally {
                lock.unlock();
            }
        }

        void dispose() {
            lock.lock();
            try {
                if (!disposed) {
                    disposed = true;
                    module.dispose();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** The imported values a variant was compiled for, and whether it is the metered form. */
    private record VariantKey(List<Literal> globals, List<TableType> tables, boolean metered, List<Long> tableMaxima) {
    }

    /**
     * The maxima the module's own tables need so that together they stay within the instance's
     * table allowance, or an empty list when their maxima as compiled already do. The binding has no
     * store limiter, so the lowered maxima are compiled into a variant of the module (one per
     * distinct allowance, cached like the other variants), and Wasmtime then answers a
     * {@code table.grow} past them with -1 itself.
     */
    private List<Long> tableMaxima(InstanceLimits limits) {
        ModuleShape b = base.shape();
        int own = b.tables.size() - b.importedTables;
        if (own == 0) {
            return List.of();
        }
        long allMinimums = 0;
        for (int i = b.importedTables; i < b.tables.size(); i++) {
            allMinimums += b.tables.get(i).limits().min();
        }
        List<Long> maxima = new ArrayList<>(own);
        boolean lowered = false;
        for (int i = b.importedTables; i < b.tables.size(); i++) {
            ModuleShape.Limits l = b.tables.get(i).limits();
            long compiledMax = l.hasMax() ? l.max() : ModuleRewriter.TABLE_CAP;
            long room = limits.maxTableElements() - (allMinimums - l.min());
            long max = Math.max(l.min(), Math.min(compiledMax, room));
            lowered |= max < compiledMax || !l.hasMax();
            maxima.add(max);
        }
        return lowered ? List.copyOf(maxima) : List.of();
    }

    /** The metered form of the module, its structure (for the variants built from it), compiled. */
    private record MeteredNative(FuelMetering.Metered module, ModuleShape shape, Native compiled) {
    }

    /** Every native module of one compiled module; the cleaner's action. */
    private static final class Compiled implements Runnable {
        final Native base;
        final Map<VariantKey, Native> variants = new LinkedHashMap<>(4, 0.75f, true);
        MeteredNative metered; // guarded by this

        Compiled(Native base) {
            this.base = base;
        }

        @Override
        public void run() {
            base.dispose();
            synchronized (this) {
                variants.values().forEach(Native::dispose);
                variants.clear();
                if (metered != null) {
                    metered.compiled().dispose();
                }
            }
        }
    }

    /**
     * @param engine   the engine that compiled it
     * @param shape    the module as written
     * @param base     the module as compiled
     * @param compiled the native module
     */
    WasmtimeModule(WasmtimeEngine engine, ModuleShape shape, ModuleRewriter.Base base, Module compiled) {
        this.engine = engine;
        this.shape = shape;
        this.base = base;
        this.compiled = new Compiled(new Native(compiled));
        StoreContext.CLEANER.register(this, this.compiled);
    }

    @Override
    public List<ImportDescriptor> imports() {
        return shape.importDescriptors();
    }

    @Override
    public List<ExportDescriptor> exports() {
        return shape.exportDescriptors();
    }

    /** @return the module as written */
    ModuleShape shape() {
        return shape;
    }

    /** @return the module as compiled */
    ModuleRewriter.Base base() {
        return base;
    }

    @Override
    public WasmInstance instantiate(Imports imports, InstanceLimits limits) {
        Objects.requireNonNull(imports, "imports");
        Objects.requireNonNull(limits, "limits");
        return engine.whileOpen(() -> instantiateOpen(imports, limits));
    }

    @Override
    public WasmInstance instantiate(Imports imports, InstanceLimits limits, WasiConfig wasi) {
        if (wasi == null) {
            return instantiate(imports, limits);
        }
        Objects.requireNonNull(imports, "imports");
        // WASI is served by host functions of this plugin (see WasiPreview1), offered after the
        // host's own so that the runtime's imports keep their meaning.
        List<HostFunction> functions = new ArrayList<>(imports.functions());
        functions.addAll(WasiPreview1.functions(wasi));
        Imports withWasi = new Imports(functions, imports.globals(), imports.memories(), imports.tables(),
                imports.instances());
        return instantiate(withWasi, limits);
    }

    private WasmtimeInstance instantiateOpen(Imports imports, InstanceLimits limits) {
        limits.checkTables(shape.tables.subList(shape.importedTables, shape.tables.size()).stream()
                .mapToLong(t -> t.limits().min()).toArray());
        List<Long> tableMaxima = tableMaxima(limits);
        Plan plan = ImportLinker.plan(engine, base, imports, limits);
        MeteredNative metered = limits.fuel() > 0 ? metered() : null;
        Native nat = plan.needsDefinitions() || !tableMaxima.isEmpty() ? variant(plan, metered, tableMaxima)
                : metered != null ? metered.compiled() : compiled.base;
        StoreContext ctx = plan.shared() != null ? plan.shared().retain() : engine.newStore();
        boolean ok = false;
        ctx.enter();
        try {
            Instance instance;
            try {
                List<Extern> externs = new ArrayList<>(plan.bindings().size());
                for (Binding b : plan.bindings()) {
                    externs.add(materialize(b, ctx));
                }
                instance = nat.instantiate(ctx.store, externs);
                while (instance == null) {
                    // Only variants are ever disposed early (evicted by newer ones): compile it again.
                    nat = variant(plan, metered, tableMaxima);
                    instance = nat.instantiate(ctx.store, externs);
                }
            } catch (WasmtimeException e) {
                throw instantiationFailure(e);
            } catch (WasmException | IllegalStateException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new WasmLinkException("cannot instantiate the module: the wasmtime-java binding failed: " + e, e);
            }
            ctx.own(instance);
            WasmtimeInstance.Fuel fuel = metered == null ? null
                    : new WasmtimeInstance.Fuel(limits.fuel(), metered.module());
            WasmtimeInstance result = new WasmtimeInstance(engine, this, ctx, instance, limits, plan.memory(), fuel);
            if (base.startExport() != null) {
                result.runStart(base.startExport());
            } else if (fuel != null) {
                // Exports that other instances link to draw on this budget too, before any call.
                result.refill();
            }
            ok = true;
            return result;
        } finally {
            ctx.exit();
            if (!ok) {
                ctx.release();
            }
        }
    }

    private Extern materialize(Binding b, StoreContext ctx) {
        return switch (b) {
            case HostFunc h -> Extern.fromFunc(ctx.own(new Func(ctx.store,
                    new FuncType(Values.valTypes(h.function().type().params()),
                            Values.valTypes(h.function().type().results())),
                    handler(h.function(), h.qualified(), ctx.store, ctx.hostCalls))));
            case SourceFunc s -> Extern.fromFunc(s.source().funcHandle(s.export()));
            case NewMemory m -> {
                try {
                    yield Extern.fromMemory(ctx.own(new Memory(ctx.store, new MemoryType(m.pages(), m.max(), false))));
                } catch (WasmtimeException e) {
                    throw new WasmLinkException("cannot create a memory of " + m.pages() + " pages (at most " + m.max()
                            + "): " + Failures.firstLine(e.getMessage()), e);
                }
            }
            case SourceMemory s -> Extern.fromMemory(s.source().memoryHandle(s.export()));
        };
    }

    /**
     * Wraps a host function for the binding. The wrapper holds the store and its failure record
     * but not the store's context, which must stay collectable: the binding keeps every wrapper in
     * a static registry until its store is disposed.
     */
    private static Func.Handler<Void> handler(HostFunction function, String qualified, Store<Void> store,
                                              Failures.HostCalls calls) {
        List<ValueType> params = function.type().params();
        List<ValueType> results = function.type().results();
        HostFunction.Body body = function.body();
        return (caller, in, out) -> {
            if (!calls.admit(qualified)) {
                throw new Failures.HostCallAborted(qualified);
            }
            GuestMemories.CallerMemory memory = new GuestMemories.CallerMemory(caller, store, calls);
            try {
                long[] args = new long[in.length];
                for (int i = 0; i < args.length; i++) {
                    args[i] = Values.toLong(params.get(i), in[i]);
                }
                long[] res = body.call(memory, args);
                int count = res == null ? 0 : res.length;
                if (count != results.size()) {
                    throw new IllegalStateException("it returned " + count + " result(s), but its signature "
                            + function.type() + " declares " + results.size());
                }
                for (int i = 0; i < count; i++) {
                    out[i] = Values.toVal(results.get(i), res[i]);
                }
            } catch (Throwable t) {
                calls.record(qualified, t);
                throw new Failures.HostCallAborted(qualified);
            } finally {
                memory.close();
            }
        };
    }

    /** The metered form, compiled on first use and kept for the module's life. */
    private MeteredNative metered() {
        synchronized (compiled) {
            if (compiled.metered != null) {
                return compiled.metered;
            }
        }
        FuelMetering.Metered module;
        ModuleShape meteredShape;
        Native nat;
        try {
            module = FuelMetering.instrument(base.bytes(), ModuleRewriter.PREFIX, base.globalAccessors(),
                    shape.functions.size());
            meteredShape = ModuleShape.parse(module.bytes());
            nat = new Native(engine.compileNative(module.bytes()));
        } catch (WasmReader.MalformedException | WasmtimeException e) {
            throw new WasmLinkException("cannot meter fuel for this module: " + Failures.firstLine(e.getMessage()), e);
        } catch (RuntimeException e) {
            // A gap in the instrumentation: the instance is refused, never the node taken down.
            throw new WasmLinkException("cannot meter fuel for this module (please report this): " + e, e);
        }
        synchronized (compiled) {
            if (compiled.metered == null) {
                compiled.metered = new MeteredNative(module, meteredShape, nat);
                return compiled.metered;
            }
        }
        nat.dispose();
        synchronized (compiled) {
            return compiled.metered;
        }
    }

    private Native variant(Plan plan, MeteredNative metered, List<Long> tableMaxima) {
        VariantKey key = new VariantKey(List.copyOf(plan.globals()), List.copyOf(plan.tables()), metered != null,
                tableMaxima);
        synchronized (compiled) {
            Native known = compiled.variants.get(key);
            if (known != null && !known.isDisposed()) {
                return known;
            }
        }
        ModuleShape from = metered != null ? metered.shape() : base.shape();
        byte[] bytes = plan.needsDefinitions() ? ModuleRewriter.withDefinitions(from, key.globals(), key.tables())
                : from.bytes;
        if (!tableMaxima.isEmpty()) {
            bytes = ModuleRewriter.withTableMaxima(ModuleShape.parse(bytes), tableMaxima);
        }
        Native fresh;
        try {
            fresh = new Native(engine.compileNative(bytes));
        } catch (WasmtimeException e) {
            throw new WasmLinkException("cannot prepare the module for the offered globals and tables: "
                    + Failures.firstLine(e.getMessage()), e);
        }
        List<Native> evicted = new ArrayList<>();
        synchronized (compiled) {
            Native known = compiled.variants.get(key);
            if (known != null && !known.isDisposed()) {
                evicted.add(fresh);
                fresh = known;
            } else {
                compiled.variants.put(key, fresh);
                var it = compiled.variants.entrySet().iterator();
                while (compiled.variants.size() > VARIANTS && it.hasNext()) {
                    evicted.add(it.next().getValue());
                    it.remove();
                }
            }
        }
        evicted.forEach(Native::dispose);
        return fresh;
    }

    private static RuntimeException instantiationFailure(WasmtimeException e) {
        String message = Failures.firstLine(e.getMessage());
        for (String word : TRAP_WORDS) {
            if (message.contains(word)) {
                return new WasmTrapException("instantiation trapped: " + message, e);
            }
        }
        return new WasmLinkException("cannot instantiate the module: " + message, e);
    }
}
