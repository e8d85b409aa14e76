package dev.caxton.engine.wasmtime;

import dev.caxton.wasm.metering.FuelMetering;
import dev.caxton.engine.wasmtime.ModuleShape.Limits;
import dev.caxton.spi.engine.ExternKind;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.ValueType;
import dev.caxton.spi.engine.WasmFuelExhaustedException;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmTimeoutException;
import dev.caxton.spi.engine.WasmTrapException;
import io.github.kawamuray.wasmtime.Func;
import io.github.kawamuray.wasmtime.Instance;
import io.github.kawamuray.wasmtime.Memory;
import io.github.kawamuray.wasmtime.Val;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * A live instance. Used by one thread at a time, as the SPI says; every use of its store still goes
 * through {@link StoreContext#enter()}, because a store touched concurrently or after disposal would
 * crash the JVM rather than throw. Only {@link #close()} may come from another thread.
 */
final class WasmtimeInstance implements WasmInstance {

    /** Limits for reading a global: a getter cannot loop, so it gets no timeout. */
    private static final InstanceLimits NO_TIMEOUT = new InstanceLimits(0, Duration.ZERO, 0);

    private static final Val[] NO_VALUES = new Val[0];

    /**
     * How an instance with a fuel budget is called.
     *
     * @param budget  the fuel each outermost call gets
     * @param metered the metered module, with the names of its hidden exports
     */
    record Fuel(long budget, FuelMetering.Metered metered) {
    }

    private final WasmtimeEngine engine;
    private final WasmtimeModule module;
    private final StoreContext ctx;
    private final Instance instance;
    private final InstanceLimits limits;
    private final Limits memoryLimits;
    private final Fuel fuel;
    // Calls into this instance under way on the thread that uses it (more than one when a host
    // function calls back in). Guarded by the store's lock.
    private int activeCalls;
    // What the last outermost metered call used; -1 before one returns. Guarded by the store's lock.
    private long fuelUsed = -1;
    // Handles on exports, found once per name; owned by the store context. Guarded by its lock.
    private final Map<String, Func> funcs = new HashMap<>();
    private final Map<String, Memory> memories = new HashMap<>();
    private final GuestMemory memoryView = new GuestMemories.InstanceMemory(this);
    // The last buffer over "memory" and the store generation it was fetched in. Guarded by the store's lock.
    private ByteBuffer memoryBuffer;
    private long memoryGeneration;
    private volatile boolean closed;

    /**
     * @param engine       the engine
     * @param module       the module it instantiates
     * @param ctx          its store (the caller has entered it)
     * @param instance     the binding's instance
     * @param limits       its limits
     * @param memoryLimits the limits of its memory 0, or null when it has none
     * @param fuel         how to meter its calls, or null when it has no fuel budget
     */
    WasmtimeInstance(WasmtimeEngine engine, WasmtimeModule module, StoreContext ctx, Instance instance,
                     InstanceLimits limits, Limits memoryLimits, Fuel fuel) {
        this.engine = engine;
        this.module = module;
        this.ctx = ctx;
        this.instance = instance;
        this.limits = limits;
        this.memoryLimits = memoryLimits;
        this.fuel = fuel;
    }

    @Override
    public Optional<FunctionType> exportedFunction(String name) {
        return Optional.ofNullable(module.shape().exportedFunctions().get(name));
    }

    @Override
    public long[] call(String name, long... args) {
        FunctionType type = module.shape().exportedFunctions().get(name);
        if (type == null) {
            ModuleShape.Export other = module.shape().export(name);
            throw new IllegalArgumentException("the instance exports no function named '" + name + "'"
                    + (other == null ? "" : " (it is a " + other.kind().name().toLowerCase(Locale.ROOT) + ")"));
        }
        if (args == null || args.length != type.params().size()) {
            throw new IllegalArgumentException("'" + name + "' takes " + type.params().size() + " argument(s) "
                    + type + ", got " + (args == null ? 0 : args.length));
        }
        if (!type.params().stream().allMatch(Values::isNumber)) {
            throw new IllegalArgumentException("'" + name + "' has the signature " + type
                    + ", which this engine cannot call: the wasmtime-java binding passes only i32, i64, f32 and f64");
        }
        // Results of other types are allowed: the call may trap, which is worth reporting; if it
        // returns, the binding cannot hand the value back (see Failures).
        Val[] in = Values.toVals(type.params(), args);
        ensureOpen();
        engine.ensureOpen();
        ctx.enter();
        try {
            ensureOpen();
            Val[] out = metered("call to '" + name + "'", name, in);
            return Values.toLongs(type.results(), out);
        } finally {
            ctx.exit();
        }
    }

    /**
     * Calls an export; the caller has entered the store. With a fuel budget, an outermost call
     * goes through the export's metering wrapper, which sets the budget; a call the guest makes
     * back into this instance through a host function goes straight to the export and draws on
     * what the outer call has left, as on Chicory.
     */
    private Val[] metered(String what, String export, Val[] in) {
        if (fuel == null) {
            Func f = funcHandle(export);
            return ctx.run(what, limits, () -> f.call(ctx.store, in));
        }
        Func f;
        Val[] args;
        if (activeCalls == 0) {
            f = funcHandle(fuel.metered().calls().get(export));
            args = Arrays.copyOf(in, in.length + 1);
            args[in.length] = Val.fromI64(fuel.budget());
        } else {
            f = funcHandle(export);
            args = in;
        }
        activeCalls++;
        try {
            Val[] out = ctx.run(what, limits, () -> f.call(ctx.store, args));
            if (args == in) {
                return out;
            }
            // The wrapper returns the fuel left after the function's own results.
            fuelUsed = fuel.budget() - out[out.length - 1].i64();
            return Arrays.copyOf(out, out.length - 1);
        } catch (WasmTrapException e) {
            if (!(e instanceof WasmTimeoutException) && !(e instanceof WasmFuelExhaustedException) && fuelLeft() < 0) {
                throw new WasmFuelExhaustedException(what + " ran out of fuel: it executed more than "
                        + fuel.budget() + " instructions", e);
            }
            throw e;
        } finally {
            activeCalls--;
        }
    }

    @Override
    public long fuelUsed() {
        return fuelUsed;
    }

    /** The fuel the last metered call left (negative after it ran out); the caller has entered the store. */
    private long fuelLeft() {
        Func f = funcHandle(fuel.metered().left());
        Val[] out = ctx.run("reading the fuel left", NO_TIMEOUT, () -> f.call(ctx.store, NO_VALUES));
        return out[0].i64();
    }

    @Override
    public GuestMemory memory() {
        ModuleShape.Export e = module.shape().export("memory");
        if (e == null || e.kind() != ExternKind.MEMORY) {
            throw new IllegalStateException("the instance exports no memory named 'memory'");
        }
        ensureOpen();
        return memoryView;
    }

    @Override
    public long global(String name) {
        ModuleShape.Export e = module.shape().export(name);
        if (e == null || e.kind() != ExternKind.GLOBAL) {
            throw new IllegalArgumentException("the instance exports no global named '" + name + "'");
        }
        String getter = module.base().getters().get(name);
        ValueType type = ModuleShape.spiType(module.shape().globals.get(e.index()).valType());
        if (getter == null) {
            throw new IllegalArgumentException("global '" + name + "' holds a " + type.name().toLowerCase(Locale.ROOT)
                    + ", which cannot be read as a number");
        }
        ensureOpen();
        ctx.enter();
        try {
            ensureOpen();
            Func f = funcHandle(getter);
            Val[] out = ctx.run("reading global '" + name + "'", NO_TIMEOUT, () -> f.call(ctx.store, NO_VALUES));
            return Values.toLong(type, out[0]);
        } finally {
            ctx.exit();
        }
    }

    @Override
    public long[] mutableGlobals() {
        List<ModuleRewriter.MutableGlobal> mutables = snapshotGlobals();
        return accessGlobals(mutables, new long[mutables.size()], false);
    }

    @Override
    public void restoreMutableGlobals(long[] values) {
        Objects.requireNonNull(values, "values");
        List<ModuleRewriter.MutableGlobal> mutables = snapshotGlobals();
        if (values.length != mutables.size()) {
            throw new IllegalArgumentException("the module defines " + mutables.size()
                    + " mutable global(s), so a snapshot of its globals holds as many values: expected "
                    + mutables.size() + ", got " + values.length);
        }
        accessGlobals(mutables, values, true);
    }

    /**
     * Calls the hidden getters (filling {@code values}) or setters (taking from it), one call per
     * batch of globals. The accessors are engine helpers, not the module's code: they draw no
     * fuel, and the fuel global and fuelUsed stay as the last call left them.
     */
    private long[] accessGlobals(List<ModuleRewriter.MutableGlobal> mutables, long[] values, boolean restore) {
        ensureOpen();
        ctx.enter();
        try {
            ensureOpen();
            for (ModuleRewriter.GlobalBatch b : module.base().batches()) {
                Func f = funcHandle(restore ? b.setter() : b.getter());
                Val[] in = restore ? new Val[b.to() - b.from()] : NO_VALUES;
                for (int i = b.from(); restore && i < b.to(); i++) {
                    in[i - b.from()] = mutables.get(i).wide() ? Val.fromI64(values[i]) : Val.fromI32((int) values[i]);
                }
                Val[] out = ctx.run((restore ? "restoring" : "reading") + " the module's mutable globals", NO_TIMEOUT,
                        () -> f.call(ctx.store, in));
                for (int i = b.from(); !restore && i < b.to(); i++) {
                    Val v = out[i - b.from()];
                    values[i] = mutables.get(i).wide() ? v.i64() : v.i32();
                }
            }
        } finally {
            ctx.exit();
        }
        return values;
    }

    /** The module's mutable globals, refused as a whole when one of them cannot be carried. */
    private List<ModuleRewriter.MutableGlobal> snapshotGlobals() {
        List<ModuleRewriter.MutableGlobal> mutables = module.base().mutables();
        for (ModuleRewriter.MutableGlobal m : mutables) {
            if (!ModuleRewriter.isNumber(m.valType())) {
                throw new UnsupportedOperationException("mutable global " + m.index() + " holds a "
                        + ModuleShape.typeName(m.valType()) + ", which an instance snapshot cannot carry"
                        + " (only i32, i64, f32 and f64 globals can)");
            }
        }
        return mutables;
    }

    /**
     * Grows the exported memory named {@code "memory"} from the host; see {@link GuestMemory#grow}.
     * The memory was created with the lower of the module's maximum and the instance's limit as its
     * own maximum, so Wasmtime refuses growth past either.
     *
     * @param pages the pages to add
     * @return the size in pages before, or -1 when it cannot grow that much
     */
    long grow(long pages) {
        if (pages < 0) {
            throw new IllegalArgumentException("cannot grow a memory by a negative number of pages: " + pages);
        }
        ensureOpen();
        ctx.enter();
        try {
            ensureOpen();
            Memory m = memoryHandle("memory");
            long before = m.size(ctx.store);
            if (pages > GuestMemories.MAX_PAGES - before) {
                return -1;
            }
            try {
                m.grow(ctx.store, pages);
            } catch (RuntimeException e) {
                // Past the memory's maximum: Wasmtime reports an error and leaves the memory as it was.
                return -1;
            }
            // The cached buffer covers the old size only.
            memoryBuffer = null;
            ctx.hostCalls.touch();
            return before;
        } finally {
            ctx.exit();
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        ctx.release();
    }

    // ------------------------------------------------------------------ for the engine

    /**
     * Runs the module's start function (exported under a hidden name by the rewriting); the caller
     * has entered the store.
     *
     * @param export the hidden export
     */
    void runStart(String export) {
        metered("the start function", export, NO_VALUES);
    }

    /** Gives a metered instance its budget before any call; the caller has entered the store. */
    void refill() {
        Func f = funcHandle(fuel.metered().refill());
        ctx.run("setting the fuel budget", NO_TIMEOUT, () -> f.call(ctx.store, new Val[] {Val.fromI64(fuel.budget())}));
    }

    /**
     * Runs code against a buffer over the exported memory named {@code "memory"} while holding the
     * store. The buffer is fetched again whenever guest code may have run since the last one.
     *
     * @param action what to do with the buffer
     * @param <T>    the result type
     * @return the action's result
     */
    <T> T withMemory(Function<ByteBuffer, T> action) {
        ensureOpen();
        ctx.enter();
        try {
            ensureOpen();
            long generation = ctx.generation();
            if (memoryBuffer == null || memoryGeneration != generation) {
                memoryBuffer = GuestMemories.buffer(memoryHandle("memory"), ctx.store);
                memoryGeneration = generation;
            }
            return action.apply(memoryBuffer);
        } finally {
            ctx.exit();
        }
    }

    /**
     * The binding's handle on an exported function; the caller has entered the store.
     *
     * @param name the export name
     * @return the handle
     */
    Func funcHandle(String name) {
        Func f = funcs.get(name);
        if (f == null) {
            f = ctx.own(instance.getFunc(ctx.store, name).orElseThrow(() ->
                    new IllegalStateException("wasmtime finds no exported function '" + name + "'")));
            funcs.put(name, f);
        }
        return f;
    }

    /**
     * The binding's handle on an exported memory; the caller has entered the store.
     *
     * @param name the export name
     * @return the handle
     */
    Memory memoryHandle(String name) {
        Memory m = memories.get(name);
        if (m == null) {
            m = ctx.own(instance.getMemory(ctx.store, name).orElseThrow(() ->
                    new IllegalStateException("wasmtime finds no exported memory '" + name + "'")));
            memories.put(name, m);
        }
        return m;
    }

    /**
     * The current size of an exported memory, for linking checks.
     *
     * @param name the export name
     * @return its size in pages
     */
    long memoryPages(String name) {
        ctx.enter();
        try {
            return memoryHandle(name).size(ctx.store);
        } finally {
            ctx.exit();
        }
    }

    /** @return the limits of this instance's memory, or null when it has none */
    Limits memoryLimits() {
        return memoryLimits;
    }

    /** @return the module this is an instance of */
    WasmtimeModule module() {
        return module;
    }

    /** @return the store this instance lives in */
    StoreContext context() {
        return ctx;
    }

    /**
     * @param other an engine
     * @return whether this instance was created by it
     */
    boolean belongsTo(WasmtimeEngine other) {
        return engine == other;
    }

    /** @return whether {@link #close()} has been called */
    boolean isClosed() {
        return closed;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the instance is closed");
        }
    }
}
