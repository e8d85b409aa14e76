package dev.caxton.runtime;

import dev.caxton.spi.message.Envelope;

import java.time.Instant;
import java.util.List;

/**
 * A conversation as the API shows it: every message that carried its {@code conversation_id}, in
 * the order they were delivered.
 *
 * @param id           the conversation id
 * @param participants every sender and receiver, in order of first appearance
 * @param firstAt      when its first message was delivered
 * @param lastActivity when its latest message was delivered
 * @param messages     the messages
 */
public record Conversation(String id, List<String> participants, Instant firstAt, Instant lastActivity,
                           List<Message> messages) {

    /**
     * One message of a conversation.
     *
     * @param sequence     its position (1, 2, ...)
     * @param messageId    its id
     * @param sender       its sender
     * @param receiver     its receiver
     * @param performative its performative
     * @param at           when it was delivered
     * @param envelope     the whole message, or null when it could not be decoded
     */
    public record Message(long sequence, String messageId, String sender, String receiver, String performative,
                          Instant at, Envelope envelope) {
    }
}
