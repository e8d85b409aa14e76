package dev.caxton.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caxton.runtime.agent.AbiContract;
import dev.caxton.runtime.api.AgentLimits;
import dev.caxton.runtime.agent.ExtismKernel;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.runtime.plugin.Spi;
import dev.caxton.server.WatCompiler;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.WasmCompileException;
import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.spi.engine.WasmEngineProvider;
import dev.caxton.spi.engine.WasiConfig;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmModule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code caxton agent check FILE}: everything a deploy would refuse, found without a node and listed
 * at once: the module compiled by the engine a node would use, every ABI problem, then (when those
 * allow it) an instantiation under the default limits with inert host functions, which reads the
 * declared ABI version. {@code init} is not run: it may send messages.
 */
@Command(name = "check", description = "Checks a module offline against the agent ABI and reports every problem at once.")
final class AgentCheck implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private OutputOptions output;

    @Parameters(index = "0", paramLabel = "FILE", description = "The module: FILE.wasm or FILE.wat.")
    private Path file;

    @Option(names = "--engine", paramLabel = "NAME", description = "The engine to compile with (default: runtime.engine).")
    private String engine;

    @Option(names = "--permission", paramLabel = "FN", description = "A host function the agent will be granted (repeat; default: all).")
    private List<String> permissions;

    @Option(names = "--wasi", description = "Check it as it would deploy with --wasi: WASI preview 1 imports are allowed.")
    private boolean wasi;

    @Option(names = "--extism-function", paramLabel = "NAME",
            description = "Check it as an Extism plugin deployed with --extism-function NAME.")
    private String extismFunction;

    @Option(names = "--config", paramLabel = "FILE", description = "The configuration whose engine and default limits apply.")
    private Path config;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        CliContext ctx = CaxtonCommand.context(spec);
        PluginCatalog catalog = LocalSetup.catalog(ctx);
        CaxtonConfig cfg = LocalSetup.loadFile(config, ctx, catalog)
                .orElseGet(() -> CaxtonConfig.parse("defaults", "", catalog, new java.util.Properties()));
        List<String> problems = new ArrayList<>();
        byte[] bytes = bytes(ctx, problems);
        String engineName = engine == null ? cfg.providerName(Spi.ENGINE) : engine;
        Integer version = null;
        List<String> imports = List.of();
        if (bytes != null) {
            Path scratch;
            try {
                scratch = Files.createTempDirectory("caxton-check");
            } catch (IOException e) {
                throw new CliException("cannot create a scratch directory: " + e.getMessage());
            }
            try (WasmEngine wasm = engine(catalog, cfg, engineName, scratch)) {
                WasmModule module = wasm.compile(bytes);
                imports = module.imports().stream().map(i -> i.module() + "." + i.name()).toList();
                problems.addAll(extismFunction != null ? AbiContract.extismProblems(module,
                        permissions == null ? null : Set.copyOf(permissions), wasi, extismFunction)
                        : AbiContract.problems(module, permissions == null ? null : Set.copyOf(permissions), wasi));
                if (problems.isEmpty() && wasi && !wasm.features().wasi()) {
                    problems.add("the engine '" + engineName + "' offers no WASI (" + wasm.features().description()
                            + "); deploy on an engine that does or without --wasi");
                }
                if (problems.isEmpty() && extismFunction != null) {
                    instantiateExtism(module, cfg, problems, wasi);
                } else if (problems.isEmpty()) {
                    version = instantiate(module, cfg, problems, wasi);
                }
            } catch (WasmCompileException e) {
                problems.add("not a valid WebAssembly module: " + e.getMessage());
            } finally {
                delete(scratch);
            }
        }
        // Not a problem, but a deploy without the flag would fail every request at run time, far from here.
        String httpNote = extismFunction != null && imports.contains("extism:host/env.http_request")
                ? "it imports http_request: every request is refused unless it is deployed with --extism-allow-host HOST"
                        + " for each host it needs (a deliberate hole in the sandbox)" : null;
        if (output.json()) {
            ObjectNode r = Json.object().put("file", file.toString()).put("ok", problems.isEmpty()).put("engine", engineName);
            if (version != null) {
                r.put("abi_version", version);
            }
            if (extismFunction != null) {
                r.put("extism_function", extismFunction);
            }
            ArrayNode p = r.putArray("problems");
            problems.forEach(p::add);
            ArrayNode i = r.putArray("imports");
            imports.forEach(i::add);
            if (httpNote != null) {
                r.putArray("notes").add(httpNote);
            }
            Json.print(out, r);
        } else if (problems.isEmpty() && extismFunction != null) {
            out.println(file + ": ok (Extism plugin, function " + extismFunction + ", engine " + engineName + ", imports: "
                    + (imports.isEmpty() ? "none" : String.join(", ", imports)) + "); deploy it with"
                    + " caxton agent deploy " + file + " --name NAME --extism-function " + extismFunction
                    + (wasi ? " --wasi" : "") + " [--extism-config KEY=VALUE]..."
                    + (httpNote != null ? " [--extism-allow-host HOST]..." : ""));
            if (httpNote != null) {
                out.println("note: " + httpNote);
            }
        } else if (problems.isEmpty()) {
            out.println(file + ": ok (ABI v" + version + ", engine " + engineName + ", imports: "
                    + (imports.isEmpty() ? "none" : String.join(", ", imports)) + ")");
        } else {
            out.println(file + ": " + problems.size() + (problems.size() == 1 ? " problem" : " problems"));
            problems.forEach(p -> out.println("  - " + p));
        }
        return problems.isEmpty() ? 0 : 1;
    }

    private byte[] bytes(CliContext ctx, List<String> problems) {
        try {
            return binary(ctx, file);
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
            return null;
        }
    }

    /**
     * A module file as WebAssembly binary: a .wasm as it is, a .wat compiled by the installation's
     * WAT compiler.
     *
     * @param ctx  the process context (where the compiler lives)
     * @param file the module file
     * @return the binary
     * @throws IllegalArgumentException saying where, when the WAT text does not compile
     * @throws CliException             when the file cannot be read or there is no compiler
     */
    static byte[] binary(CliContext ctx, Path file) {
        ModuleFile m = ModuleFile.read(file);
        if (m.field().equals("wasm_module")) {
            return Base64.getDecoder().decode(m.value());
        }
        WatCompiler wat = WatCompiler.find(ctx.home())
                .orElseThrow(() -> new CliException(file + ": no WAT compiler in this installation (tools/wat); use the .wasm instead"));
        return wat.compile(m.value());
    }

    private static WasmEngine engine(PluginCatalog catalog, CaxtonConfig cfg, String name, Path scratch) {
        WasmEngineProvider p;
        try {
            p = catalog.select(Spi.ENGINE, name, WasmEngineProvider.class);
        } catch (RuntimeException e) {
            throw new CliException("--engine: " + e.getMessage());
        }
        p.unsupportedReason().ifPresent(why -> {
            throw new CliException("the engine '" + name + "' cannot run here: " + why);
        });
        return p.create(new ProviderContext(cfg.providerConfig(Spi.ENGINE, name), scratch, "check"));
    }

    /** Instantiates under the default limits with host functions that do nothing; returns the ABI version. */
    private static Integer instantiate(WasmModule module, CaxtonConfig cfg, List<String> problems, boolean wasi) {
        List<HostFunction> inert = new ArrayList<>();
        AbiContract.HOST_FUNCTIONS.forEach((fn, type) -> inert.add(new HostFunction(AbiContract.HOST_MODULE, fn, type,
                (mem, args) -> type.results().isEmpty() ? new long[0] : new long[] {0})));
        AgentLimits limits = new AgentLimits(cfg.size("agents.default_limits.memory"),
                cfg.duration("agents.default_limits.execution_timeout"), cfg.integer("agents.default_limits.fuel"));
        // A WASI module's output during the check goes nowhere: only whether it links matters here.
        WasiConfig sandbox = wasi ? new WasiConfig(List.of(), java.util.Map.of(), java.io.OutputStream.nullOutputStream(),
                java.io.OutputStream.nullOutputStream()) : null;
        try (WasmInstance inst = module.instantiate(Imports.of(inert), limits.toInstanceLimits(), sandbox)) {
            if (inst.exportedFunction(AbiContract.ABI_VERSION).isEmpty()) {
                return 1;
            }
            int v = (int) inst.call(AbiContract.ABI_VERSION)[0];
            if (!AbiContract.VERSIONS.contains(v)) {
                problems.add("the module declares ABI version " + v + " (" + AbiContract.ABI_VERSION
                        + "); nodes speak versions 1 and 2");
            }
            return v;
        } catch (RuntimeException e) {
            problems.add("cannot be instantiated under the default limits (agents.default_limits, memory "
                    + cfg.size("agents.default_limits.memory") + " bytes): " + e.getMessage());
            return null;
        }
    }

    /** Instantiates an Extism plugin with a kernel of its own under the default limits; nothing is called. */
    private static void instantiateExtism(WasmModule module, CaxtonConfig cfg, List<String> problems, boolean wasi) {
        long memory = cfg.size("agents.default_limits.memory");
        AgentLimits limits = new AgentLimits(memory, cfg.duration("agents.default_limits.execution_timeout"),
                cfg.integer("agents.default_limits.fuel"));
        ExtismKernel kernel = new ExtismKernel(memory, java.util.Map.of(), (level, line) -> { });
        WasiConfig sandbox = wasi ? new WasiConfig(List.of(), java.util.Map.of(), java.io.OutputStream.nullOutputStream(),
                java.io.OutputStream.nullOutputStream()) : null;
        List<HostFunction> fns = new ArrayList<>(kernel.hostFunctions());
        ExtismKernel.USER_FUNCTIONS.forEach((fn, type) -> fns.add(new HostFunction(ExtismKernel.USER_MODULE, fn, type,
                (mem, args) -> type.results().isEmpty() ? new long[0] : new long[] {0})));
        try (WasmInstance inst = module.instantiate(Imports.of(fns), limits.toInstanceLimits(), sandbox)) {
            // Linking is the check: calling the function would run the plugin's code.
        } catch (RuntimeException e) {
            problems.add("cannot be instantiated under the default limits (agents.default_limits, memory "
                    + memory + " bytes): " + e.getMessage());
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // A scratch directory left in the temp folder is harmless.
        }
    }
}
