package dev.caxton.spi.storage;

import java.time.Instant;
import java.util.Objects;

/**
 * One message of a conversation's history.
 *
 * @param conversationId the conversation
 * @param sequence       the message's position in the conversation, assigned by the store (1, 2, ...);
 *                       ignored on {@link ConversationStore#append}
 * @param messageId      the message id
 * @param sender         the sender's name
 * @param receiver       the receiver's name (or capability)
 * @param performative   the performative's wire name
 * @param envelope       the envelope, encoded by the node's serializer
 * @param at             when it was recorded
 */
public record ConversationEntry(String conversationId, long sequence, String messageId, String sender, String receiver,
                                String performative, byte[] envelope, Instant at) {

    /** Checks the parts. */
    public ConversationEntry {
        Objects.requireNonNull(conversationId, "conversationId");
        Objects.requireNonNull(messageId, "messageId");
        sender = sender == null ? "" : sender;
        receiver = receiver == null ? "" : receiver;
        Objects.requireNonNull(performative, "performative");
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(at, "at");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConversationEntry e && conversationId.equals(e.conversationId) && sequence == e.sequence
                && messageId.equals(e.messageId) && sender.equals(e.sender) && receiver.equals(e.receiver)
                && performative.equals(e.performative) && java.util.Arrays.equals(envelope, e.envelope) && at.equals(e.at);
    }

    @Override
    public int hashCode() {
        return Objects.hash(conversationId, sequence, messageId);
    }

    @Override
    public String toString() {
        return "ConversationEntry[" + conversationId + "#" + sequence + " " + performative + " " + sender + " -> "
                + receiver + "]";
    }
}
