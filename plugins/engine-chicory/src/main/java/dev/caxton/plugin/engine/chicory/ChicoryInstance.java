package dev.caxton.plugin.engine.chicory;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.WasmInstance;

import java.util.HashMap;
import java.util.Map;
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

    /** What close() drops in one write: Chicory's instance and the call targets that refer to it. */
    private record Live(Instance instance, Map<String, Target> targets) {
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
    ChicoryInstance(ChicoryEngine engine, ChicoryModule module, Instance instance, InstanceLimits limits, Meter meter) {
        this.engine = engine;
        this.meter = meter;
        this.module = module;
        this.live = new Live(instance, new HashMap<>());
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
        long[] in = Types.normalize(f.params(), args);

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
        return Types.normalize(f.results(), out);
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
        Export e = module.shape().byName().get("memory");
        if (e == null || e.exportType() != ExternalType.MEMORY) {
            throw new IllegalStateException("the module exports no memory named 'memory'");
        }
        return new ChicoryMemory(chicory().memory(e.index()), this);
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
    public void close() {
        // Dropping the only references lets the memory and the machine be collected even while
        // the runtime still holds this object.
        live = null;
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
