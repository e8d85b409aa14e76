package dev.caxton.runtime.trace;

/**
 * One recorded point of a traced message.
 *
 * @param traceId        the W3C trace id (32 hex) shared by every message of the trace
 * @param spanId         the parent id of the message's traceparent (16 hex), one per message
 * @param messageId      the message's id
 * @param conversationId its conversation, or null
 * @param hop            what happened
 * @param node           the node that recorded it
 * @param agent          the agent involved (receiver, handler), or null
 * @param detail         a short note (where it was routed, why it was dead-lettered), or null
 * @param atMicros       when, in microseconds since the epoch, monotonic on one node
 */
public record TraceHop(String traceId, String spanId, String messageId, String conversationId, Hop hop,
                       String node, String agent, String detail, long atMicros) {
}
