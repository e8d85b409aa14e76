package dev.caxton.testkit.spec;

import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.ImportDescriptor;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.ValueType;
import dev.caxton.spi.engine.WasmCompileException;
import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.spi.engine.WasmException;
import dev.caxton.spi.engine.WasmFuelExhaustedException;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmLinkException;
import dev.caxton.spi.engine.WasmModule;
import dev.caxton.spi.engine.WasmTimeoutException;
import dev.caxton.spi.engine.WasmTrapException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs the commands of one script against an engine, keeping the script's state: the latest
 * module, the named ones and the registered ones.
 *
 * <p>Failure classes are checked, not messages: an {@code assert_trap} passes on any
 * {@link WasmTrapException} other than a timeout or fuel exhaustion, an {@code assert_invalid} on
 * any {@link WasmCompileException}, and so on. Engines word their messages as they like, so the
 * spec's expected text is only quoted in failure reasons.
 */
final class ScriptRunner {

    /** A module command's product, as later commands find it. */
    private sealed interface Loaded permits Ready, Unavailable {
    }

    /** An instantiated module. */
    private record Ready(WasmInstance instance) implements Loaded {
    }

    /** A module that was skipped or failed; commands using it end the same way. */
    private record Unavailable(int line, Outcome outcome, String reason) implements Loaded {
        CommandResult propagate(Script.Command c) {
            String why = outcome == Outcome.SKIPPED
                    ? "uses the module of line " + line + ", which was skipped (" + reason + ")"
                    : "uses the module of line " + line + ", which failed";
            return new CommandResult(c.key(), c.type(), outcome, why);
        }
    }

    /**
     * What an engine call produced: results (with their types, when known), what it threw, or a
     * result decided before or instead of the call.
     */
    private record Performed(long[] results, List<ValueType> types, Throwable thrown, CommandResult early) {
        Performed(long[] results, Throwable thrown, CommandResult early) {
            this(results, List.of(), thrown, early);
        }

        static Performed early(CommandResult r) {
            return new Performed(null, null, r);
        }
    }

    private final WasmEngine engine;
    private final Script script;
    private final Duration commandTimeout;
    private final Duration deadline;
    private final InstanceLimits limits;
    private final Worker worker;

    private Loaded current;
    private final Map<String, Loaded> named = new HashMap<>();
    private final Map<String, WasmInstance> registered = new LinkedHashMap<>();
    // Names whose registration failed, with the line, to explain the link errors that follow.
    private final Map<String, Integer> unregistered = new HashMap<>();
    private final List<WasmInstance> instances = new ArrayList<>();
    // Instances a skipped call may have changed: the line of the first such call, by instance.
    private final Map<WasmInstance, Integer> tainted = new IdentityHashMap<>();
    // Whether the current command's call ran guest code (returned or trapped), as opposed to the
    // engine refusing it; only results of code that ran can depend on an instance's state.
    private boolean executed;

    /**
     * @param engine         the engine
     * @param script         the script
     * @param commandTimeout the execution timeout each instance gets; the runner stops waiting for
     *                       a command after twice this (plus a second), in case the engine does not
     *                       enforce it
     * @param stackSize      the worker thread's stack size in bytes
     * @param fuel           the fuel budget of every call; 0 for none
     */
    ScriptRunner(WasmEngine engine, Script script, Duration commandTimeout, long stackSize, long fuel) {
        this.engine = engine;
        this.script = script;
        this.commandTimeout = commandTimeout;
        this.deadline = commandTimeout.multipliedBy(2).plusSeconds(1);
        // No memory limit beyond WebAssembly's own: the suite checks the engine, not Caxton's quotas.
        this.limits = new InstanceLimits(1L << 32, commandTimeout, fuel);
        this.worker = new Worker(script.name(), stackSize);
    }

    /**
     * Runs every command.
     *
     * @return one result per command
     */
    List<CommandResult> run() {
        List<CommandResult> results = new ArrayList<>(script.commands().size());
        String hung = null;
        try {
            for (Script.Command c : script.commands()) {
                if (hung != null) {
                    results.add(new CommandResult(c.key(), c.type(), Outcome.FAILED, "not run: " + hung));
                    continue;
                }
                CommandResult r = command(c);
                results.add(r);
                if (worker.abandoned()) {
                    hung = "the command of line " + c.line() + " hung and its thread was abandoned";
                }
            }
        } finally {
            closeInstances();
            worker.close();
        }
        return results;
    }

    private CommandResult command(Script.Command c) {
        executed = false;
        CommandResult r = dispatch(c);
        if (c.action() == null) {
            return r;
        }
        WasmInstance target = resolve(c, c.action().module()) instanceof Ready ready ? ready.instance() : null;
        if (target == null) {
            return r;
        }
        if (r.outcome() == Outcome.SKIPPED) {
            // The skipped call might have changed the instance (filled a table, grown it), so
            // later results on it are no longer the spec's to judge.
            tainted.putIfAbsent(target, c.line());
        } else if (r.outcome() == Outcome.FAILED && executed && tainted.containsKey(target) && !worker.abandoned()) {
            // A hang stays a failure: no state explains an engine that cannot be stopped.
            return new CommandResult(c.key(), c.type(), Outcome.SKIPPED, "outcome unreliable: the module's state"
                    + " depends on the skipped command of line " + tainted.get(target) + " (it failed: " + r.reason() + ")");
        }
        return r;
    }

    private CommandResult dispatch(Script.Command c) {
        return switch (c.type()) {
            case "module" -> module(c);
            case "register" -> register(c);
            case "assert_return" -> assertReturn(c);
            case "action" -> action(c);
            case "assert_trap", "assert_exhaustion" -> assertTrap(c);
            case "assert_invalid", "assert_malformed" -> assertRejected(c);
            case "assert_unlinkable" -> assertInstantiationFails(c, true);
            case "assert_uninstantiable" -> assertInstantiationFails(c, false);
            default -> new CommandResult(c.key(), c.type(), Outcome.SKIPPED,
                    "command type " + c.type() + " is unknown to the runner");
        };
    }

    // ---- modules

    private CommandResult module(Script.Command c) {
        String text = textFormat(c);
        CommandResult result = text != null
                ? new CommandResult(c.key(), c.type(), Outcome.SKIPPED, text)
                : instantiate(c);
        Loaded loaded = result.outcome() == Outcome.PASSED
                ? new Ready(instances.getLast())
                : new Unavailable(c.line(), result.outcome(), result.reason());
        current = loaded;
        if (c.name() != null) {
            named.put(c.name(), loaded);
        }
        return result;
    }

    /** Compiles and instantiates a module command's module; on success the instance is the last of {@link #instances}. */
    private CommandResult instantiate(Script.Command c) {
        byte[] wasm;
        try {
            wasm = read(c);
        } catch (IOException e) {
            return fail(c, e.getMessage());
        }
        Performed p = onWorker(c, () -> {
            WasmModule m;
            try {
                m = engine.compile(wasm);
            } catch (Throwable t) {
                return Performed.early(fail(c, "did not compile: " + describe(t)));
            }
            try {
                instances.add(m.instantiate(Spectest.imports(registered), limits));
                return new Performed(new long[0], null, null);
            } catch (Throwable t) {
                return Performed.early(fail(c, "did not instantiate" + unregisteredImports(m) + ": " + describe(t)));
            }
        });
        return p.early() != null ? p.early() : new CommandResult(c.key(), c.type(), Outcome.PASSED, "");
    }

    private CommandResult register(Script.Command c) {
        if (c.as() == null) {
            return new CommandResult(c.key(), c.type(), Outcome.FAILED, "register without a name to register as (\"as\")");
        }
        Object target = resolve(c, c.name());
        if (target instanceof CommandResult r) {
            unregistered.put(c.as(), c.line());
            return r;
        }
        unregistered.remove(c.as());
        registered.put(c.as(), ((Ready) target).instance());
        return new CommandResult(c.key(), c.type(), Outcome.PASSED, "");
    }

    /** Looks a module up: the named one, or the latest; a {@link CommandResult} when unusable. */
    private Object resolve(Script.Command c, String name) {
        Loaded l = name == null ? current : named.get(name);
        if (l == null) {
            return new CommandResult(c.key(), c.type(), Outcome.FAILED, name == null
                    ? "no module has been defined before this command" : "no module named " + name + " has been defined");
        }
        if (l instanceof Unavailable u) {
            return u.propagate(c);
        }
        return l;
    }

    // ---- actions

    private CommandResult assertReturn(Script.Command c) {
        Script.Action a = c.action();
        if (a == null) {
            return new CommandResult(c.key(), c.type(), Outcome.FAILED, "assert_return without an action");
        }
        String skip = Values.unsupported(a.args());
        if (skip == null) {
            skip = Values.unsupported(c.expected());
        }
        if (skip != null) {
            return new CommandResult(c.key(), c.type(), Outcome.SKIPPED, skip);
        }
        Performed p = perform(c, a, true);
        if (p.early() != null) {
            return p.early();
        }
        if (p.thrown() != null) {
            return fail(c, "expected " + Values.describeAll(c.expected()) + ", but " + describe(p.thrown()));
        }
        long[] got = p.results();
        if (got.length != c.expected().size()) {
            return fail(c, "expected " + c.expected().size() + " result(s), got " + got.length + ": "
                    + Values.describe(p.types(), got));
        }
        for (int i = 0; i < got.length; i++) {
            String mismatch = Values.mismatch(c.expected().get(i), got[i]);
            if (mismatch != null) {
                return fail(c, (got.length > 1 ? "result " + i + ": " : "") + mismatch);
            }
        }
        return new CommandResult(c.key(), c.type(), Outcome.PASSED, "");
    }

    private CommandResult action(Script.Command c) {
        Script.Action a = c.action();
        if (a == null) {
            return new CommandResult(c.key(), c.type(), Outcome.FAILED, "action command without an action");
        }
        String skip = Values.unsupported(a.args());
        if (skip != null) {
            return new CommandResult(c.key(), c.type(), Outcome.SKIPPED, skip);
        }
        Performed p = perform(c, a, false);
        if (p.early() != null) {
            return p.early();
        }
        if (p.thrown() != null) {
            return fail(c, describe(p.thrown()));
        }
        return new CommandResult(c.key(), c.type(), Outcome.PASSED, "");
    }

    private CommandResult assertTrap(Script.Command c) {
        Script.Action a = c.action();
        if (a == null) {
            return new CommandResult(c.key(), c.type(), Outcome.FAILED, c.type() + " without an action");
        }
        String skip = Values.unsupported(a.args());
        if (skip != null) {
            return new CommandResult(c.key(), c.type(), Outcome.SKIPPED, skip);
        }
        Performed p = perform(c, a, false);
        if (p.early() != null) {
            return p.early();
        }
        String wanted = c.type().equals("assert_exhaustion") ? "stack exhaustion" : "a trap";
        if (p.thrown() == null) {
            return fail(c, "expected " + wanted + " (\"" + c.text() + "\"), but it returned "
                    + Values.describe(p.types(), p.results()));
        }
        if (isTrap(p.thrown())) {
            return new CommandResult(c.key(), c.type(), Outcome.PASSED, "");
        }
        return fail(c, "expected " + wanted + " (\"" + c.text() + "\"), but " + describe(p.thrown()));
    }

    /** Runs an action on the worker, after checking the export against the script's values. */
    private Performed perform(Script.Command c, Script.Action a, boolean checkResults) {
        Object target = resolve(c, a.module());
        if (target instanceof CommandResult r) {
            return Performed.early(r);
        }
        WasmInstance instance = ((Ready) target).instance();
        return switch (a.type()) {
            case "invoke" -> {
                long[] args;
                try {
                    args = a.args().stream().mapToLong(Values::encode).toArray();
                } catch (IllegalArgumentException e) {
                    yield Performed.early(fail(c, "bad argument in the script: " + e.getMessage()));
                }
                yield onWorker(c, () -> {
                    FunctionType type;
                    try {
                        type = instance.exportedFunction(a.field()).orElse(null);
                    } catch (Throwable t) {
                        return new Performed(null, t, null);
                    }
                    if (type == null) {
                        return Performed.early(fail(c, "the module exports no function named \"" + a.field() + "\""));
                    }
                    List<ValueType> argTypes = a.args().stream().map(Values::type).toList();
                    if (!type.params().equals(argTypes)) {
                        return Performed.early(fail(c, "\"" + a.field() + "\" has the signature " + type
                                + ", but the script passes " + argTypes));
                    }
                    if (checkResults) {
                        List<ValueType> resultTypes = c.expected().stream().map(Values::type).toList();
                        if (!type.results().equals(resultTypes)) {
                            return Performed.early(fail(c, "\"" + a.field() + "\" has the signature " + type
                                    + ", but the script expects results " + resultTypes));
                        }
                    }
                    try {
                        long[] results = instance.call(a.field(), args);
                        executed = true;
                        return new Performed(results, type.results(), null, null);
                    } catch (Throwable t) {
                        executed = t instanceof WasmException;
                        return new Performed(null, t, null);
                    }
                });
            }
            case "get" -> onWorker(c, () -> {
                try {
                    long value = instance.global(a.field());
                    executed = true;
                    return new Performed(new long[] {value}, null, null);
                } catch (Throwable t) {
                    return new Performed(null, t, null);
                }
            });
            default -> Performed.early(new CommandResult(c.key(), c.type(), Outcome.SKIPPED,
                    "action type " + a.type() + " is unknown to the runner"));
        };
    }

    // ---- module assertions

    private CommandResult assertRejected(Script.Command c) {
        String text = textFormat(c);
        if (text != null) {
            return new CommandResult(c.key(), c.type(), Outcome.SKIPPED, text);
        }
        byte[] wasm;
        try {
            wasm = read(c);
        } catch (IOException e) {
            return fail(c, e.getMessage());
        }
        Performed p = onWorker(c, () -> {
            try {
                engine.compile(wasm);
                return new Performed(new long[0], null, null);
            } catch (Throwable t) {
                return new Performed(null, t, null);
            }
        });
        if (p.early() != null) {
            return p.early();
        }
        String kind = c.type().equals("assert_invalid") ? "invalid" : "malformed";
        if (p.thrown() == null) {
            return fail(c, "expected the module to be rejected as " + kind + " (\"" + c.text() + "\"), but it compiled");
        }
        if (p.thrown() instanceof WasmCompileException) {
            return new CommandResult(c.key(), c.type(), Outcome.PASSED, "");
        }
        return fail(c, "expected a compile error (\"" + c.text() + "\"), but " + describe(p.thrown()));
    }

    private CommandResult assertInstantiationFails(Script.Command c, boolean link) {
        String text = textFormat(c);
        if (text != null) {
            return new CommandResult(c.key(), c.type(), Outcome.SKIPPED, text);
        }
        byte[] wasm;
        try {
            wasm = read(c);
        } catch (IOException e) {
            return fail(c, e.getMessage());
        }
        String wanted = (link ? "a link error" : "a trap during instantiation") + " (\"" + c.text() + "\")";
        Performed p = onWorker(c, () -> {
            WasmModule m;
            try {
                m = engine.compile(wasm);
            } catch (Throwable t) {
                return Performed.early(fail(c, "the module should compile, but " + describe(t)));
            }
            try {
                instances.add(m.instantiate(Spectest.imports(registered), limits));
            } catch (Throwable t) {
                boolean ok = link ? t instanceof WasmLinkException : isTrap(t);
                return Performed.early(ok ? new CommandResult(c.key(), c.type(), Outcome.PASSED, "")
                        : fail(c, "expected " + wanted + unregisteredImports(m) + ", but " + describe(t)));
            }
            return Performed.early(fail(c, "expected " + wanted + ", but the module instantiated"));
        });
        return p.early();
    }

    // ---- helpers

    /**
     * Names the failed registrations a module imports from, so that a link error caused by an
     * earlier failure says so.
     *
     * @return e.g. {@code  (it imports from "test", which line 21 failed to register)}, or empty
     */
    private String unregisteredImports(WasmModule m) {
        if (unregistered.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        try {
            m.imports().stream().map(ImportDescriptor::module).distinct().filter(unregistered::containsKey)
                    .forEach(name -> b.append(b.isEmpty() ? " (it imports from " : ", ").append('"').append(name)
                            .append("\", which line ").append(unregistered.get(name)).append(" failed to register"));
        } catch (RuntimeException e) {
            // Only decorates a message; the failure itself is already recorded.
            return "";
        }
        return b.isEmpty() ? "" : b.append(')').toString();
    }

    /** Runs engine work on the worker thread; a hang becomes a failure of the command. */
    private Performed onWorker(Script.Command c, Supplier<Performed> task) {
        Performed p = worker.run(task, deadline);
        if (p == null) {
            return Performed.early(fail(c, "did not finish within " + seconds(deadline) + " (the instances'"
                    + " execution timeout is " + seconds(commandTimeout) + "); the runner abandoned it"));
        }
        return p;
    }

    /** A trap as the spec means it: not the runner's timeout and not fuel, which the suite never sets. */
    private static boolean isTrap(Throwable t) {
        return t instanceof WasmTrapException && !(t instanceof WasmTimeoutException)
                && !(t instanceof WasmFuelExhaustedException);
    }

    private static String textFormat(Script.Command c) {
        boolean text = "text".equals(c.moduleType()) || (c.filename() != null && c.filename().endsWith(".wat"));
        return text ? "text format" : null;
    }

    private byte[] read(Script.Command c) throws IOException {
        if (c.filename() == null) {
            throw new IOException(c.type() + " without a module file (\"filename\")");
        }
        Path file = script.directory().resolve(c.filename());
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IOException("cannot read the module file " + file + ": " + e, e);
        }
    }

    private static CommandResult fail(Script.Command c, String reason) {
        return new CommandResult(c.key(), c.type(), Outcome.FAILED, reason);
    }

    /** An exception for reasons: the SPI class and message, and a warning for anything not a WasmException. */
    static String describe(Throwable t) {
        String what = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        if (t instanceof WasmException || t instanceof IllegalArgumentException || t instanceof IllegalStateException) {
            return "got " + what;
        }
        return "the engine let " + t.getClass().getName() + " escape (the SPI promises WasmException): " + what;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private void closeInstances() {
        if (worker.abandoned()) {
            // A thread may still be inside one of them; leave them to the engine's close.
            return;
        }
        worker.run(() -> {
            for (WasmInstance i : instances.reversed()) {
                try {
                    i.close();
                } catch (RuntimeException e) {
                    // Closing is best effort: the results are already recorded.
                }
            }
            return null;
        }, deadline);
    }
}
