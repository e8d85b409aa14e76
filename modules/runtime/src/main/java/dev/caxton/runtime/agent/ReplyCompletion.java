package dev.caxton.runtime.agent;

import dev.caxton.runtime.routing.Router;
import dev.caxton.runtime.trace.Traceparent;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import java.util.function.Supplier;

/**
 * Completes an agent's reply as the ABI says, on its checked fields before the envelope is built
 * (so the codec builds the reply once): the replying agent is the sender; an absent receiver (or one
 * naming the agent itself) becomes the original sender, unless the reply names a capability other
 * than the original's; conversation and reply tracking follow the original; a missing message id, or
 * the original's, is replaced by a fresh one; the hop count and trace follow the original.
 *
 * <p>An agent keeps one and {@link #reset}s it for each reply: it handles one message at a time (as
 * its {@code handlingId} already assumes), and a reply then costs no completion object. It remembers
 * whether it set the message id, which the router then need not check.
 */
final class ReplyCompletion implements EnvelopeFields.Completion {

    private static final int SENDER = EnvelopeFields.indexOf(EnvelopeFields.SENDER);
    private static final int RECEIVER = EnvelopeFields.indexOf(EnvelopeFields.RECEIVER);
    private static final int CAPABILITY = EnvelopeFields.indexOf(EnvelopeFields.CAPABILITY);
    private static final int BROADCAST = EnvelopeFields.indexOf(EnvelopeFields.BROADCAST);
    private static final int CONVERSATION_ID = EnvelopeFields.indexOf(EnvelopeFields.CONVERSATION_ID);
    private static final int IN_REPLY_TO = EnvelopeFields.indexOf(EnvelopeFields.IN_REPLY_TO);
    private static final int MESSAGE_ID = EnvelopeFields.indexOf(EnvelopeFields.MESSAGE_ID);
    private static final int HOPS = EnvelopeFields.indexOf(EnvelopeFields.HOPS);
    private static final int TRACEPARENT = EnvelopeFields.indexOf(EnvelopeFields.TRACEPARENT);

    private final String agent;
    private final Supplier<String> freshIds;
    private Envelope original;
    private boolean freshId;
    // The Router.NODE_MADE_* flags of the fields set to the original's own strings.
    private int fromOriginal;

    /**
     * @param agent    the replying agent's name
     * @param freshIds gives a new message id; asked only when the reply needs one
     */
    ReplyCompletion(String agent, Supplier<String> freshIds) {
        this.agent = agent;
        this.freshIds = freshIds;
    }

    /**
     * Readies this for a reply to another message.
     *
     * @param original the message replied to
     * @return this
     */
    ReplyCompletion reset(Envelope original) {
        this.original = original;
        this.freshId = false;
        this.fromOriginal = 0;
        return this;
    }

    @Override
    public void complete(Object[] f) {
        f[SENDER] = agent;
        String receiver = (String) f[RECEIVER];
        String capability = (String) f[CAPABILITY];
        boolean toSelf = receiver == null || receiver.equals(agent);
        boolean explicitCapability = capability != null && toSelf && !capability.equals(original.capability());
        int copied = 0;
        if (toSelf && !explicitCapability) {
            f[RECEIVER] = original.sender();
            f[CAPABILITY] = null;
            f[BROADCAST] = null;
            copied |= Router.NODE_MADE_RECEIVER;
        }
        if (f[CONVERSATION_ID] == null) {
            f[CONVERSATION_ID] = original.conversationId();
            copied |= Router.NODE_MADE_CONVERSATION_ID;
        }
        if (f[IN_REPLY_TO] == null) {
            f[IN_REPLY_TO] = original.replyWith();
            copied |= Router.NODE_MADE_IN_REPLY_TO;
        }
        fromOriginal = copied;
        Object id = f[MESSAGE_ID];
        freshId = id == null || id.equals(original.messageId());
        if (freshId) {
            f[MESSAGE_ID] = freshIds.get();
        }
        f[HOPS] = original.nextHop();
        f[TRACEPARENT] = Traceparent.child(original.traceparent());
    }

    /**
     * Whether the completion gave the reply a fresh message id (the guest wrote none, or the
     * original's). Meaningful after {@link #complete}.
     *
     * @return true when the id came from {@code freshIds}
     */
    boolean freshId() {
        return freshId;
    }

    /**
     * Which fields the completion set to the original's own values (the receiver to its sender, the
     * conversation, in-reply-to to its reply-with), as {@code Router.NODE_MADE_*} flags. They are as
     * well-formed as the original: that vouches for them only when the original was checked.
     * Meaningful after {@link #complete}.
     *
     * @return the flags of the fields copied from the original
     */
    int fromOriginal() {
        return fromOriginal;
    }
}
