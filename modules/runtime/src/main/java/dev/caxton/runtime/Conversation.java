package dev.caxton.runtime;

import dev.caxton.spi.message.Envelope;

import java.time.Instant;
import java.util.List;

/**
 * One page of a conversation as the API shows it: the messages that carried its
 * {@code conversation_id}, in the order they were delivered, from a cursor on.
 *
 * @param id           the conversation id
 * @param participants every sender and receiver of the messages in this page, in order of first
 *                     appearance
 * @param firstAt      when its first message was delivered
 * @param lastActivity when its latest journalled message was delivered
 * @param messages     the messages of this page
 * @param messageCount how many messages the journal holds for it (all pages)
 * @param nextCursor   the cursor of the next page, or null when this page is the last
 * @param omitted      messages delivered but not journalled because the conversation reached
 *                     {@code messaging.conversation_max_messages} (counted since the node started)
 * @param incomplete   nodes of the cluster that were asked for their part and did not answer in
 *                     time: their messages are missing from this page (empty when none)
 */
public record Conversation(String id, List<String> participants, Instant firstAt, Instant lastActivity,
                           List<Message> messages, long messageCount, String nextCursor, long omitted,
                           List<String> incomplete) {

    /** A page read from this node alone. */
    public Conversation(String id, List<String> participants, Instant firstAt, Instant lastActivity,
                        List<Message> messages, long messageCount, String nextCursor, long omitted) {
        this(id, participants, firstAt, lastActivity, messages, messageCount, nextCursor, omitted, List.of());
    }

    /** The page size when none is asked for. */
    public static final int DEFAULT_PAGE = 100;
    /** The largest page. */
    public static final int MAX_PAGE = 1000;

    /**
     * One message of a conversation.
     *
     * @param sequence     its position (1, 2, ...) in the journal of the node that delivered it
     * @param messageId    its id
     * @param sender       its sender
     * @param receiver     its receiver
     * @param performative its performative
     * @param at           when it was delivered
     * @param envelope     the whole message, or null when it could not be decoded
     * @param node         the node that delivered it (and journalled it)
     */
    public record Message(long sequence, String messageId, String sender, String receiver, String performative,
                          Instant at, Envelope envelope, String node) {
    }
}
