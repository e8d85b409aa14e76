package dev.caxton.spi.storage;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A deployed agent as it is stored: enough to bring it back after a restart.
 *
 * @param name         the agent's unique name
 * @param id           the agent's stable id (assigned at first deploy, kept across reloads)
 * @param module       the WebAssembly binary
 * @param maxMemoryBytes   the memory limit
 * @param executionTimeoutMs the per-message execution time limit in milliseconds (0: none)
 * @param fuel         the fuel limit per message (0: none)
 * @param capabilities the capabilities granted at deploy
 * @param codec        the serializer name for the bytes the agent sees ({@code json}, {@code msgpack})
 * @param engine       the engine name the agent runs on, or empty for the node default
 * @param state        the lifecycle state last recorded (e.g. {@code running}, {@code stopped})
 * @param deployedAt   when it was first deployed
 * @param updatedAt    when it was last changed (reload, state change)
 * @param durable      whether its state is checkpointed ({@link CheckpointStore}) and restored
 * @param wasi         whether it runs with a sandboxed WASI preview 1 (deployed with {@code wasi})
 * @param wasiArgs     the program arguments its WASI shows it, in order (empty without WASI)
 * @param wasiEnv      the environment its WASI shows it (empty without WASI)
 * @param extism       how it runs as an Extism plugin, as the runtime encodes it (opaque text), or null
 *                     for a Caxton agent
 * @param cpuShare     its scheduling weight ({@value #DEFAULT_CPU_SHARE} is the usual share; records
 *                     written before shares existed have that)
 */
public record AgentRecord(String name, String id, byte[] module, long maxMemoryBytes, long executionTimeoutMs,
                          long fuel, List<String> capabilities, String codec, String engine, String state,
                          Instant deployedAt, Instant updatedAt, boolean durable, boolean wasi,
                          List<String> wasiArgs, Map<String, String> wasiEnv, String extism, int cpuShare) {

    /** The CPU share of an agent deployed without one. */
    public static final int DEFAULT_CPU_SHARE = 100;

    /**
     * A record with the default CPU share.
     *
     * @param name         the agent's unique name
     * @param id           the agent's stable id
     * @param module       the WebAssembly binary
     * @param maxMemoryBytes   the memory limit
     * @param executionTimeoutMs the per-message execution time limit in milliseconds (0: none)
     * @param fuel         the fuel limit per message (0: none)
     * @param capabilities the capabilities granted at deploy
     * @param codec        the serializer name
     * @param engine       the engine name, or empty for the node default
     * @param state        the lifecycle state last recorded
     * @param deployedAt   when it was first deployed
     * @param updatedAt    when it was last changed
     * @param durable      whether its state is checkpointed
     * @param wasi         whether it runs with a sandboxed WASI preview 1
     * @param wasiArgs     the program arguments its WASI shows it
     * @param wasiEnv      the environment its WASI shows it
     * @param extism       the Extism settings as the runtime encodes them, or null
     */
    public AgentRecord(String name, String id, byte[] module, long maxMemoryBytes, long executionTimeoutMs,
                       long fuel, List<String> capabilities, String codec, String engine, String state,
                       Instant deployedAt, Instant updatedAt, boolean durable, boolean wasi,
                       List<String> wasiArgs, Map<String, String> wasiEnv, String extism) {
        this(name, id, module, maxMemoryBytes, executionTimeoutMs, fuel, capabilities, codec, engine, state,
                deployedAt, updatedAt, durable, wasi, wasiArgs, wasiEnv, extism, DEFAULT_CPU_SHARE);
    }

    /**
     * A record of a Caxton agent (not an Extism plugin) with WASI arguments and environment.
     *
     * @param name         the agent's unique name
     * @param id           the agent's stable id
     * @param module       the WebAssembly binary
     * @param maxMemoryBytes   the memory limit
     * @param executionTimeoutMs the per-message execution time limit in milliseconds (0: none)
     * @param fuel         the fuel limit per message (0: none)
     * @param capabilities the capabilities granted at deploy
     * @param codec        the serializer name
     * @param engine       the engine name, or empty for the node default
     * @param state        the lifecycle state last recorded
     * @param deployedAt   when it was first deployed
     * @param updatedAt    when it was last changed
     * @param durable      whether its state is checkpointed
     * @param wasi         whether it runs with a sandboxed WASI preview 1
     * @param wasiArgs     the program arguments its WASI shows it
     * @param wasiEnv      the environment its WASI shows it
     */
    public AgentRecord(String name, String id, byte[] module, long maxMemoryBytes, long executionTimeoutMs,
                       long fuel, List<String> capabilities, String codec, String engine, String state,
                       Instant deployedAt, Instant updatedAt, boolean durable, boolean wasi,
                       List<String> wasiArgs, Map<String, String> wasiEnv) {
        this(name, id, module, maxMemoryBytes, executionTimeoutMs, fuel, capabilities, codec, engine, state,
                deployedAt, updatedAt, durable, wasi, wasiArgs, wasiEnv, null);
    }

    /**
     * A record whose WASI, if any, has no arguments and no environment.
     *
     * @param name         the agent's unique name
     * @param id           the agent's stable id
     * @param module       the WebAssembly binary
     * @param maxMemoryBytes   the memory limit
     * @param executionTimeoutMs the per-message execution time limit in milliseconds (0: none)
     * @param fuel         the fuel limit per message (0: none)
     * @param capabilities the capabilities granted at deploy
     * @param codec        the serializer name
     * @param engine       the engine name, or empty for the node default
     * @param state        the lifecycle state last recorded
     * @param deployedAt   when it was first deployed
     * @param updatedAt    when it was last changed
     * @param durable      whether its state is checkpointed
     * @param wasi         whether it runs with a sandboxed WASI preview 1
     * @param extism       the Extism settings as the runtime encodes them, or null
     */
    public AgentRecord(String name, String id, byte[] module, long maxMemoryBytes, long executionTimeoutMs,
                       long fuel, List<String> capabilities, String codec, String engine, String state,
                       Instant deployedAt, Instant updatedAt, boolean durable, boolean wasi, String extism) {
        this(name, id, module, maxMemoryBytes, executionTimeoutMs, fuel, capabilities, codec, engine, state,
                deployedAt, updatedAt, durable, wasi, List.of(), Map.of(), extism);
    }

    /**
     * A record of a Caxton agent whose WASI, if any, has no arguments and no environment.
     *
     * @param name         the agent's unique name
     * @param id           the agent's stable id
     * @param module       the WebAssembly binary
     * @param maxMemoryBytes   the memory limit
     * @param executionTimeoutMs the per-message execution time limit in milliseconds (0: none)
     * @param fuel         the fuel limit per message (0: none)
     * @param capabilities the capabilities granted at deploy
     * @param codec        the serializer name
     * @param engine       the engine name, or empty for the node default
     * @param state        the lifecycle state last recorded
     * @param deployedAt   when it was first deployed
     * @param updatedAt    when it was last changed
     * @param durable      whether its state is checkpointed
     * @param wasi         whether it runs with a sandboxed WASI preview 1
     */
    public AgentRecord(String name, String id, byte[] module, long maxMemoryBytes, long executionTimeoutMs,
                       long fuel, List<String> capabilities, String codec, String engine, String state,
                       Instant deployedAt, Instant updatedAt, boolean durable, boolean wasi) {
        this(name, id, module, maxMemoryBytes, executionTimeoutMs, fuel, capabilities, codec, engine, state,
                deployedAt, updatedAt, durable, wasi, List.of(), Map.of(), null);
    }

    /**
     * A record of an agent without WASI.
     *
     * @param name         the agent's unique name
     * @param id           the agent's stable id
     * @param module       the WebAssembly binary
     * @param maxMemoryBytes   the memory limit
     * @param executionTimeoutMs the per-message execution time limit in milliseconds (0: none)
     * @param fuel         the fuel limit per message (0: none)
     * @param capabilities the capabilities granted at deploy
     * @param codec        the serializer name
     * @param engine       the engine name, or empty for the node default
     * @param state        the lifecycle state last recorded
     * @param deployedAt   when it was first deployed
     * @param updatedAt    when it was last changed
     * @param durable      whether its state is checkpointed
     */
    public AgentRecord(String name, String id, byte[] module, long maxMemoryBytes, long executionTimeoutMs,
                       long fuel, List<String> capabilities, String codec, String engine, String state,
                       Instant deployedAt, Instant updatedAt, boolean durable) {
        this(name, id, module, maxMemoryBytes, executionTimeoutMs, fuel, capabilities, codec, engine, state,
                deployedAt, updatedAt, durable, false);
    }

    /**
     * A record of an agent that is not durable.
     *
     * @param name         the agent's unique name
     * @param id           the agent's stable id
     * @param module       the WebAssembly binary
     * @param maxMemoryBytes   the memory limit
     * @param executionTimeoutMs the per-message execution time limit in milliseconds (0: none)
     * @param fuel         the fuel limit per message (0: none)
     * @param capabilities the capabilities granted at deploy
     * @param codec        the serializer name
     * @param engine       the engine name, or empty for the node default
     * @param state        the lifecycle state last recorded
     * @param deployedAt   when it was first deployed
     * @param updatedAt    when it was last changed
     */
    public AgentRecord(String name, String id, byte[] module, long maxMemoryBytes, long executionTimeoutMs,
                       long fuel, List<String> capabilities, String codec, String engine, String state,
                       Instant deployedAt, Instant updatedAt) {
        this(name, id, module, maxMemoryBytes, executionTimeoutMs, fuel, capabilities, codec, engine, state,
                deployedAt, updatedAt, false);
    }

    /** Checks and copies the parts. */
    public AgentRecord {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(module, "module");
        capabilities = List.copyOf(capabilities);
        Objects.requireNonNull(codec, "codec");
        engine = engine == null ? "" : engine;
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(deployedAt, "deployedAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
        wasiArgs = wasiArgs == null ? List.of() : List.copyOf(wasiArgs);
        wasiEnv = wasiEnv == null ? Map.of() : Map.copyOf(wasiEnv);
        extism = extism == null || extism.isEmpty() ? null : extism;
    }

    /**
     * A copy in another state.
     *
     * @param newState the state
     * @param at       when it changed
     * @return the copy
     */
    public AgentRecord withState(String newState, Instant at) {
        return new AgentRecord(name, id, module, maxMemoryBytes, executionTimeoutMs, fuel, capabilities, codec,
                engine, newState, deployedAt, at, durable, wasi, wasiArgs, wasiEnv, extism, cpuShare);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AgentRecord r && name.equals(r.name) && id.equals(r.id)
                && java.util.Arrays.equals(module, r.module) && maxMemoryBytes == r.maxMemoryBytes
                && executionTimeoutMs == r.executionTimeoutMs && fuel == r.fuel && capabilities.equals(r.capabilities)
                && codec.equals(r.codec) && engine.equals(r.engine) && state.equals(r.state)
                && deployedAt.equals(r.deployedAt) && updatedAt.equals(r.updatedAt) && durable == r.durable
                && wasi == r.wasi && wasiArgs.equals(r.wasiArgs) && wasiEnv.equals(r.wasiEnv)
                && Objects.equals(extism, r.extism) && cpuShare == r.cpuShare;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, id, java.util.Arrays.hashCode(module), state);
    }

    @Override
    public String toString() {
        return "AgentRecord[" + name + ", id=" + id + ", " + module.length + " bytes, state=" + state + "]";
    }
}
