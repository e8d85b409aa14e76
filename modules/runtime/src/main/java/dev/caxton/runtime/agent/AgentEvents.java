package dev.caxton.runtime.agent;

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
}
