package dev.caxton.runtime.logging;

/**
 * The structured fields of a log event: which agent, message and conversation it is about. Passed
 * as the last parameter of a {@link System.Logger} call, after the message's own parameters, so the
 * node's log formatter writes them as fields (JSON keys, or {@code key=value} in plain text) instead
 * of anyone having to parse them back out of the text. A message format never refers to it, so
 * without that formatter it is simply ignored.
 *
 * @param agent          the agent, or null
 * @param messageId      the message id, or null
 * @param conversationId the conversation id, or null
 */
public record LogFields(String agent, String messageId, String conversationId) {

    /**
     * Fields naming only an agent.
     *
     * @param agent the agent
     * @return the fields
     */
    public static LogFields agent(String agent) {
        return new LogFields(agent, null, null);
    }

    /**
     * Fields naming a message (and its conversation) handled by an agent.
     *
     * @param agent          the agent, or null
     * @param messageId      the message id, or null
     * @param conversationId the conversation id, or null
     * @return the fields
     */
    public static LogFields message(String agent, String messageId, String conversationId) {
        return new LogFields(agent, messageId, conversationId);
    }
}
