package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caxton.runtime.agent.AbiContract;
import dev.caxton.runtime.api.AgentLimits;
import dev.caxton.spi.Quantities;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code caxton agent}: deploy, list, inspect, undeploy and reload agents on a running node. */
@Command(name = "agent",
        description = "Deploy, list, inspect, undeploy and reload agents on a running node.")
final class AgentCommand {

    /** The codecs an agent may speak. */
    enum Codec {
        /** UTF-8 JSON envelopes (the default). */
        json,
        /** MessagePack envelopes. */
        msgpack
    }

    /** Fields shown first, in this order, under these labels; anything else follows as the server named it. */
    private static final Map<String, String> LABELS = orderedLabels();
    private static final Set<String> NESTED = Set.of("limits", "counters");

    /** {@code caxton agent deploy FILE --name NAME ...}. */
    @Command(name = "deploy", sortOptions = false,
            description = "Deploys an agent from a WebAssembly module: a .wasm binary, or a .wat text file the server compiles.")
    static final class Deploy extends ClientCommand {

        @Parameters(index = "0", paramLabel = "FILE", description = "The module: FILE.wasm or FILE.wat.")
        private Path file;

        @Option(names = "--name", required = true, paramLabel = "NAME", description = "The agent's name.")
        private String name;

        @Option(names = "--capability", paramLabel = "C",
                description = "A capability the agent offers (repeat for several).")
        private List<String> capabilities = new ArrayList<>();

        @Option(names = "--memory", paramLabel = "SIZE", converter = Quantity.Size.class,
                description = "Most linear memory the agent may hold, e.g. 10MB (default: the node's agents.default_limits.memory).")
        private Long memory;

        @Option(names = "--timeout", paramLabel = "DURATION", converter = Quantity.Time.class,
                description = "Longest one message may run, e.g. 5s; 0 disables (default: the node's setting).")
        private Duration timeout;

        @Option(names = "--fuel", paramLabel = "N",
                description = "Instructions one message may execute on engines that meter fuel; 0 means unmetered.")
        private Long fuel;

        @Option(names = "--cpu-share", paramLabel = "N",
                description = "Scheduling weight against the node's other agents, 1 to 1000; 300 gets about three times "
                        + "the worker time of 100 when both are busy (default: the node's agents.default_limits.cpu_share).")
        private Integer cpuShare;

        @Option(names = "--codec", paramLabel = "json|msgpack", description = "How the agent's envelopes are encoded (default json).")
        private Codec codec;

        @Option(names = "--engine", paramLabel = "NAME", description = "The WebAssembly engine (default: the node's runtime.engine).")
        private String engine;

        @Option(names = "--permission", paramLabel = "FN",
                description = "A host function the agent may import, e.g. send_message (repeat for several;"
                        + " default: all of them). Importing one not granted refuses the deployment.")
        private List<String> permissions;

        @Option(names = "--durable", negatable = true,
                description = "Checkpoint the agent's memory and globals after each message, so it comes back with its "
                        + "state after a restart or a crash (needs messaging.enable_persistence on the node; default: the "
                        + "node's agents.durable). --no-durable deploys without, whatever the node's default.")
        private Boolean durable;

        @Option(names = "--wasi",
                description = "Give the agent a sandboxed WASI preview 1 (wasi_snapshot_preview1): stdout and stderr go to "
                        + "its log, clocks and random numbers work; no files or network, and only the arguments and "
                        + "environment given with --wasi-arg and --wasi-env.")
        private boolean wasi;

        @Option(names = "--wasi-arg", paramLabel = "ARG",
                description = "A program argument the agent's WASI shows it (args_get), in the order given; repeatable. "
                        + "Needs --wasi.")
        private List<String> wasiArgs = new ArrayList<>();

        @Option(names = "--wasi-env", paramLabel = "NAME=VALUE",
                description = "An environment variable the agent's WASI shows it (environ_get, getenv); repeatable. "
                        + "Needs --wasi. The host's own environment is never passed on.")
        private List<String> wasiEnv = new ArrayList<>();

        @Option(names = "--extism-function", paramLabel = "NAME",
                description = "Run the module as an Extism plugin: each message's content is the input of this exported "
                        + "function and its output is the reply (see docs/agent-guide.md, Extism plugins).")
        private String extismFunction;

        // Not --config: every client command already takes --config FILE, the node's configuration.
        @Option(names = "--extism-config", paramLabel = "KEY=VALUE",
                description = "Configuration an Extism plugin reads with config_get (repeat for several; needs --extism-function).")
        private List<String> config = new ArrayList<>();

        @Option(names = "--extism-allow-host", paramLabel = "HOST",
                description = "A host the Extism plugin's http_request may reach (repeat for several; needs"
                        + " --extism-function). A deliberate hole in the sandbox: without it every request is refused.")
        private List<String> allowHosts = new ArrayList<>();

        private ObjectNode request;

        @Override
        void prepare() {
            checkName(name, "--name");
            for (String c : capabilities) {
                if (c.isBlank()) {
                    throw CliException.usage("--capability: a capability name cannot be empty");
                }
            }
            if (permissions != null && permissions.stream().anyMatch(String::isBlank)) {
                throw CliException.usage("--permission: a host function name cannot be empty");
            }
            if (fuel != null && fuel < 0) {
                throw CliException.usage("--fuel: must be 0 or more, got " + fuel);
            }
            if (cpuShare != null && (cpuShare < AgentLimits.MIN_CPU_SHARE || cpuShare > AgentLimits.MAX_CPU_SHARE)) {
                throw CliException.usage("--cpu-share: " + cpuShare + " is outside the allowed range "
                        + AgentLimits.MIN_CPU_SHARE + " to " + AgentLimits.MAX_CPU_SHARE);
            }
            if (memory != null && (memory < AgentLimits.MIN_MEMORY || memory > AgentLimits.MAX_MEMORY)) {
                throw CliException.usage("--memory: " + memory + " bytes is outside the allowed range "
                        + Quantities.formatSize(AgentLimits.MIN_MEMORY) + " to " + Quantities.formatSize(AgentLimits.MAX_MEMORY));
            }
            if (timeout != null && timeout.compareTo(AgentLimits.MAX_EXECUTION_TIMEOUT) > 0) {
                throw CliException.usage("--timeout: " + Quantities.formatDuration(timeout) + " is longer than the allowed "
                        + Quantities.formatDuration(AgentLimits.MAX_EXECUTION_TIMEOUT));
            }
            if (permissions != null) {
                for (String p : permissions) {
                    if (!AbiContract.HOST_FUNCTIONS.containsKey(p)) {
                        throw CliException.usage("--permission: unknown permission '" + p + "'; known permissions: "
                                + String.join(", ", AbiContract.HOST_FUNCTIONS.keySet()));
                    }
                }
            }
            if (engine != null && engine.isBlank()) {
                throw CliException.usage("--engine: the engine name is empty");
            }
            if (!wasi && (!wasiArgs.isEmpty() || !wasiEnv.isEmpty())) {
                throw CliException.usage((wasiArgs.isEmpty() ? "--wasi-env" : "--wasi-arg")
                        + ": arguments and environment are for WASI agents; add --wasi");
            }
            Map<String, String> environment = new LinkedHashMap<>();
            for (String e : wasiEnv) {
                int eq = e.indexOf('=');
                if (eq <= 0) {
                    throw CliException.usage("--wasi-env: expected NAME=VALUE, got '" + e + "'");
                }
                if (environment.put(e.substring(0, eq), e.substring(eq + 1)) != null) {
                    throw CliException.usage("--wasi-env: '" + e.substring(0, eq) + "' is given twice");
                }
            }
            ObjectNode body = Json.object().put("name", name);
            ModuleFile.read(file).putInto(body);
            ArrayNode caps = body.putArray("capabilities");
            capabilities.forEach(caps::add);
            ObjectNode limits = Json.object();
            if (memory != null) {
                limits.put("memory_bytes", memory);
            }
            if (timeout != null) {
                limits.put("execution_timeout_ms", timeout.toMillis());
            }
            if (fuel != null) {
                limits.put("fuel", fuel);
            }
            if (cpuShare != null) {
                limits.put("cpu_share", cpuShare);
            }
            if (!limits.isEmpty()) {
                body.set("limits", limits);
            }
            if (codec != null) {
                body.put("codec", codec.name());
            }
            if (engine != null) {
                body.put("engine", engine);
            }
            if (permissions != null) {
                ArrayNode granted = body.putArray("permissions");
                permissions.forEach(granted::add);
            }
            if (wasi) {
                body.put("wasi", true);
            }
            if (!wasiArgs.isEmpty()) {
                ArrayNode args = body.putArray("wasi_args");
                wasiArgs.forEach(args::add);
            }
            if (!environment.isEmpty()) {
                ObjectNode env = body.putObject("wasi_env");
                environment.forEach(env::put);
            }
            if (extismFunction != null) {
                if (extismFunction.isBlank()) {
                    throw CliException.usage("--extism-function: the function name is empty");
                }
                body.put("extism_function", extismFunction);
            } else if (!config.isEmpty() || !allowHosts.isEmpty()) {
                throw CliException.usage((config.isEmpty() ? "--extism-allow-host" : "--extism-config")
                        + ": this is for Extism plugins; give --extism-function NAME too");
            }
            if (!allowHosts.isEmpty()) {
                ArrayNode hosts = body.putArray("extism_allow_hosts");
                allowHosts.forEach(hosts::add);
            }
            if (!config.isEmpty()) {
                ObjectNode cfg = body.putObject("config");
                try {
                    dev.caxton.runtime.api.ExtismSettings.parseConfig(config).forEach(cfg::put);
                } catch (IllegalArgumentException e) {
                    throw CliException.usage(e.getMessage());
                }
            }
            if (durable != null) {
                body.put("durable", durable);
            }
            request = body;
        }

        @Override
        int run(ApiClient api, PrintWriter out) {
            JsonNode agent = api.post("/agents", request, ApiClient.REQUEST_TIMEOUT);
            if (json()) {
                Json.print(out, agent);
            } else {
                out.println("deployed agent " + agent.path("name").asText(name) + " (id " + Json.text(agent.path("id"))
                        + ", state " + Json.text(agent.path("state"))
                        + (agent.path("durable").asBoolean(false) ? ", durable" : "")
                        + (agent.path("wasi").asBoolean(false) ? ", wasi" : "") + ")");
            }
            return 0;
        }
    }

    /** {@code caxton agent list}. */
    @Command(name = "list", description = "Lists the agents deployed on the node.")
    static final class ListAgents extends ClientCommand {

        @picocli.CommandLine.Option(names = "--all", description = "Every node's agents, from the cluster directory, with the node each runs on.")
        private boolean all;

        @Override
        int run(ApiClient api, PrintWriter out) {
            JsonNode answer = api.get(all ? "/agents?all=true" : "/agents");
            if (json()) {
                Json.print(out, answer);
                return 0;
            }
            JsonNode agents = answer.path("agents");
            if (!agents.isArray()) {
                throw new CliException("the server's agent list has no \"agents\" array: " + Json.compact(answer));
            }
            if (agents.isEmpty()) {
                out.println("no agents deployed");
                return 0;
            }
            if (all) {
                TextTable table = new TextTable("NAME", "NODE", "CAPABILITIES");
                for (JsonNode a : agents) {
                    table.row(Json.text(a.path("name")), Json.text(a.path("node")), joined(a.path("capabilities")));
                }
                table.print(out);
                return 0;
            }
            TextTable table = new TextTable("NAME", "STATE", "CAPABILITIES", "HANDLED", "FAULTS");
            for (JsonNode a : agents) {
                table.row(Json.text(a.path("name")), Json.text(a.path("state")), joined(a.path("capabilities")),
                        Json.text(a.path("counters").path("messages_handled")), Json.text(a.path("counters").path("faults")));
            }
            table.print(out);
            return 0;
        }
    }

    /** {@code caxton agent inspect NAME}. */
    @Command(name = "inspect", description = "Shows everything the node knows about one agent: state, limits and counters.")
    static final class Inspect extends ClientCommand {

        @Parameters(index = "0", paramLabel = "NAME", description = "The agent.")
        private String name;

        @Override
        void prepare() {
            checkName(name, "NAME");
        }

        @Override
        int run(ApiClient api, PrintWriter out) {
            JsonNode agent = api.get("/agents/" + segment(name));
            if (json()) {
                Json.print(out, agent);
            } else {
                describe(agent, out);
            }
            return 0;
        }
    }

    /** {@code caxton agent undeploy NAME}. */
    @Command(name = "undeploy", description = "Stops an agent and removes it from the node.")
    static final class Undeploy extends ClientCommand {

        @Parameters(index = "0", paramLabel = "NAME", description = "The agent.")
        private String name;

        @Override
        void prepare() {
            checkName(name, "NAME");
        }

        @Override
        int run(ApiClient api, PrintWriter out) {
            JsonNode answer = api.delete("/agents/" + segment(name));
            if (json()) {
                // The server answers {"name","state"}; should a server answer without a body, scripts still get an object.
                Json.print(out, answer.isMissingNode() ? Json.object().put("name", name).put("undeployed", true) : answer);
            } else {
                out.println("undeployed agent " + name);
            }
            return 0;
        }
    }

    /** {@code caxton agent reload NAME FILE}. */
    @Command(name = "reload", description = "Replaces an agent's module, keeping its name, capabilities and limits.")
    static final class Reload extends ClientCommand {

        @Parameters(index = "0", paramLabel = "NAME", description = "The agent.")
        private String name;

        @Parameters(index = "1", paramLabel = "FILE", description = "The new module: FILE.wasm or FILE.wat.")
        private Path file;

        @Option(names = "--keep-state",
                description = "For a durable agent, keep its memory and globals although the module changed: the new "
                        + "module must read the old memory layout (without it, a changed module starts from its own "
                        + "initial state; an unchanged module always keeps the state).")
        private boolean keepState;

        private ObjectNode request;

        @Override
        void prepare() {
            checkName(name, "NAME");
            request = ModuleFile.read(file).putInto(Json.object());
            if (keepState) {
                request.put("keep_state", true);
            }
        }

        @Override
        int run(ApiClient api, PrintWriter out) {
            JsonNode answer = api.put("/agents/" + segment(name) + "/module", request);
            if (json()) {
                Json.print(out, answer.isMissingNode() ? Json.object().put("name", name).put("reloaded", true) : answer);
            } else {
                String state = answer.path("state").isMissingNode() ? "" : " (state " + Json.text(answer.path("state")) + ")";
                out.println("reloaded agent " + name + " from " + file + state);
            }
            return 0;
        }
    }

    private static void checkName(String name, String what) {
        if (name == null || name.isBlank()) {
            throw CliException.usage(what + ": the agent name is empty");
        }
    }

    private static String joined(JsonNode array) {
        if (!array.isArray() || array.isEmpty()) {
            return "-";
        }
        List<String> items = new ArrayList<>();
        array.forEach(n -> items.add(Json.text(n)));
        return String.join(",", items);
    }

    private static Map<String, String> orderedLabels() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("name", "name");
        m.put("id", "id");
        m.put("state", "state");
        m.put("engine", "engine");
        m.put("codec", "codec");
        m.put("capabilities", "capabilities");
        m.put("deployed_at", "deployed at");
        return m;
    }

    /**
     * Prints every field of an agent for a person: its identity first, then limits and counters,
     * then whatever else the server reports.
     *
     * @param agent the agent as the API returns it
     * @param out   where to print
     */
    static void describe(JsonNode agent, PrintWriter out) {
        List<String[]> lines = new ArrayList<>();
        LABELS.forEach((key, label) -> {
            if (agent.has(key)) {
                JsonNode v = agent.get(key);
                String text = key.equals("capabilities") ? joined(v) : key.equals("deployed_at") ? Json.time(v) : Json.text(v);
                lines.add(new String[] {label, text});
            }
        });
        for (Map.Entry<String, JsonNode> e : agent.properties()) {
            if (!LABELS.containsKey(e.getKey()) && !NESTED.contains(e.getKey())) {
                lines.add(new String[] {e.getKey().replace('_', ' '), valueText(e.getKey(), e.getValue())});
            }
        }
        printAligned(out, "", lines);
        JsonNode limits = agent.path("limits");
        if (limits.isObject()) {
            out.println("limits:");
            List<String[]> l = new ArrayList<>();
            for (Map.Entry<String, JsonNode> e : limits.properties()) {
                // The server may add a readable copy of the memory limit; the exact one is shown already.
                if (!(e.getKey().equals("memory") && limits.has("memory_bytes"))) {
                    l.add(limitLine(e.getKey(), e.getValue()));
                }
            }
            printAligned(out, "  ", l);
        }
        JsonNode counters = agent.path("counters");
        if (counters.isObject()) {
            out.println("counters:");
            List<String[]> c = new ArrayList<>();
            for (Map.Entry<String, JsonNode> e : counters.properties()) {
                c.add(new String[] {e.getKey().replace('_', ' '), Json.text(e.getValue())});
            }
            printAligned(out, "  ", c);
        }
    }

    /** Limits in the units people write them in, with the exact number alongside where it was rounded. */
    private static String[] limitLine(String key, JsonNode v) {
        if (!v.isIntegralNumber()) {
            return new String[] {key.replace('_', ' '), Json.text(v)};
        }
        long n = v.asLong();
        return switch (key) {
            case "memory_bytes" -> new String[] {"memory", size(n)};
            case "execution_timeout_ms" -> new String[] {"execution timeout", n == 0 ? "none" : Json.formatDuration(Duration.ofMillis(n))};
            case "fuel" -> new String[] {"fuel", n == 0 ? "unmetered" : Long.toString(n)};
            default -> new String[] {key.replace('_', ' '), Long.toString(n)};
        };
    }

    /** A field the server added: sizes (by their name) in readable units, the rest as given. */
    private static String valueText(String key, JsonNode v) {
        if (v.isIntegralNumber() && (key.endsWith("_size") || key.endsWith("_bytes"))) {
            return size(v.asLong());
        }
        if (v.isArray() && (key.equals("wasi_env_names") || key.equals("extism_config_keys"))) {
            // The server sends names only; saying so stops a reader thinking the values were empty.
            return v.isEmpty() ? "-" : joinedWithSpaces(v) + " (values not shown)";
        }
        if (v.isArray() && key.equals("extism_allow_hosts")) {
            return v.isEmpty() ? "none" : joinedWithSpaces(v);
        }
        return Json.text(v);
    }

    private static String joinedWithSpaces(JsonNode array) {
        List<String> items = new ArrayList<>();
        array.forEach(n -> items.add(Json.text(n)));
        return String.join(", ", items);
    }

    private static String size(long bytes) {
        String readable = Quantities.formatSize(bytes);
        return readable.equals(bytes + "B") ? bytes + " bytes" : readable + " (" + bytes + " bytes)";
    }

    private static void printAligned(PrintWriter out, String indent, List<String[]> lines) {
        int width = lines.stream().mapToInt(l -> l[0].length()).max().orElse(0);
        for (String[] l : lines) {
            out.println(indent + l[0] + ":" + " ".repeat(width - l[0].length() + 1) + l[1].replaceAll("\\R", " "));
        }
    }
}
