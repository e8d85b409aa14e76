package dev.caxton.testkit.spec;

import dev.caxton.spi.engine.LinkingEngine;
import dev.caxton.spi.engine.WasmEngine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Runs the official WebAssembly core spec tests against any engine, through the engine SPI only.
 *
 * <p>The suite directory holds {@code json/NAME/NAME.json} for each script, as {@code wast2json}
 * writes it, next to the {@code .wasm} and {@code .wat} files the commands name. Every command is
 * run and ends {@link Outcome#PASSED passed}, {@link Outcome#FAILED failed} or
 * {@link Outcome#SKIPPED skipped}:
 * <ul>
 *   <li>{@code module} compiles and instantiates, with a {@code spectest} module built from the
 *       SPI's host imports and the instances registered so far; {@code register} makes an
 *       instance importable under a name;</li>
 *   <li>{@code assert_return} and {@code action} invoke an export or read an exported global, and
 *       compare results exactly (floats by bits), or against {@code nan:canonical} and
 *       {@code nan:arithmetic};</li>
 *   <li>{@code assert_trap} and {@code assert_exhaustion} expect a {@code WasmTrapException};
 *       {@code assert_invalid} and {@code assert_malformed} a {@code WasmCompileException};
 *       {@code assert_unlinkable} a {@code WasmLinkException}; {@code assert_uninstantiable} a trap
 *       while instantiating;</li>
 *   <li>skipped: modules in the text format, and commands whose values the SPI cannot carry
 *       ({@code funcref}, {@code externref}, {@code v128}), each with the precise reason;</li>
 *   <li>a module that fails makes the commands using it fail too (with a reason naming it);</li>
 *   <li>a skipped call may have changed its instance (filled a table, say), so a later command on
 *       that instance that fails is reported as skipped, "outcome unreliable", naming the skipped
 *       command; one that passes still counts as passed.</li>
 * </ul>
 *
 * <p>Every instance gets an execution timeout; should the engine not stop a call, the runner gives
 * up waiting after twice that, abandons the thread and fails the script's remaining commands, so a
 * hang never stalls the suite.
 *
 * <pre>{@code
 * SuiteResult r = SpecSuite.builder(engine, Path.of("shared/wasm-spec")).build().run();
 * r.writeReport(Path.of("target/spec.txt"));
 * }</pre>
 */
public final class SpecSuite {

    private final WasmEngine engine;
    private final Path suite;
    private final List<String> scripts;
    private final Duration commandTimeout;
    private final int parallelism;
    private final long stackSize;
    private final long fuel;

    private SpecSuite(Builder b) {
        this.engine = b.engine;
        this.suite = b.suite;
        this.commandTimeout = b.commandTimeout;
        this.parallelism = b.parallelism;
        this.stackSize = b.stackSize;
        this.fuel = b.fuel;
        List<String> available = available(b.suite);
        if (b.scripts == null) {
            this.scripts = available;
        } else {
            List<String> unknown = b.scripts.stream().filter(s -> !available.contains(s)).toList();
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("no such script(s) in " + b.suite + ": " + unknown
                        + "; available: " + available);
            }
            this.scripts = b.scripts.stream().distinct().sorted().toList();
        }
    }

    /**
     * Starts a suite.
     *
     * @param engine the engine under test, a {@link LinkingEngine} (the scripts link modules to
     *               host globals, memories, tables and each other); the suite uses it but does not
     *               close it
     * @param suite  the suite directory (the one holding {@code json/})
     * @return a builder
     * @throws IllegalArgumentException when the engine does not implement {@link LinkingEngine}
     */
    public static Builder builder(WasmEngine engine, Path suite) {
        if (!(engine instanceof LinkingEngine)) {
            throw new IllegalArgumentException("the WebAssembly spec suite needs an engine that links host globals, "
                    + "memories, tables and other instances; " + engine.features().description()
                    + " does not implement dev.caxton.spi.engine.LinkingEngine");
        }
        return new Builder(engine, suite);
    }

    /**
     * The scripts of a suite directory.
     *
     * @param suite the suite directory (the one holding {@code json/})
     * @return the script names, sorted
     * @throws IllegalArgumentException when the directory holds no converted scripts
     */
    public static List<String> available(Path suite) {
        Path json = suite.resolve("json");
        if (!Files.isDirectory(json)) {
            throw new IllegalArgumentException(suite + " is not a spec suite directory: it has no json/ folder"
                    + " (expected json/NAME/NAME.json for each script, as wast2json writes)");
        }
        List<String> names;
        try (Stream<Path> dirs = Files.list(json)) {
            names = dirs.filter(d -> Files.isRegularFile(d.resolve(d.getFileName() + ".json")))
                    .map(d -> d.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot list " + json + ": " + e, e);
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException(json + " holds no scripts (expected NAME/NAME.json folders)");
        }
        return names;
    }

    /** @return the names of the scripts this suite runs, sorted */
    public List<String> scripts() {
        return scripts;
    }

    /**
     * Runs the scripts, {@code parallelism} at a time.
     *
     * @return the results, scripts in name order
     */
    public SuiteResult run() {
        long start = System.nanoTime();
        List<ScriptResult> results = new ArrayList<>(scripts.size());
        ExecutorService pool = Executors.newFixedThreadPool(parallelism, r -> {
            Thread t = new Thread(r, "caxton-spec-suite");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<ScriptResult>> futures = new ArrayList<>();
            for (String name : scripts) {
                futures.add(pool.submit(() -> runScript(name)));
            }
            for (Future<ScriptResult> f : futures) {
                results.add(f.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running the spec suite", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the spec runner failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
        return new SuiteResult(engine.features().description(), suite, results,
                Duration.ofNanos(System.nanoTime() - start));
    }

    private ScriptResult runScript(String name) {
        long start = System.nanoTime();
        Path file = suite.resolve("json").resolve(name).resolve(name + ".json");
        List<CommandResult> commands;
        try {
            Script script = Script.read(name, file);
            commands = new ScriptRunner(engine, script, commandTimeout, stackSize, fuel).run();
        } catch (IOException | IllegalArgumentException e) {
            // A broken script file is one failure, visible in the report, not an aborted run.
            commands = List.of(new CommandResult("0", "script", Outcome.FAILED, "cannot read " + file + ": " + e.getMessage()));
        }
        return new ScriptResult(name, commands, Duration.ofNanos(System.nanoTime() - start));
    }

    /** Configures a suite run. */
    public static final class Builder {
        private final WasmEngine engine;
        private final Path suite;
        private Collection<String> scripts;
        private Duration commandTimeout = Duration.ofSeconds(20);
        private int parallelism = 1;
        private long stackSize = 2L << 20;
        private long fuel;

        private Builder(WasmEngine engine, Path suite) {
            this.engine = Objects.requireNonNull(engine, "engine");
            this.suite = Objects.requireNonNull(suite, "suite");
        }

        /**
         * Runs only some scripts (all by default).
         *
         * @param names script names, e.g. {@code i32}
         * @return this builder
         */
        public Builder scripts(Collection<String> names) {
            this.scripts = List.copyOf(names);
            return this;
        }

        /**
         * The execution timeout of every instance (20 s by default); the runner abandons a command
         * after twice this plus a second.
         *
         * @param timeout a positive duration
         * @return this builder
         */
        public Builder commandTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("the command timeout must be positive, got " + timeout);
            }
            this.commandTimeout = timeout;
            return this;
        }

        /**
         * How many scripts run at once (1 by default); the engine must be thread-safe, as the SPI
         * requires.
         *
         * @param scripts at least 1
         * @return this builder
         */
        public Builder parallelism(int scripts) {
            if (scripts < 1) {
                throw new IllegalArgumentException("parallelism must be at least 1, got " + scripts);
            }
            this.parallelism = scripts;
            return this;
        }

        /**
         * The stack size of the threads that call the engine (2 MiB by default). It bounds guest
         * recursion on engines that recurse on the Java stack, and native engines run guest code
         * on it too, so it must leave them room for their own stack limit (wasmtime's default is
         * 512 KiB). Larger stacks make the suite's stack-exhaustion tests slower on interpreters.
         *
         * @param bytes at least 64 KiB
         * @return this builder
         */
        public Builder stackSize(long bytes) {
            if (bytes < 64 * 1024) {
                throw new IllegalArgumentException("the stack size must be at least 64 KiB, got " + bytes);
            }
            this.stackSize = bytes;
            return this;
        }

        /**
         * A fuel budget for every call (none by default). The suite's programs are meant to run
         * to completion, so a budget far above what they use checks that metering changes nothing
         * else about how modules behave; that is what it is for.
         *
         * @param budget the fuel per call; 0 for none
         * @return this builder
         * @throws IllegalArgumentException when the budget is negative, or the engine does not meter fuel
         */
        public Builder fuel(long budget) {
            if (budget < 0) {
                throw new IllegalArgumentException("the fuel budget cannot be negative, got " + budget);
            }
            if (budget > 0 && !engine.features().fuel()) {
                throw new IllegalArgumentException("the engine does not meter fuel: " + engine.features().description());
            }
            this.fuel = budget;
            return this;
        }

        /**
         * @return the suite
         * @throws IllegalArgumentException when the directory is not a suite or names an unknown script
         */
        public SpecSuite build() {
            return new SpecSuite(this);
        }
    }
}
