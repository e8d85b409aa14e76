package dev.caxton.engine.chicory;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.WasmInstance;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A live instance. Used by one thread at a time, as the SPI says, so it keeps no locks; only
 * {@link #close()} may come from elsewhere, hence the volatile reference it clears.
 */
final class ChicoryInstance implements WasmInstance {

    private final ChicoryEngine engine;
    private final ChicoryModule module;
    private final InstanceLimits limits;
    private final long timeoutNanos;
    private final Meter meter;
    private long fuelUsed = -1;
    private volatile Live live;

    /**
     * What close() drops in one write: Chicory's instance, the call targets that refer to it, and the
     * view of its memory (made once: the node asks for it several times per message; null when the
     * module exports no memory).
     */
    private record Live(Instance instance, Map<String, Target> targets, ChicoryMemory memory) {
    }

    /** An exported function ready to call: its types and Chicory's handle, found once per name. */
    private record Target(ModuleShape.ExportedFunction function, ExportFunction handle) {
    }

    /**
     * @param engine   the engine, for its watchdog
     * @param module   the module it instantiates
     * @param instance Chicory's instance
     * @param limits   its limits
     * @param meter    its fuel meter (reports what each call used)
     */
    private final com.dylibso.chicory.wasi.WasiPreview1 wasi;

    ChicoryInstance(ChicoryEngine engine, ChicoryModule module, Instance instance, InstanceLimits limits, Meter meter) {
        this(engine, module, instance, limits, meter, null);
    }

    /** @param wasi the instance's WASI sandbox, closed with it, or null */
    ChicoryInstance(ChicoryEngine engine, ChicoryModule module, Instance instance, InstanceLimits limits, Meter meter,
                    com.dylibso.chicory.wasi.WasiPreview1 wasi) {
        this.wasi = wasi;
        this.engine = engine;
        this.meter = meter;
        this.module = module;
        Export mem = module.shape().byName().get("memory");
        this.live = new Live(instance, new HashMap<>(), mem == null || mem.exportType() != ExternalType.MEMORY ? null
                : new ChicoryMemory(instance.memory(mem.index()), this));
        this.limits = limits;
        this.timeoutNanos = Watchdog.nanos(limits.executionTimeout());
    }

    @Override
    public Optional<FunctionType> exportedFunction(String name) {
        ModuleShape.ExportedFunction f = module.shape().functions().get(name);
        return f == null ? Optional.empty() : Optional.of(f.type());
    }

    @Override
    public long[] call(String name, long... args) {
        Live current = live();
        Target target = current.targets().get(name);
        if (target == null) {
            target = resolve(current, name);
        }
        ModuleShape.ExportedFunction f = target.function();
        if (args == null || args.length != f.params().length) {
            throw new IllegalArgumentException("'" + name + "' " + f.type() + " takes " + f.params().length
                    + " argument(s), got " + (args == null ? 0 : args.length));
        }
        engine.ensureOpen();
        // Arguments already in normal form (every pointer and length the node passes) go as they
        // are: a copy per call was an eighth of an agent worker's time under fire-and-forget.
        long[] in = Types.inNormalForm(f.params(), args) ? args : Types.normalize(f.params(), args);

        Watchdog.Deadline deadline = engine.watchdog().arm(timeoutNanos);
        long[] out = null;
        Throwable failure = null;
        boolean timedOut;
        try {
            out = target.handle().apply(in);
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError | AssertionError e) {
            failure = e;
        } finally {
            timedOut = Watchdog.disarm(deadline);
        }
        // A deadline that fired after the guest returned changes nothing: the result stands.
        if (failure != null) {
            throw Failures.translate("call to '" + name + "'", failure, timedOut, engine.isClosed(), limits);
        }
        fuelUsed = meter.used();
        if (f.results().length == 0) {
            return new long[0];
        }
        // Chicory's result array is made for this call: 64-bit results need no normalising copy,
        // as the linker already does for host functions.
        return Types.normalized(f.results()) ? out : Types.normalize(f.results(), out);
    }

    @Override
    public long fuelUsed() {
        return fuelUsed;
    }

    private Target resolve(Live current, String name) {
        ModuleShape.ExportedFunction f = module.shape().functions().get(name);
        if (f == null) {
            throw new IllegalArgumentException("the module exports no function named '" + name + "'");
        }
        Target target = new Target(f, current.instance().export(name));
        current.targets().put(name, target);
        return target;
    }

    @Override
    public GuestMemory memory() {
        ChicoryMemory m = live().memory();
        if (m == null) {
            throw new IllegalStateException("the module exports no memory named 'memory'");
        }
        return m;
    }

    @Override
    public long global(String name) {
        Export e = module.shape().byName().get(name);
        if (e == null || e.exportType() != ExternalType.GLOBAL) {
            throw new IllegalArgumentException("the module exports no global named '" + name + "'");
        }
        GlobalInstance g = chicory().global(e.index());
        return Types.normalize(g.getType(), g.getValue());
    }

    @Override
    public long[] mutableGlobals() {
        Instance current = chicory();
        int[] indices = module.mutableGlobals();
        long[] values = new long[indices.length];
        for (int i = 0; i < indices.length; i++) {
            GlobalInstance g = current.global(indices[i]);
            values[i] = Types.normalize(snapshotType(indices[i], g), g.getValue());
        }
        return values;
    }

    @Override
    public void restoreMutableGlobals(long[] values) {
        Objects.requireNonNull(values, "values");
        Instance current = chicory();
        int[] indices = module.mutableGlobals();
        if (values.length != indices.length) {
            throw new IllegalArgumentException("the module defines " + indices.length
                    + " mutable global(s), so a snapshot of its globals holds as many values: expected "
                    + indices.length + ", got " + values.length);
        }
        // Every type is checked before anything changes, so a refusal leaves the instance as it was.
        GlobalInstance[] globals = new GlobalInstance[indices.length];
        ValType[] types = new ValType[indices.length];
        for (int i = 0; i < indices.length; i++) {
            globals[i] = current.global(indices[i]);
            types[i] = snapshotType(indices[i], globals[i]);
        }
        for (int i = 0; i < indices.length; i++) {
            globals[i].setValue(Types.normalize(types[i], values[i]));
        }
    }

    /**
     * The type of a global a snapshot holds; only numbers qualify. A reference is a handle that
     * means nothing in another instance (or on another engine), and a v128 does not fit a long
     * (Chicory refuses v128 modules at compile time anyway).
     */
    private static ValType snapshotType(int index, GlobalInstance g) {
        ValType t = g.getType();
        int op = t.opcode();
        if (op != ValType.ID.I32 && op != ValType.ID.I64 && op != ValType.ID.F32 && op != ValType.ID.F64) {
            throw new UnsupportedOperationException("mutable global " + index + " holds a " + Types.describe(t)
                    + ", which an instance snapshot cannot carry (only i32, i64, f32 and f64 globals can)");
        }
        return t;
    }

    @Override
    public void close() {
        // Dropping the only references lets the memory and the machine be collected even while
        // the runtime still holds this object.
        live = null;
        if (wasi != null) {
            wasi.close();
        }
    }

    /** @return the shape of the module (for linking against this instance) */
    ModuleShape shape() {
        return module.shape();
    }

    /**
     * @return Chicory's instance
     * @throws IllegalStateException when this instance is closed
     */
    Instance chicory() {
        return live().instance();
    }

    private Live live() {
        Live current = live;
        if (current == null) {
            throw new IllegalStateException("the instance is closed");
        }
        return current;
    }

    /**
     * Refuses use after {@link #close()}.
     *
     * @throws IllegalStateException when closed
     */
    void ensureOpen() {
        chicory();
    }
}
