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
 * @param performative   the message's performative as written on the wire ({@code request}), or null
 */
public record TraceHop(String traceId, String spanId, String messageId, String conversationId, Hop hop,
                       String node, String agent, String detail, long atMicros, String performative) {

    /**
     * A hop without a performative (tests, hops read back from another node).
     *
     * @param traceId        the trace id
     * @param spanId         the message's parent id
     * @param messageId      the message id
     * @param conversationId its conversation, or null
     * @param hop            what happened
     * @param node           the node that recorded it
     * @param agent          the agent involved, or null
     * @param detail         a short note, or null
     * @param atMicros       when, in microseconds since the epoch
     */
    public TraceHop(String traceId, String spanId, String messageId, String conversationId, Hop hop,
                    String node, String agent, String detail, long atMicros) {
        this(traceId, spanId, messageId, conversationId, hop, node, agent, detail, atMicros, null);
    }
}
