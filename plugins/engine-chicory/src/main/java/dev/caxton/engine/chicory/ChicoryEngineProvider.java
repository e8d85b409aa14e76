package dev.caxton.engine.chicory;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.spi.engine.WasmEngineProvider;

import java.util.List;
import java.util.Objects;

/**
 * Provides the {@code chicory} engine: WebAssembly on Chicory, in pure Java.
 *
 * <p>Its configuration section ({@code runtime.chicory}) has one option, {@code mode}:
 * {@code compiler} (the default) translates each module to JVM bytecode when it is compiled, which
 * costs a few hundred milliseconds once per module and then runs guest code an order of magnitude
 * faster than {@code interpreter}, which starts instantly.
 */
public final class ChicoryEngineProvider implements WasmEngineProvider {

    /** The key of the execution mode option. */
    static final String MODE = "mode";

    private static final List<ConfigOption> OPTIONS = List.of(
            ConfigOption.oneOf(MODE, ChicoryEngine.Mode.COMPILER.word(),
                    "How guest code runs: 'compiler' translates every module to JVM bytecode once, when it is"
                            + " deployed (slower to deploy, much faster to run); 'interpreter' runs the WebAssembly"
                            + " instructions directly (instant deployment, slower execution). Instances with a fuel"
                            + " limit are always interpreted, since only the interpreter can count instructions.",
                    ChicoryEngine.Mode.INTERPRETER.word(), ChicoryEngine.Mode.COMPILER.word()));

    /** Creates the provider; cheap and free of side effects, as service loading requires. */
    public ChicoryEngineProvider() {
    }

    @Override
    public String name() {
        return "chicory";
    }

    @Override
    public String description() {
        return "WebAssembly on Chicory, a pure-Java engine (interpreter or runtime compiler)";
    }

    @Override
    public List<ConfigOption> options() {
        return OPTIONS;
    }

    @Override
    public WasmEngine create(ProviderContext context) {
        Objects.requireNonNull(context, "context");
        return new ChicoryEngine(mode(context.config()));
    }

    /**
     * Reads the mode, re-checking it because a provider can be created from a configuration the
     * runtime has not validated (embedding, tests).
     */
    private static ChicoryEngine.Mode mode(ProviderConfig config) {
        String word = config.string(MODE, ChicoryEngine.Mode.COMPILER.word());
        for (ChicoryEngine.Mode m : ChicoryEngine.Mode.values()) {
            if (m.word().equals(word)) {
                return m;
            }
        }
        throw new ConfigException(config.fullKey(MODE), "expected one of "
                + ChicoryEngine.Mode.INTERPRETER.word() + ", " + ChicoryEngine.Mode.COMPILER.word()
                + ", got '" + word + "'");
    }
}
