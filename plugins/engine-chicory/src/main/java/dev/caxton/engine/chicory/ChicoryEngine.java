package dev.caxton.engine.chicory;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.InvalidException;
import com.dylibso.chicory.wasm.MalformedException;
import com.dylibso.chicory.wasm.Parser;
import dev.caxton.spi.engine.EngineFeatures;
import dev.caxton.spi.engine.WasmCompileException;
import dev.caxton.spi.engine.LinkingEngine;
import dev.caxton.spi.engine.WasmModule;
import dev.caxton.wasm.metering.FuelMetering;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.BufferUnderflowException;
import java.util.Locale;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The engine: decodes, validates and (in compiler mode) translates modules (and, for instances
 * with a fuel limit, their self-metering form), and owns the timer
 * thread that enforces execution timeouts for every instance it creates. Thread-safe.
 */
final class ChicoryEngine implements LinkingEngine {

    /** How guest code runs. */
    enum Mode {
        /** Chicory's interpreter executes the instructions. */
        INTERPRETER,
        /** Chicory's runtime compiler turns each module into JVM bytecode, once per module. */
        COMPILER;

        /** @return the word the configuration uses */
        String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final byte[] MAGIC = {0x00, 0x61, 0x73, 0x6d};
    private static final byte[] VERSION = {0x01, 0x00, 0x00, 0x00};

    private final Mode mode;
    private final EngineFeatures features;
    private static final AtomicInteger ENGINES = new AtomicInteger();

    private final Watchdog watchdog = new Watchdog("caxton-chicory-watchdog-" + ENGINES.incrementAndGet());
    private volatile boolean closed;

    ChicoryEngine(Mode mode) {
        this.mode = Objects.requireNonNull(mode, "mode");
        String base = "chicory " + chicoryVersion() + ", " + mode.word();
        this.features = new EngineFeatures(true, true,
                mode == Mode.COMPILER ? base + " (fuel metered by instrumentation, compiled)" : base, true, true);
    }

    @Override
    public EngineFeatures features() {
        return features;
    }

    /** @return the mode this engine runs modules in */
    Mode mode() {
        return mode;
    }

    /** @return the timer that interrupts calls running past their deadline */
    Watchdog watchdog() {
        return watchdog;
    }

    @Override
    public WasmModule compile(byte[] wasm) {
        Objects.requireNonNull(wasm, "wasm");
        ensureOpen();
        checkHeader(wasm);
        com.dylibso.chicory.wasm.WasmModule parsed = decode(wasm);
        ModuleShape shape = describe(parsed);
        Function<Instance, Machine> compiled = mode == Mode.COMPILER ? translate(parsed) : null;
        return new ChicoryModule(this, parsed, shape, compiled, compiled == null ? null : wasm.clone());
    }

    @Override
    public void close() {
        closed = true;
        watchdog.close();
    }

    /** @return whether {@link #close()} has been called */
    boolean isClosed() {
        return closed;
    }

    /**
     * Refuses work once the engine is closed.
     *
     * @throws IllegalStateException when it is
     */
    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the Chicory engine is closed");
        }
    }

    /** Checks the 8-byte header up front, where a precise message is easy to give. */
    private static void checkHeader(byte[] wasm) {
        if (wasm.length == 0) {
            throw new WasmCompileException("malformed module: empty input (0 bytes); a WebAssembly module"
                    + " starts with the 8-byte header 00 61 73 6d 01 00 00 00");
        }
        if (wasm.length < 8) {
            throw new WasmCompileException("malformed module: truncated header: " + wasm.length
                    + " bytes, but a WebAssembly module starts with an 8-byte header");
        }
        if (!regionEquals(wasm, 0, MAGIC)) {
            throw new WasmCompileException("malformed module: bad magic number: expected 00 61 73 6d"
                    + " (\"\\0asm\"), found " + hex(wasm, 0, 4));
        }
        if (!regionEquals(wasm, 4, VERSION)) {
            throw new WasmCompileException("malformed module: unsupported binary version: expected"
                    + " 01 00 00 00, found " + hex(wasm, 4, 4));
        }
    }

    /** Decodes and validates; every failure becomes a {@link WasmCompileException}. */
    private static com.dylibso.chicory.wasm.WasmModule decode(byte[] wasm) {
        try {
            return Parser.parse(wasm);
        } catch (MalformedException e) {
            throw new WasmCompileException("malformed module: " + e.getMessage(), e);
        } catch (InvalidException e) {
            throw new WasmCompileException("invalid module: " + e.getMessage(), e);
        } catch (ChicoryException e) {
            throw new WasmCompileException("cannot decode module: " + e.getMessage(), e);
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            // The decoder reads past the end of its buffer when a length field lies.
            throw new WasmCompileException("malformed module: unexpected end of data while decoding ("
                    + e.getClass().getSimpleName() + ")", e);
        } catch (RuntimeException e) {
            throw new WasmCompileException("malformed module: the decoder rejected it: " + e, e);
        } catch (AssertionError e) {
            // Only with assertions enabled (-ea): Chicory's own consistency checks trip on some
            // corrupt inputs that its decoder otherwise rejects or tolerates.
            throw new WasmCompileException("malformed module: the decoder's consistency check failed", e);
        } catch (StackOverflowError e) {
            throw new WasmCompileException("invalid module: its blocks are nested too deeply to decode", e);
        } catch (OutOfMemoryError e) {
            throw new WasmCompileException("malformed module: it declares a size too large to decode", e);
        }
    }

    /** Works out imports and exports; a module inconsistent in ways the validator let through is invalid. */
    private static ModuleShape describe(com.dylibso.chicory.wasm.WasmModule parsed) {
        try {
            return ModuleShape.of(parsed);
        } catch (WasmCompileException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new WasmCompileException("invalid module: " + e.getMessage(), e);
        }
    }

    /** Runs the runtime compiler once for the module; the result makes every later instance cheap. */
    private static Function<Instance, Machine> translate(com.dylibso.chicory.wasm.WasmModule parsed) {
        try {
            // SILENT: a function too large for one JVM method is interpreted without printing to
            // stderr; the execution listener still polices it.
            return MachineFactoryCompiler.builder(parsed)
                    .withInterpreterFallback(InterpreterFallback.SILENT)
                    .compile();
        } catch (RuntimeException | StackOverflowError | AssertionError e) {
            throw new WasmCompileException("the Chicory compiler could not translate the module to JVM"
                    + " bytecode: " + e, e);
        }
    }

    /**
     * The module rewritten to count its own fuel, so that fuel-limited instances run compiled too;
     * compiled once per module, on the first such instance.
     *
     * @param wasm the module as deployed
     * @return the metered form, or null when the module uses something the rewriter or the
     *         compiler cannot handle (its fuel-limited instances are then interpreted, as before)
     */
    static ChicoryModule.MeteredForm meter(byte[] wasm) {
        try {
            // The fuel global alone: the engine reaches it directly, and Chicory's compiler names
            // generated methods after exports, so the wrapper exports could collide there.
            FuelMetering.Metered metered = FuelMetering.instrument(wasm);
            com.dylibso.chicory.wasm.WasmModule parsed = Parser.parse(metered.bytes());
            return new ChicoryModule.MeteredForm(parsed, translate(parsed), metered.fuelGlobal());
        } catch (RuntimeException | StackOverflowError | AssertionError | LinkageError e) {
            return null;
        }
    }

    private static boolean regionEquals(byte[] bytes, int offset, byte[] expected) {
        for (int i = 0; i < expected.length; i++) {
            if (bytes[offset + i] != expected[i]) {
                return false;
            }
        }
        return true;
    }

    private static String hex(byte[] bytes, int offset, int length) {
        StringBuilder b = new StringBuilder();
        for (int i = offset; i < offset + length; i++) {
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(String.format(Locale.ROOT, "%02x", bytes[i] & 0xff));
        }
        return b.toString();
    }

    /**
     * The Chicory version, from its module descriptor on the module path or its Maven metadata on
     * the class path, so the description stays right when the dependency is upgraded.
     */
    private static String chicoryVersion() {
        ModuleDescriptor descriptor = Instance.class.getModule().getDescriptor();
        if (descriptor != null && descriptor.rawVersion().isPresent()) {
            return descriptor.rawVersion().get();
        }
        try (InputStream in = Instance.class.getResourceAsStream(
                "/META-INF/maven/com.dylibso.chicory/runtime/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", "(unknown version)");
            }
        } catch (IOException e) {
            // The version only decorates a description; fall through.
        }
        return "(unknown version)";
    }
}
