package dev.caxton.runtime.agent;

import dev.caxton.runtime.api.AgentState;

/** What the node hears from its agents, to persist and count. */
public interface AgentEvents {

    /**
     * An agent changed state.
     *
     * @param agent the agent
     * @param state its new state
     */
    void stateChanged(Agent agent, AgentState state);

    /**
     * An invocation faulted.
     *
     * @param agent  the agent
     * @param reason why
     */
    void faulted(Agent agent, String reason);

    /**
     * An invocation ended (handled, answered with an error, or faulted).
     *
     * @param agent the agent
     * @param nanos how long handling the message took, its reply routed
     */
    default void processed(Agent agent, long nanos) {
    }
}
