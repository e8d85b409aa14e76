package dev.caxton.runtime.agent;

import dev.caxton.runtime.api.DeployException;
import dev.caxton.spi.engine.ExportDescriptor;
import dev.caxton.spi.engine.ExternKind;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.ImportDescriptor;
import dev.caxton.spi.engine.ValueType;
import dev.caxton.spi.engine.WasiConfig;
import dev.caxton.spi.engine.WasmModule;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The guest ABI (versions 1 and 2) as checks on a compiled module: which exports it must and may have, with which
 * signatures, and which imports it may ask for. A module that fails a check is refused at deploy
 * time with a message naming the export or import.
 */
public final class AbiContract {

    /** The import module name of every host function. */
    public static final String HOST_MODULE = "caxton";

    /** {@code memory}: the agent's linear memory (required). */
    public static final String MEMORY = "memory";
    /** {@code alloc(size) -> ptr} (required). */
    public static final String ALLOC = "alloc";
    /** {@code handle_message(ptr, len) -> i64} (required). */
    public static final String HANDLE_MESSAGE = "handle_message";
    /** {@code init() -> i32} (optional). */
    public static final String INIT = "init";
    /** {@code shutdown() -> i32} (optional). */
    public static final String SHUTDOWN = "shutdown";
    /** {@code dealloc(ptr, size)} (optional). */
    public static final String DEALLOC = "dealloc";
    /**
     * {@code caxton_abi_version() -> i32} (optional): the ABI version the module was written for.
     * Absent means 1, so modules written before versions existed keep their behaviour.
     */
    public static final String ABI_VERSION = "caxton_abi_version";
    /** {@code _start}: a WASI command's entry point, which is never called. */
    public static final String WASI_START = "_start";
    /** The ABI versions this runtime speaks. */
    public static final Set<Integer> VERSIONS = Set.of(1, 2);

    /** {@code send_message(ptr, len) -> i32}. */
    public static final String SEND_MESSAGE = "send_message";
    /** {@code log(level, ptr, len)}. */
    public static final String LOG = "log";
    /** {@code now_millis() -> i64}. */
    public static final String NOW_MILLIS = "now_millis";
    /** {@code register_capability(ptr, len) -> i32}. */
    public static final String REGISTER_CAPABILITY = "register_capability";
    /** {@code set_timer(delay_ms: i64, tag_ptr, tag_len) -> i64}: a message to the agent itself later. */
    public static final String SET_TIMER = "set_timer";
    /** {@code cancel_timer(id: i64) -> i32}. */
    public static final String CANCEL_TIMER = "cancel_timer";

    private static final FunctionType I32_TO_I32 = sig(List.of(ValueType.I32), List.of(ValueType.I32));
    private static final FunctionType I32_I32_TO_I64 = sig(List.of(ValueType.I32, ValueType.I32), List.of(ValueType.I64));
    private static final FunctionType TO_I32 = sig(List.of(), List.of(ValueType.I32));
    private static final FunctionType I32_I32_TO_NONE = sig(List.of(ValueType.I32, ValueType.I32), List.of());

    /** The signature of each host function. */
    public static final Map<String, FunctionType> HOST_FUNCTIONS;

    static {
        Map<String, FunctionType> m = new LinkedHashMap<>();
        m.put(SEND_MESSAGE, sig(List.of(ValueType.I32, ValueType.I32), List.of(ValueType.I32)));
        m.put(LOG, sig(List.of(ValueType.I32, ValueType.I32, ValueType.I32), List.of()));
        m.put(NOW_MILLIS, sig(List.of(), List.of(ValueType.I64)));
        m.put(REGISTER_CAPABILITY, sig(List.of(ValueType.I32, ValueType.I32), List.of(ValueType.I32)));
        m.put(SET_TIMER, sig(List.of(ValueType.I64, ValueType.I32, ValueType.I32), List.of(ValueType.I64)));
        m.put(CANCEL_TIMER, sig(List.of(ValueType.I64), List.of(ValueType.I32)));
        HOST_FUNCTIONS = java.util.Collections.unmodifiableMap(m);
    }

    private AbiContract() {
    }

    private static FunctionType sig(List<ValueType> p, List<ValueType> r) {
        return new FunctionType(p, r);
    }

    /**
     * Checks a module against the ABI.
     *
     * @param module      the compiled module
     * @param permissions the host functions this agent is granted, or null for all
     * @throws DeployException naming the first export or import at fault
     */
    public static void check(WasmModule module, Set<String> permissions) {
        check(module, permissions, false);
    }

    /**
     * Checks a module against the ABI, with or without a sandboxed WASI.
     *
     * @param module      the compiled module
     * @param permissions the host functions this agent is granted, or null for all
     * @param wasi        whether the agent is deployed with WASI, which allows function imports
     *                    from {@code wasi_snapshot_preview1}
     * @throws DeployException naming the first export or import at fault
     */
    public static void check(WasmModule module, Set<String> permissions, boolean wasi) {
        check(module, permissions, wasi, null);
    }

    /**
     * Checks a module as a Caxton agent, or as an Extism plugin when {@code extismFunction} is given.
     *
     * @param module         the compiled module
     * @param permissions    the host functions this agent is granted, or null for all
     * @param wasi           whether the agent is deployed with WASI
     * @param extismFunction the Extism plugin's function that handles each message, or null for a Caxton agent
     * @throws DeployException naming the first export or import at fault
     */
    public static void check(WasmModule module, Set<String> permissions, boolean wasi, String extismFunction) {
        List<String> problems = extismFunction == null ? problems(module, permissions, wasi)
                : extismProblems(module, permissions, wasi, extismFunction);
        if (!problems.isEmpty()) {
            throw refuse(problems.getFirst());
        }
    }

    /**
     * Every way a module breaks the ABI, in the order {@link #check} meets them, so that an author
     * sees all of them at once ({@code caxton agent check}). Modules built for another host (WASI,
     * Extism, AssemblyScript's default {@code abort}) are named as such, with what to do instead.
     *
     * @param module      the compiled module
     * @param permissions the host functions this agent is granted, or null for all
     * @return the problems, empty when the module may be deployed
     */
    public static List<String> problems(WasmModule module, Set<String> permissions) {
        return problems(module, permissions, false);
    }

    /**
     * Every way a module breaks the ABI, with or without a sandboxed WASI.
     *
     * @param module      the compiled module
     * @param permissions the host functions this agent is granted, or null for all
     * @param wasi        whether the agent is deployed with WASI
     * @return the problems, empty when the module may be deployed
     */
    public static List<String> problems(WasmModule module, Set<String> permissions, boolean wasi) {
        List<String> out = new java.util.ArrayList<>();
        List<String> extism = module.imports().stream().filter(i -> i.module().startsWith("extism:"))
                .map(i -> i.module() + "." + i.name()).toList();
        if (!extism.isEmpty()) {
            // The ABI's other demands (alloc, handle_message) would only be noise for a plugin of another host.
            out.add("This is an Extism plugin (it imports " + String.join(", ", extism.stream().limit(3).toList())
                    + (extism.size() > 3 ? ", ..." : "") + "): deploy it with --extism-function NAME (API field"
                    + " \"extism_function\"), naming the exported function that handles each message; it exports "
                    + describeFunctions(module) + " (see docs/agent-guide.md, Extism plugins)");
            return out;
        }
        Optional<ExportDescriptor> memory = module.export(MEMORY);
        if (memory.isEmpty()) {
            out.add("Missing required export: 'memory'");
        } else if (memory.get().kind() != ExternKind.MEMORY) {
            out.add("Export 'memory' must be a memory, not a " + kindName(memory.get().kind()));
        }
        int before = out.size();
        checkFunction(module, ALLOC, I32_TO_I32, true, out);
        checkFunction(module, HANDLE_MESSAGE, I32_I32_TO_I64, true, out);
        if (out.size() > before && module.export(WASI_START).isPresent()) {
            out.add("The module exports '" + WASI_START + "', a WASI command's entry point, which Caxton never runs:"
                    + " an agent is called once per message, so build a reactor (clang -mexec-model=reactor, or"
                    + " a cdylib in Rust) that exports alloc and handle_message");
        }
        checkFunction(module, INIT, TO_I32, false, out);
        checkFunction(module, SHUTDOWN, TO_I32, false, out);
        checkFunction(module, DEALLOC, I32_I32_TO_NONE, false, out);
        checkFunction(module, ABI_VERSION, TO_I32, false, out);
        for (ImportDescriptor imp : module.imports()) {
            String what = "'" + imp.module() + "." + imp.name() + "'";
            if (wasi && imp.module().equals(WasiConfig.MODULE)) {
                if (imp.kind() != ExternKind.FUNCTION) {
                    out.add("Forbidden import: " + what + " must be imported as a function, not a " + kindName(imp.kind()));
                }
                // The engine's WASI checks the name and the signature when it links the instance.
                continue;
            }
            if (!imp.module().equals(HOST_MODULE) || !HOST_FUNCTIONS.containsKey(imp.name())) {
                out.add("Forbidden import: " + what + " (agents may import only "
                        + String.join(", ", HOST_FUNCTIONS.keySet().stream().map(n -> HOST_MODULE + "." + n).toList())
                        + "; there is no WASI, file system, network or clock access beyond these)" + hint(imp));
                continue;
            }
            if (imp.kind() != ExternKind.FUNCTION) {
                out.add("Forbidden import: " + what + " must be imported as a function, not a " + kindName(imp.kind()));
                continue;
            }
            FunctionType expected = HOST_FUNCTIONS.get(imp.name());
            if (!expected.equals(imp.type())) {
                out.add("Import " + what + " has signature " + imp.type() + "; the ABI defines " + expected);
                continue;
            }
            if (permissions != null && !permissions.contains(imp.name())) {
                out.add("Import " + what + " is not permitted for this agent (granted: "
                        + (permissions.isEmpty() ? "none" : String.join(", ", permissions.stream().sorted().toList())) + ")");
            }
        }
        return out;
    }

    /** The signature of an Extism plugin function: no parameters, an i32 result (0 for success). */
    public static final FunctionType EXTISM_FUNCTION = TO_I32;

    /**
     * The exported functions of a module, as {@code name, name (not callable: signature)}, for the
     * messages that tell an author which one to name with {@code --extism-function}.
     *
     * @param module the module
     * @return the list, or "no functions"
     */
    public static String describeFunctions(WasmModule module) {
        List<String> names = module.exports().stream().filter(e -> e.kind() == ExternKind.FUNCTION)
                .filter(e -> !e.name().startsWith("_"))
                .map(e -> EXTISM_FUNCTION.equals(e.type()) ? e.name() : e.name() + " (not callable by Extism: " + e.type() + ")")
                .toList();
        return names.isEmpty() ? "no functions" : String.join(", ", names);
    }

    /**
     * Every way a module fails as an Extism plugin run with {@code extismFunction}: it must export a
     * memory and the function ({@code () -> i32}), and import only the Extism kernel functions this
     * host offers (and WASI preview 1 when deployed with it).
     *
     * @param module         the compiled module
     * @param wasi           whether it is deployed with WASI
     * @param extismFunction the function each message calls
     * @return the problems, empty when it may be deployed
     */
    public static List<String> extismProblems(WasmModule module, boolean wasi, String extismFunction) {
        return extismProblems(module, null, wasi, extismFunction);
    }

    /**
     * Every way a module fails as an Extism plugin, with the host functions it is granted.
     *
     * @param module         the compiled module
     * @param permissions    the Caxton host functions it may import under {@code extism:host/user}, or null for all
     * @param wasi           whether it is deployed with WASI
     * @param extismFunction the function each message calls
     * @return the problems, empty when it may be deployed
     */
    public static List<String> extismProblems(WasmModule module, Set<String> permissions, boolean wasi,
                                              String extismFunction) {
        List<String> out = new java.util.ArrayList<>();
        Optional<ExportDescriptor> memory = module.export(MEMORY);
        if (memory.isEmpty() || memory.get().kind() != ExternKind.MEMORY) {
            out.add("Missing required export: 'memory' (an Extism plugin exports its linear memory)");
        }
        Optional<ExportDescriptor> fn = module.export(extismFunction);
        if (fn.isEmpty() || fn.get().kind() != ExternKind.FUNCTION) {
            out.add("--extism-function '" + extismFunction + "': the plugin exports no function of that name; it exports "
                    + describeFunctions(module));
        } else if (!EXTISM_FUNCTION.equals(fn.get().type())) {
            out.add("--extism-function '" + extismFunction + "' has signature " + fn.get().type()
                    + "; an Extism plugin function takes nothing and returns an i32 (" + EXTISM_FUNCTION + ")");
        }
        for (ImportDescriptor imp : module.imports()) {
            String what = "'" + imp.module() + "." + imp.name() + "'";
            if (imp.kind() != ExternKind.FUNCTION) {
                out.add("Forbidden import: " + what + " must be imported as a function, not a " + kindName(imp.kind()));
                continue;
            }
            if (wasi && imp.module().equals(WasiConfig.MODULE)) {
                continue;
            }
            if (imp.module().equals(ExtismKernel.MODULE)) {
                FunctionType expected = ExtismKernel.FUNCTIONS.get(imp.name());
                if (expected == null) {
                    out.add("Forbidden import: " + what + " is not an Extism kernel function this host offers (it offers "
                            + String.join(", ", ExtismKernel.FUNCTIONS.keySet()) + ")");
                } else if (!expected.equals(imp.type())) {
                    out.add("Import " + what + " has signature " + imp.type() + "; the Extism kernel defines " + expected);
                }
                continue;
            }
            if (imp.module().equals(ExtismKernel.USER_MODULE)) {
                FunctionType expected = ExtismKernel.USER_FUNCTIONS.get(imp.name());
                if (expected == null) {
                    out.add("Forbidden import: " + what + " is not a host function Caxton offers plugins (it offers "
                            + String.join(", ", ExtismKernel.USER_FUNCTIONS.keySet().stream()
                                    .map(n -> ExtismKernel.USER_MODULE + "." + n).toList()) + ")");
                } else if (!expected.equals(imp.type())) {
                    out.add("Import " + what + " has signature " + imp.type() + "; Caxton offers it as " + expected);
                } else if (permissions != null && !permissions.contains(imp.name())) {
                    out.add("Import " + what + " is not permitted for this agent (granted: "
                            + (permissions.isEmpty() ? "none" : String.join(", ", permissions.stream().sorted().toList())) + ")");
                }
                continue;
            }
            out.add("Forbidden import: " + what + " (an Extism plugin may import the kernel, " + ExtismKernel.MODULE
                    + ", Caxton's host functions under " + ExtismKernel.USER_MODULE
                    + (wasi ? ", and " + WasiConfig.MODULE : "") + ")" + (imp.module().equals(WasiConfig.MODULE) ? hint(imp) : ""));
        }
        return out;
    }

    /** What a forbidden import says about how the module was built, and the fix. */
    private static String hint(ImportDescriptor imp) {
        if (imp.module().equals(WasiConfig.MODULE)) {
            return ". This is a WASI module: deploy with --wasi (API field \"wasi\": true) to give it a sandboxed WASI"
                    + " (output to the agent's log, clocks and random numbers; no files, network or environment),"
                    + " or build for a target without WASI (wasm32-unknown-unknown, or clang --target=wasm32 -nostdlib)";
        }
        if (imp.module().startsWith("wasi_")) {
            return ". This is a module for an older or newer WASI than preview 1 (" + WasiConfig.MODULE + "), which"
                    + " is the only one --wasi offers: rebuild it for wasm32-wasip1, or for a target without WASI";
        }
        if (imp.module().equals("env") && imp.name().equals("abort")) {
            return ". env.abort is AssemblyScript's default abort: compile with --use abort= (or your own abort"
                    + " that calls caxton.log)";
        }
        return "";
    }

    private static void checkFunction(WasmModule module, String name, FunctionType type, boolean required, List<String> out) {
        Optional<ExportDescriptor> e = module.export(name);
        if (e.isEmpty()) {
            if (required) {
                out.add("Missing required export: '" + name + "'");
            }
            return;
        }
        if (e.get().kind() != ExternKind.FUNCTION) {
            out.add("Export '" + name + "' must be a function, not a " + kindName(e.get().kind()));
        } else if (!type.equals(e.get().type())) {
            out.add("Export '" + name + "' has signature " + e.get().type() + "; the ABI requires " + type);
        }
    }

    private static String kindName(ExternKind k) {
        return k.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static DeployException refuse(String message) {
        return new DeployException(DeployException.Kind.INVALID_MODULE, message);
    }
}
