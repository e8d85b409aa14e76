package dev.caxton.runtime.api;

import java.util.Locale;

/** Where an agent is in its life. */
public enum AgentState {
    /** Compiled and instantiated; {@code init} is running. */
    LOADED,
    /** Taking and processing messages. */
    RUNNING,
    /** Undeploy requested: no new messages, the queued ones are being processed. */
    DRAINING,
    /** Done; its instance is gone. */
    STOPPED,
    /** Faulted too often within the failure window; takes no messages until reloaded. */
    FAILED;

    /** @return the lowercase name the API and CLI show */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
