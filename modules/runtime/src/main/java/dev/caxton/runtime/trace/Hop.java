package dev.caxton.runtime.trace;

import java.util.Locale;

/** The points in a message's life that tracing records, in the order a message normally passes them. */
public enum Hop {
    /** An API client's message was taken in by the node. */
    ACCEPTED,
    /** The router chose where the message goes (a local agent, another node), or it arrived from one. */
    ROUTED,
    /** The message entered a local mailbox. */
    QUEUED,
    /** The agent took the message from its mailbox and started handling it. */
    DELIVERED,
    /** The agent finished handling the message. */
    HANDLED,
    /** An answer reached the API client waiting for it. */
    REPLIED,
    /** The message could not be delivered and went to the dead letters. */
    DEAD_LETTERED;

    /** @return the name used in the API and the CLI, e.g. {@code dead-lettered} */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
