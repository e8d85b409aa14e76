package dev.caxton.runtime.api;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a deployment asks for.
 *
 * @param name         the agent's unique name
 * @param module       the WebAssembly binary
 * @param capabilities capabilities it holds from the start
 * @param limits       its limits, or null for the configured defaults (and overrides)
 * @param codec        the serializer name for the bytes it sees, or null for {@code json}
 * @param engine       the engine provider name, or null for {@code runtime.engine}
 * @param permissions  the host functions it may import, or null for all of them
 * @param durable      whether its state is checkpointed, or null for {@code agents.durable}
 * @param wasi         whether it gets a sandboxed WASI preview 1 ({@code --wasi})
 * @param wasiArgs     the program arguments its WASI shows it ({@code --wasi-arg}), empty for none
 * @param wasiEnv      the environment its WASI shows it ({@code --wasi-env}), empty for none
 * @param extism       how it runs as an Extism plugin ({@code --extism-function}), or null for a Caxton agent
 */
public record DeploySpec(String name, byte[] module, List<String> capabilities, AgentLimits limits, String codec,
                         String engine, Set<String> permissions, Boolean durable, boolean wasi,
                         List<String> wasiArgs, Map<String, String> wasiEnv, ExtismSettings extism) {

    /**
     * A deployment of a Caxton agent (not an Extism plugin) with WASI arguments and environment.
     *
     * @param name         the agent's unique name
     * @param module       the WebAssembly binary
     * @param capabilities the capabilities it is granted
     * @param limits       its resource limits
     * @param codec        the serializer for the bytes it sees
     * @param engine       the engine it runs on
     * @param permissions  the host functions it may import, or null for all of them
     * @param durable      whether its state is checkpointed, or null for {@code agents.durable}
     * @param wasi         whether it gets a sandboxed WASI preview 1
     * @param wasiArgs     the program arguments its WASI shows it
     * @param wasiEnv      the environment its WASI shows it
     */
    public DeploySpec(String name, byte[] module, List<String> capabilities, AgentLimits limits, String codec,
                      String engine, Set<String> permissions, Boolean durable, boolean wasi,
                      List<String> wasiArgs, Map<String, String> wasiEnv) {
        this(name, module, capabilities, limits, codec, engine, permissions, durable, wasi, wasiArgs, wasiEnv, null);
    }

    /**
     * A deployment whose WASI, if any, has no arguments and no environment.
     *
     * @param name         the agent's unique name
     * @param module       the WebAssembly binary
     * @param capabilities the capabilities it is granted
     * @param limits       its resource limits
     * @param codec        the serializer for the bytes it sees
     * @param engine       the engine it runs on
     * @param permissions  the host functions it may import, or null for all of them
     * @param durable      whether its state is checkpointed, or null for {@code agents.durable}
     * @param wasi         whether it gets a sandboxed WASI preview 1
     * @param extism       how it runs as an Extism plugin, or null for a Caxton agent
     */
    public DeploySpec(String name, byte[] module, List<String> capabilities, AgentLimits limits, String codec,
                      String engine, Set<String> permissions, Boolean durable, boolean wasi, ExtismSettings extism) {
        this(name, module, capabilities, limits, codec, engine, permissions, durable, wasi, List.of(), Map.of(), extism);
    }

    /**
     * A deployment of a Caxton agent whose WASI, if any, has no arguments and no environment.
     *
     * @param name         the agent's unique name
     * @param module       the WebAssembly binary
     * @param capabilities capabilities it holds from the start
     * @param limits       its limits, or null for the defaults
     * @param codec        the serializer name, or null for {@code json}
     * @param engine       the engine provider name, or null for {@code runtime.engine}
     * @param permissions  the host functions it may import, or null for all of them
     * @param durable      whether its state is checkpointed, or null for {@code agents.durable}
     * @param wasi         whether it gets a sandboxed WASI preview 1
     */
    public DeploySpec(String name, byte[] module, List<String> capabilities, AgentLimits limits, String codec,
                      String engine, Set<String> permissions, Boolean durable, boolean wasi) {
        this(name, module, capabilities, limits, codec, engine, permissions, durable, wasi, List.of(), Map.of(), null);
    }

    /**
     * A deployment without WASI.
     *
     * @param name         the agent's unique name
     * @param module       the WebAssembly binary
     * @param capabilities capabilities it holds from the start
     * @param limits       its limits, or null for the defaults
     * @param codec        the serializer name, or null for {@code json}
     * @param engine       the engine provider name, or null for {@code runtime.engine}
     * @param permissions  the host functions it may import, or null for all of them
     * @param durable      whether its state is checkpointed, or null for {@code agents.durable}
     */
    public DeploySpec(String name, byte[] module, List<String> capabilities, AgentLimits limits, String codec,
                      String engine, Set<String> permissions, Boolean durable) {
        this(name, module, capabilities, limits, codec, engine, permissions, durable, false);
    }

    /**
     * A deployment with the node's default durability.
     *
     * @param name         the agent's unique name
     * @param module       the WebAssembly binary
     * @param capabilities capabilities it holds from the start
     * @param limits       its limits, or null for the defaults
     * @param codec        the serializer name, or null for {@code json}
     * @param engine       the engine provider name, or null for {@code runtime.engine}
     * @param permissions  the host functions it may import, or null for all of them
     */
    public DeploySpec(String name, byte[] module, List<String> capabilities, AgentLimits limits, String codec,
                      String engine, Set<String> permissions) {
        this(name, module, capabilities, limits, codec, engine, permissions, null);
    }

    /** Copies the collections. */
    public DeploySpec {
        capabilities = capabilities == null ? List.of() : List.copyOf(capabilities);
        permissions = permissions == null ? null : Set.copyOf(permissions);
        wasiArgs = wasiArgs == null ? List.of() : List.copyOf(wasiArgs);
        // Insertion order is kept: it is the order the guest sees the variables in.
        wasiEnv = wasiEnv == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(wasiEnv));
    }
}
