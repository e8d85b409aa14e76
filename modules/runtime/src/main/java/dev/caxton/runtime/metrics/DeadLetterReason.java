package dev.caxton.runtime.metrics;

import java.util.Locale;

/**
 * Why a message was dead-lettered, as a bounded category for the {@code reason} label. The free
 * text of a dead letter names agents, sizes and ids, which would make every dead letter a series of
 * its own; the category keeps the label to a handful of values.
 */
public enum DeadLetterReason {
    /** The message waited longer than {@code messaging.message_ttl}, or its reply came after reply_by. */
    TTL_EXPIRED,
    /** The message passed {@code messaging.max_hops}. */
    HOP_LIMIT,
    /** The receiving agent faulted, failed, or could not be restarted. */
    FAULT,
    /** No agent of that name or capability is known. */
    UNKNOWN_RECEIVER,
    /** The node it was meant for could not be reached within the delivery timeout. */
    NODE_UNREACHABLE,
    /** A mailbox or the node's queue stayed full. */
    QUEUE_FULL,
    /** Anything else (too large, not encodable, the agent stopped...). */
    OTHER;

    /** @return the label value */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Sorts a dead letter's reason text into a category. The texts are the node's own (Router,
     * Agent, CaxtonNode), so matching their wording is enough; a text nobody foresaw is OTHER.
     *
     * @param reason the reason text, may be null
     * @return its category
     */
    public static DeadLetterReason classify(String reason) {
        if (reason == null) {
            return OTHER;
        }
        String r = reason.toLowerCase(Locale.ROOT);
        if (r.startsWith("hop limit")) {
            return HOP_LIMIT;
        }
        if (r.startsWith("ttl expired") || r.startsWith("late reply") || r.contains("delivery timed out")) {
            return r.contains("stayed full") ? QUEUE_FULL : TTL_EXPIRED;
        }
        if (r.contains("queue is full") || r.startsWith("retries exhausted")) {
            return QUEUE_FULL;
        }
        if (r.startsWith("node unreachable") || r.startsWith("node dead") || r.contains("sender was unreachable")) {
            return NODE_UNREACHABLE;
        }
        if (r.startsWith("no agent") || r.contains("is not deployed")) {
            return UNKNOWN_RECEIVER;
        }
        if (r.startsWith("agent '") && r.contains("' failed")) {
            return FAULT;
        }
        return OTHER;
    }
}
