package dev.caxton.engine.wasmtime;

import dev.caxton.spi.engine.EngineFeatures;
import dev.caxton.spi.engine.WasmCompileException;
import dev.caxton.spi.engine.LinkingEngine;
import dev.caxton.spi.engine.WasmModule;
import io.github.kawamuray.wasmtime.Engine;
import io.github.kawamuray.wasmtime.Module;
import io.github.kawamuray.wasmtime.Store;
import io.github.kawamuray.wasmtime.WasmtimeException;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The engine: compiles modules and creates the stores instances live in. Thread-safe.
 *
 * <p>The binding guards each Java handle on a Wasmtime engine with a mutex that compilation holds
 * from start to end, so one handle would compile one module at a time and stall everything else
 * that needs it. The engine therefore keeps several handles on the one Wasmtime engine: one for
 * creating stores, one for the epoch ticker, and a pool from which each compilation borrows its own.
 *
 * <p>Closing waits for compilations and instantiations in progress (they use the handles), then
 * disposes the handles; stores and compiled modules keep the Wasmtime engine alive until they go.
 */
final class WasmtimeEngine implements LinkingEngine {

    private static final AtomicInteger ENGINES = new AtomicInteger();

    private final Engine main;
    private final ConcurrentLinkedQueue<Engine> compilers = new ConcurrentLinkedQueue<>();
    private final EpochTicker ticker;
    private final EngineFeatures features;
    private final long maxHostCalls;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed;

    /**
     * @param main          the engine handle (owned from now on)
     * @param epochInterval how often the epoch advances
     * @param maxHostCalls  the most host calls one call into a guest may make
     * @param description   the description {@link #features()} gives
     */
    WasmtimeEngine(Engine main, Duration epochInterval, long maxHostCalls, String description) {
        this.main = main;
        this.maxHostCalls = maxHostCalls;
        this.ticker = new EpochTicker(newHandle(), epochInterval, "caxton-wasmtime-epoch-" + ENGINES.incrementAndGet());
        this.features = new EngineFeatures(true, true, description, true, true);
    }

    @Override
    public EngineFeatures features() {
        return features;
    }

    @Override
    public WasmModule compile(byte[] wasm) {
        Objects.requireNonNull(wasm, "wasm");
        ensureOpen();
        // A copy: the shape refers to these bytes for the engine's whole life, and callers may reuse theirs.
        ModuleShape shape;
        ModuleRewriter.Base base;
        try {
            shape = ModuleShape.parse(wasm.clone());
            base = ModuleRewriter.base(shape);
        } catch (WasmCompileException e) {
            throw e;
        } catch (RuntimeException e) {
            // A gap in the decoder (a fuzz test looks for these): still a refusal, never a crash.
            throw new WasmCompileException("malformed module: it could not be decoded: " + e, e);
        }
        return whileOpen(() -> new WasmtimeModule(this, shape, base, compileChecked(base, shape.bytes)));
    }

    /** Compiles, explaining a refusal with the message Wasmtime gives for the module as written. */
    private Module compileChecked(ModuleRewriter.Base base, byte[] original) {
        byte[] bytes = base.bytes();
        if (base.addsIndices()) {
            // Validation of the module as written costs a second compilation, paid only by modules
            // that export globals or declare a start function.
            try {
                compileNative(original).dispose();
            } catch (WasmtimeException e) {
                throw invalid(e);
            }
        }
        try {
            return compileNative(bytes);
        } catch (WasmtimeException e) {
            if (bytes == original) {
                throw invalid(e);
            }
            // The rewriting shifts byte offsets; the message about the original names the right ones.
            Module check;
            try {
                check = compileNative(original);
            } catch (WasmtimeException e2) {
                throw invalid(e2);
            }
            check.dispose();
            throw new WasmCompileException("the module is valid, but this engine's adaptation of it is not (please"
                    + " report this): " + Failures.firstLine(e.getMessage()), e);
        } catch (RuntimeException e) {
            throw new WasmCompileException("wasmtime failed while compiling the module: " + e, e);
        }
    }

    private static WasmCompileException invalid(WasmtimeException e) {
        return new WasmCompileException("invalid module: wasmtime: " + Failures.firstLine(e.getMessage()), e);
    }

    /**
     * Compiles a binary on a handle of its own; the caller holds the engine open.
     *
     * @param bytes the binary
     * @return the native module
     * @throws WasmtimeException when Wasmtime refuses it
     */
    Module compileNative(byte[] bytes) {
        Engine handle = compilers.poll();
        if (handle == null) {
            handle = newHandle();
        }
        try {
            return Module.fromBinary(handle, bytes);
        } finally {
            compilers.add(handle);
        }
    }

    /**
     * Creates a store; the caller holds the engine open.
     *
     * @return the store's context
     */
    StoreContext newStore() {
        return new StoreContext(new Store<>(null, main), ticker, maxHostCalls);
    }

    /**
     * Runs something that uses the engine's handles, keeping {@link #close()} from disposing them
     * meanwhile.
     *
     * @param action what to run
     * @param <T>    its result type
     * @return its result
     * @throws IllegalStateException when the engine is closed
     */
    <T> T whileOpen(Supplier<T> action) {
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            return action.get();
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * Refuses work once the engine is closed.
     *
     * @throws IllegalStateException when it is
     */
    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the wasmtime engine is closed");
        }
    }

    /** @return the epoch ticker, for tests */
    EpochTicker ticker() {
        return ticker;
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (Engine h; (h = compilers.poll()) != null; ) {
                h.dispose();
            }
            main.dispose();
        } finally {
            lifecycle.writeLock().unlock();
        }
        ticker.close();
    }

    /** Another handle on the same Wasmtime engine, with a mutex of its own. */
    private Engine newHandle() {
        Store<Void> store = new Store<>(null, main);
        try {
            return store.engine();
        } finally {
            store.dispose();
        }
    }
}
