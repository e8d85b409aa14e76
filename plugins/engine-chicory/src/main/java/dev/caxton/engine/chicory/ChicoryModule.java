package dev.caxton.engine.chicory;

import com.dylibso.chicory.runtime.ByteBufferMemory;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.InvalidException;
import com.dylibso.chicory.wasm.UnlinkableException;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.GlobalSection;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.MemorySection;
import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
import com.dylibso.chicory.wasm.types.TableSection;
import dev.caxton.spi.engine.ExportDescriptor;
import dev.caxton.spi.engine.ImportDescriptor;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import dev.caxton.spi.engine.WasiConfig;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmLinkException;
import dev.caxton.spi.engine.WasmModule;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * A decoded, validated and (in compiler mode) compiled module. Immutable, so any number of threads
 * may instantiate it at once; everything an instance changes lives in the instance.
 */
final class ChicoryModule implements WasmModule {

    private final ChicoryEngine engine;
    private final com.dylibso.chicory.wasm.WasmModule parsed;
    private final ModuleShape shape;
    private final Function<Instance, Machine> compiled;
    private final int[] mutableGlobals;
    private final byte[] wasm;
    private final Object meteredLock = new Object();
    private boolean meteredTried; // guarded by meteredLock
    private MeteredForm metered; // guarded by meteredLock

    /**
     * The module rewritten to meter its own fuel, decoded and compiled, for fuel-limited instances
     * in compiler mode.
     *
     * @param parsed     Chicory's module of the rewritten binary
     * @param compiled   its compiled machine factory
     * @param fuelGlobal the global that holds the fuel left
     */
    record MeteredForm(com.dylibso.chicory.wasm.WasmModule parsed, Function<Instance, Machine> compiled,
                       int fuelGlobal) {
    }

    /**
     * @param engine   the engine that compiled it
     * @param parsed   Chicory's module
     * @param shape    its imports and exports
     * @param compiled the compiled machine factory, shared by every instance; null in interpreter mode
     * @param wasm     the binary, kept in compiler mode to build the metered form from; else null
     */
    ChicoryModule(ChicoryEngine engine, com.dylibso.chicory.wasm.WasmModule parsed, ModuleShape shape,
                  Function<Instance, Machine> compiled, byte[] wasm) {
        this.engine = engine;
        this.wasm = wasm;
        this.parsed = parsed;
        this.shape = shape;
        this.compiled = compiled;
        this.mutableGlobals = mutableGlobals(parsed);
    }

    /** The indices of the mutable globals the module defines (imported ones come first and are skipped). */
    private static int[] mutableGlobals(com.dylibso.chicory.wasm.WasmModule parsed) {
        GlobalSection globals = parsed.globalSection();
        int imported = parsed.importSection().count(ExternalType.GLOBAL);
        return IntStream.range(0, globals.globalCount())
                .filter(i -> globals.getGlobal(i).mutabilityType() == MutabilityType.Var)
                .map(i -> imported + i)
                .toArray();
    }

    /** @return the global indices a snapshot of an instance holds, in order (do not modify) */
    int[] mutableGlobals() {
        return mutableGlobals;
    }

    @Override
    public List<ImportDescriptor> imports() {
        return shape.imports();
    }

    @Override
    public List<ExportDescriptor> exports() {
        return shape.exports();
    }

    /** @return the module's shape */
    ModuleShape shape() {
        return shape;
    }

    @Override
    public WasmInstance instantiate(Imports imports, InstanceLimits limits) {
        return instantiate(imports, limits, null);
    }

    @Override
    public WasmInstance instantiate(Imports imports, InstanceLimits limits, WasiConfig wasiConfig) {
        Objects.requireNonNull(imports, "imports");
        Objects.requireNonNull(limits, "limits");
        engine.ensureOpen();
        checkInitialMemory(limits);
        long tableElements = checkTables(limits);
        WasiPreview1 wasi = wasiConfig == null ? null : wasi(wasiConfig);
        // A fuel budget on compiled code: the module counts its own fuel (the interpreter's counts),
        // so it keeps running compiled; the rewritten module has the same imports, exports and
        // index spaces, plus one global and hidden exports no caller sees.
        MeteredForm form = compiled != null && limits.fuel() > 0 ? metered() : null;
        com.dylibso.chicory.wasm.WasmModule running = form != null ? form.parsed() : parsed;
        ImportValues values;
        try {
            values = wasi == null ? Linker.link(running, imports, limits)
                    : Linker.link(running, imports, limits, wasi.toHostFunctions());
        } catch (RuntimeException e) {
            if (wasi != null) {
                wasi.close();
            }
            throw e;
        }

        Meter meter = new Meter(limits.fuel(), form != null ? form.fuelGlobal() : -1);
        // Otherwise only the interpreter reports each instruction to the meter, so a fuel budget needs it.
        Function<Instance, Machine> machines = form != null ? form.compiled()
                : compiled != null && limits.fuel() == 0 ? compiled : InterpreterMachine::new;
        GuardedMachine[] machine = new GuardedMachine[1];
        int cap = limits.maxPages();
        Instance.Builder builder = Instance.builder(running)
                .withImportValues(values)
                .withMachineFactory(inst -> machine[0] = new GuardedMachine(inst, machines, meter))
                .withUnsafeExecutionListener(meter)
                .withMemoryFactory(declared -> capped(declared, cap))
                .withTableFactory((declared, init) -> privateTable(declared, init, limits, tableElements))
                // Chicory would otherwise call an export named "_start" (a WASI convention, not a
                // WebAssembly rule) while instantiating; the start section still runs.
                .withStart(false);

        Watchdog.Deadline deadline = engine.watchdog().arm(Watchdog.nanos(limits.executionTimeout()));
        Instance instance = null;
        Throwable failure = null;
        boolean timedOut;
        try {
            instance = builder.build();
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError | AssertionError e) {
            failure = e;
        } finally {
            timedOut = Watchdog.disarm(deadline);
        }
        if (failure != null) {
            if (wasi != null) {
                wasi.close();
            }
            throw instantiationFailure(failure, timedOut, engine.isClosed(), limits);
        }
        return new ChicoryInstance(engine, this, instance, limits, meter, wasi);
    }

    /** The metered form, built on first use and kept for the module's life; null when it cannot be. */
    private MeteredForm metered() {
        synchronized (meteredLock) {
            if (!meteredTried) {
                metered = ChicoryEngine.meter(wasm);
                meteredTried = true;
            }
            return metered;
        }
    }

    /**
     * Chicory's WASI with nothing of the host's: no directories, no inherited environment or
     * arguments, an empty stdin, and proc_exit(0) ending the call like any other code.
     */
    private static WasiPreview1 wasi(WasiConfig c) {
        WasiOptions.Builder options = WasiOptions.builder()
                .withStdin(java.io.InputStream.nullInputStream(), false)
                .withStdout(c.stdout(), false)
                .withStderr(c.stderr(), false)
                .withArguments(c.args())
                .withThrowOnExit0(true)
                .withRandom(new java.security.SecureRandom());
        c.env().forEach(options::withEnvironment);
        return WasiPreview1.builder().withOptions(options.build()).build();
    }

    /** Refuses up front a module whose own memory would start above the limit, with a clear reason. */
    private void checkInitialMemory(InstanceLimits limits) {
        MemorySection memories = parsed.memorySection().orElse(null);
        if (memories == null) {
            return;
        }
        for (int i = 0; i < memories.memoryCount(); i++) {
            int initial = memories.getMemory(i).limits().initialPages();
            if (initial > limits.maxPages()) {
                throw new WasmLinkException("memory " + i + " of the module starts at " + initial + " pages ("
                        + (long) initial * Memory.PAGE_SIZE + " bytes), more than the instance's memory limit of "
                        + limits.maxMemoryBytes() + " bytes");
            }
        }
    }

    /** A memory whose maximum is lowered to the limit, so that Chicory answers growth past it with -1. */
    private static Memory capped(MemoryLimits declared, int capPages) {
        int max = Math.min(declared.maximumPages(), capPages);
        return new ByteBufferMemory(new MemoryLimits(declared.initialPages(), max, declared.shared()));
    }

    /**
     * Refuses a module whose own tables start larger than the instance's table allowance.
     *
     * @return the elements the module's tables start with, together
     */
    private long checkTables(InstanceLimits limits) {
        TableSection tables = parsed.tableSection();
        if (tables == null) {
            return 0;
        }
        long[] minimums = new long[tables.tableCount()];
        long total = 0;
        for (int i = 0; i < minimums.length; i++) {
            minimums[i] = tables.getTable(i).limits().min();
            total += minimums[i];
        }
        limits.checkTables(minimums);
        return total;
    }

    /**
     * A table with its own copy of the limits. Chicory records growth in the limits object, which
     * otherwise belongs to the shared module: one instance's {@code table.grow} would change the
     * initial size of every later instance, and concurrent growth would race. Its maximum is lowered
     * so that it can grow only into what the other tables leave of the allowance, and Chicory
     * answers growth past that with -1.
     */
    private static TableInstance privateTable(Table declared, int initialValue, InstanceLimits limits, long allMinimums) {
        TableLimits l = declared.limits();
        long room = limits.maxTableElements() - (allMinimums - l.min());
        long max = Math.max(l.min(), Math.min(l.max(), room));
        Table own = new Table(declared.elementType(), new TableLimits(l.min(), max, l.shared()), declared.initialize());
        return new TableInstance(own, initialValue);
    }

    private static RuntimeException instantiationFailure(Throwable failure, boolean timedOut, boolean engineClosed,
                                                         InstanceLimits limits) {
        if (!timedOut && failure instanceof UnlinkableException e) {
            return new WasmLinkException("link error: " + e.getMessage(), e);
        }
        if (!timedOut && failure instanceof InvalidException e) {
            return new WasmLinkException("the module cannot be instantiated: " + e.getMessage(), e);
        }
        if (failure instanceof WasmLinkException e) {
            return e;
        }
        // The start function or a segment initialiser failed at run time: a trap.
        return Failures.translate("instantiation (start function or segment initialisation)", failure, timedOut,
                engineClosed, limits);
    }
}
