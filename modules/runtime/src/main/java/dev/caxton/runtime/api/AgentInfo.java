package dev.caxton.runtime.api;

import java.time.Instant;
import java.util.List;

/**
 * A snapshot of one agent for the API and CLI.
 *
 * @param name            the agent's name
 * @param id              its stable id
 * @param state           its lifecycle state
 * @param capabilities    the capabilities it holds (deployed and registered)
 * @param limits          its limits
 * @param codec           the serializer it speaks
 * @param engine          the engine it runs on
 * @param messagesHandled messages it processed to completion
 * @param faults          invocations that ended in a fault (trap, timeout, bad pointer)
 * @param errors          messages it answered with a negative code or a malformed reply
 * @param messagesSent    messages it sent through {@code send_message}
 * @param queued          messages waiting in its mailbox
 * @param lastFault       the reason of its last fault, or null
 * @param deployedAt      when it was deployed
 * @param moduleSize      the size of its module in bytes
 * @param fuelLast        the fuel its last handled message used, or -1 (unmetered, or none yet)
 * @param fuelMax         the most fuel one message used since its module was deployed or
 *                        reloaded, or -1
 * @param durable         whether its state is checkpointed after each message
 * @param checkpointVersion the version of its last checkpoint, -1 when none (or not durable)
 * @param wasi            whether it runs with a sandboxed WASI preview 1
 * @param wasiArgs        the program arguments its WASI shows it, empty for none
 * @param wasiEnvNames    the names of the variables its WASI environment holds, without their values
 *                        (they may be secrets)
 * @param extismFunction  the function each message calls when it is an Extism plugin, or null
 * @param extismConfigKeys the keys of its Extism configuration, without their values (they may be secrets)
 * @param extismAllowedHosts the hosts its Extism {@code http_request} may reach, empty for none
 */
public record AgentInfo(String name, String id, AgentState state, List<String> capabilities, AgentLimits limits,
                        String codec, String engine, long messagesHandled, long faults, long errors,
                        long messagesSent, int queued, String lastFault, Instant deployedAt, int moduleSize,
                        long fuelLast, long fuelMax, boolean durable, long checkpointVersion, boolean wasi,
                        List<String> wasiArgs, List<String> wasiEnvNames, String extismFunction,
                        List<String> extismConfigKeys, List<String> extismAllowedHosts) {

    /** Copies the lists; null stands for none. */
    public AgentInfo {
        wasiArgs = wasiArgs == null ? List.of() : List.copyOf(wasiArgs);
        wasiEnvNames = wasiEnvNames == null ? List.of() : List.copyOf(wasiEnvNames);
        extismConfigKeys = extismConfigKeys == null ? List.of() : List.copyOf(extismConfigKeys);
        extismAllowedHosts = extismAllowedHosts == null ? List.of() : List.copyOf(extismAllowedHosts);
    }

    /**
     * A snapshot of an agent without WASI arguments or environment that is not an Extism plugin.
     */
    public AgentInfo(String name, String id, AgentState state, List<String> capabilities, AgentLimits limits,
                     String codec, String engine, long messagesHandled, long faults, long errors,
                     long messagesSent, int queued, String lastFault, Instant deployedAt, int moduleSize,
                     long fuelLast, long fuelMax, boolean durable, long checkpointVersion, boolean wasi) {
        this(name, id, state, capabilities, limits, codec, engine, messagesHandled, faults, errors, messagesSent,
                queued, lastFault, deployedAt, moduleSize, fuelLast, fuelMax, durable, checkpointVersion, wasi,
                List.of(), List.of(), null, List.of(), List.of());
    }

    /**
     * A snapshot of an agent without WASI.
     */
    public AgentInfo(String name, String id, AgentState state, List<String> capabilities, AgentLimits limits,
                     String codec, String engine, long messagesHandled, long faults, long errors,
                     long messagesSent, int queued, String lastFault, Instant deployedAt, int moduleSize,
                     long fuelLast, long fuelMax, boolean durable, long checkpointVersion) {
        this(name, id, state, capabilities, limits, codec, engine, messagesHandled, faults, errors, messagesSent,
                queued, lastFault, deployedAt, moduleSize, fuelLast, fuelMax, durable, checkpointVersion, false,
                List.of(), List.of(), null, List.of(), List.of());
    }

    /**
     * A snapshot of an agent that is not durable.
     */
    public AgentInfo(String name, String id, AgentState state, List<String> capabilities, AgentLimits limits,
                     String codec, String engine, long messagesHandled, long faults, long errors,
                     long messagesSent, int queued, String lastFault, Instant deployedAt, int moduleSize,
                     long fuelLast, long fuelMax) {
        this(name, id, state, capabilities, limits, codec, engine, messagesHandled, faults, errors, messagesSent,
                queued, lastFault, deployedAt, moduleSize, fuelLast, fuelMax, false, -1, false,
                List.of(), List.of(), null, List.of(), List.of());
    }
}
