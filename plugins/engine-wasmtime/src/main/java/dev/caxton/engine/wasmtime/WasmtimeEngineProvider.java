package dev.caxton.engine.wasmtime;

import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.spi.engine.WasmEngineProvider;
import dev.caxton.spi.engine.WasmException;
import io.github.kawamuray.wasmtime.Config;
import io.github.kawamuray.wasmtime.Engine;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Provides the {@code wasmtime} engine: WebAssembly compiled to native code by Wasmtime.
 *
 * <p>Its configuration section ({@code runtime.wasmtime}) has three options: {@code max_wasm_stack},
 * the native stack guest code may use per call, {@code epoch_interval}, the resolution of
 * execution timeouts, and {@code max_host_calls}, the most host calls one call may make.
 */
public final class WasmtimeEngineProvider implements WasmEngineProvider {

    /** The key of the guest stack option. */
    static final String MAX_WASM_STACK = "max_wasm_stack";
    /** The key of the timeout resolution option. */
    static final String EPOCH_INTERVAL = "epoch_interval";
    /** The key of the host call limit. */
    static final String MAX_HOST_CALLS = "max_host_calls";

    private static final long KB = 1024;

    private static final List<ConfigOption> OPTIONS = List.of(
            ConfigOption.ranged(MAX_WASM_STACK, ConfigOption.Type.SIZE, "512KB",
                    "Native stack a guest may use in one call; deeper recursion traps with 'call stack exhausted'."
                            + " Guests run on the calling thread's stack, so this must stay well below the stack size"
                            + " of the threads that call into guests (1 MiB by default on the JVM); Wasmtime's own"
                            + " default of 1 MiB would let a guest overflow such a thread and crash the JVM.",
                    64 * KB, 768 * KB),
            ConfigOption.ranged(EPOCH_INTERVAL, ConfigOption.Type.DURATION, "1ms",
                    "How often the timer that enforces execution timeouts ticks. A call is interrupted within"
                            + " about one interval after its timeout; the timer only runs while a call with a timeout"
                            + " is running.",
                    1, 1000),
            ConfigOption.ranged(MAX_HOST_CALLS, ConfigOption.Type.INTEGER, "100000",
                    "The most host function calls (send_message, log, ...) one call into a guest may make; the"
                    + " call traps at the next one. The wasmtime-java binding keeps every host call's arguments"
                    + " and results in memory until the call into the guest returns (about 100 bytes each), so"
                    + " without a bound a guest calling the host in a loop could fill the heap.",
                    1000, 10_000_000));

    /** Creates the provider; cheap and free of side effects (nothing native is touched), as service loading requires. */
    public WasmtimeEngineProvider() {
    }

    @Override
    public String name() {
        return "wasmtime";
    }

    @Override
    public String description() {
        return "WebAssembly on Wasmtime, an optimising native engine (wasmtime-java binding)";
    }

    @Override
    public List<ConfigOption> options() {
        return OPTIONS;
    }

    @Override
    public Optional<String> unsupportedReason() {
        Platform platform = Platform.current();
        if (platform.unsupportedReason().isPresent()) {
            return platform.unsupportedReason();
        }
        try {
            if (!NativeLibrary.isBundled(platform)) {
                return Optional.of("the wasmtime-java jar in this installation has no native library for "
                        + platform.os() + "-" + platform.arch() + " (" + platform.libraryFile(NativeLibrary.bindingVersion())
                        + "); was it stripped of other platforms' libraries?");
            }
        } catch (WasmException e) {
            return Optional.of(e.getMessage());
        }
        return Optional.empty();
    }

    @Override
    public WasmEngine create(ProviderContext context) {
        Objects.requireNonNull(context, "context");
        Optional<String> unsupported = unsupportedReason();
        if (unsupported.isPresent()) {
            throw new WasmException("the wasmtime engine cannot run here: " + unsupported.get());
        }
        ProviderConfig config = context.config();
        long stack = option(config, MAX_WASM_STACK, 512 * KB);
        long intervalMillis = option(config, EPOCH_INTERVAL, 1);
        long maxHostCalls = option(config, MAX_HOST_CALLS, 100_000);
        Platform platform = Platform.current();
        String library = NativeLibrary.ensureLoaded(context.dataDir(), platform);
        Engine engine;
        Config wasmtime = new Config();
        try {
            wasmtime.epochInterruption(true);
            wasmtime.maxWasmStack(stack);
            engine = new Engine(wasmtime);
        } catch (RuntimeException e) {
            throw new WasmException("cannot create the wasmtime engine: " + e.getMessage(), e);
        } finally {
            wasmtime.dispose();
        }
        Duration interval = Duration.ofMillis(intervalMillis);
        String version = NativeLibrary.bindingVersion();
        String description = ("0.19.0".equals(version) ? "wasmtime 7.0.0" : "wasmtime") + " (wasmtime-java " + version
                + ", Cranelift); timeouts by epoch interruption every " + intervalMillis + " ms;"
                + " fuel metered by instrumenting modules (one unit per instruction); guest stack " + stack / KB
                + " KiB; at most " + maxHostCalls + " host calls per call; native library " + library;
        try {
            return new WasmtimeEngine(engine, interval, maxHostCalls, description);
        } catch (RuntimeException e) {
            engine.dispose();
            throw new WasmException("cannot start the wasmtime engine: " + e.getMessage(), e);
        }
    }

    /**
     * Reads an option, re-checking its range because a provider can be created from
     * a configuration the runtime has not validated (embedding, tests).
     *
     * @return bytes for sizes, milliseconds for durations, the number for integers
     */
    private static long option(ProviderConfig config, String key, long def) {
        ConfigOption declared = OPTIONS.stream().filter(o -> o.key().equals(key)).findFirst().orElseThrow();
        Optional<Object> raw = config.raw(key);
        if (raw.isEmpty()) {
            return def;
        }
        declared.check(config.fullKey(key), raw.get());
        return switch (declared.type()) {
            case SIZE -> config.size(key, def);
            case DURATION -> config.duration(key, Duration.ofMillis(def)).toMillis();
            default -> config.integer(key, def);
        };
    }
}
