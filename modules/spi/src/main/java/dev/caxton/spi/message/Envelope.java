package dev.caxton.spi.message;

import java.util.Objects;

/**
 * One FIPA-ACL message as Caxton carries it: the performative, addressing, conversation tracking
 * and a content value. Every field but {@code performative} may be absent ({@code null}).
 *
 * <p>The content is a JSON-like value tree made of {@code null}, {@link Boolean}, {@link Long}
 * (integers; {@link java.math.BigInteger} beyond the long range), {@link Double}, {@link String},
 * {@link java.util.List} and {@link java.util.Map} with {@link String} keys. Every serializer maps
 * exactly these types, so content survives any codec unchanged.
 *
 * <p>Envelopes are immutable; the {@code with...} methods and the {@link Builder} make changed
 * copies. {@link EnvelopeFields} converts to and from the generic map form the codecs speak.
 *
 * @param performative   the communicative act; required
 * @param sender         the sending agent's name
 * @param receiver       the receiving agent's name; absent when addressed by capability
 * @param capability     address by capability: one holder is chosen (all of them with broadcast)
 * @param broadcast      with {@code capability}: deliver a copy to every holder; null means false
 * @param content        the payload, a JSON-like value (see above)
 * @param language       the FIPA content language, carried as given
 * @param ontology       the FIPA ontology, carried as given
 * @param protocol       the FIPA interaction protocol, carried as given (e.g. {@code fipa-contract-net})
 * @param conversationId groups the messages of one conversation
 * @param replyWith      the token a reply must quote in {@code inReplyTo}
 * @param inReplyTo      the {@code replyWith} token of the message this one answers
 * @param replyBy        deadline for a reply, milliseconds since the Unix epoch
 * @param priority       the delivery class; null means {@link Priority#NORMAL}
 * @param messageId      unique id; the host sets one when absent
 * @param hops           how many agent hand-offs led to this message: 0 for a message from an API
 *                       client, and one more than the message being handled for anything an agent
 *                       sends or returns while handling it; the runtime sets it, never the sender.
 *                       Never negative.
 * @param traceparent    the W3C trace-context {@code traceparent} of the trace this message belongs to
 *                       ({@code 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>}), or absent
 *                       when untraced; messages sent while handling a traced one keep its trace id
 */
public record Envelope(
        Performative performative,
        String sender,
        String receiver,
        String capability,
        Boolean broadcast,
        Object content,
        String language,
        String ontology,
        String protocol,
        String conversationId,
        String replyWith,
        String inReplyTo,
        Long replyBy,
        Priority priority,
        String messageId,
        int hops,
        String traceparent) {

    /** Checks the required field and that the hop count is not negative. */
    public Envelope {
        Objects.requireNonNull(performative, "performative");
        if (hops < 0) {
            throw new IllegalArgumentException("hops cannot be negative: " + hops);
        }
    }

    /**
     * An envelope without trace context, as every envelope was before tracing existed.
     *
     * @param performative   the communicative act; required
     * @param sender         the sending agent's name
     * @param receiver       the receiving agent's name
     * @param capability     address by capability
     * @param broadcast      deliver to every holder of the capability
     * @param content        the payload
     * @param language       the FIPA content language
     * @param ontology       the FIPA ontology
     * @param protocol       the FIPA interaction protocol
     * @param conversationId the conversation
     * @param replyWith      the token a reply must quote
     * @param inReplyTo      the token of the message this one answers
     * @param replyBy        reply deadline, ms since the epoch
     * @param priority       the delivery class
     * @param messageId      unique id
     * @param hops           the hop count, not negative
     */
    public Envelope(Performative performative, String sender, String receiver, String capability, Boolean broadcast,
                    Object content, String language, String ontology, String protocol, String conversationId,
                    String replyWith, String inReplyTo, Long replyBy, Priority priority, String messageId, int hops) {
        this(performative, sender, receiver, capability, broadcast, content, language, ontology, protocol,
                conversationId, replyWith, inReplyTo, replyBy, priority, messageId, hops, null);
    }

    /**
     * An envelope with hop count 0, as every envelope was before hop counts existed.
     *
     * @param performative   the communicative act; required
     * @param sender         the sending agent's name
     * @param receiver       the receiving agent's name
     * @param capability     address by capability
     * @param broadcast      deliver to every holder of the capability
     * @param content        the payload
     * @param language       the FIPA content language
     * @param ontology       the FIPA ontology
     * @param protocol       the FIPA interaction protocol
     * @param conversationId the conversation
     * @param replyWith      the token a reply must quote
     * @param inReplyTo      the token of the message this one answers
     * @param replyBy        reply deadline, ms since the epoch
     * @param priority       the delivery class
     * @param messageId      unique id
     */
    public Envelope(Performative performative, String sender, String receiver, String capability, Boolean broadcast,
                    Object content, String language, String ontology, String protocol, String conversationId,
                    String replyWith, String inReplyTo, Long replyBy, Priority priority, String messageId) {
        this(performative, sender, receiver, capability, broadcast, content, language, ontology, protocol,
                conversationId, replyWith, inReplyTo, replyBy, priority, messageId, 0);
    }

    /**
     * Starts a builder for an envelope with the given performative.
     *
     * @param performative the communicative act
     * @return a builder
     */
    public static Builder builder(Performative performative) {
        return new Builder().performative(performative);
    }

    /**
     * A builder holding this envelope's fields, to change some of them.
     *
     * @return a builder
     */
    public Builder toBuilder() {
        return new Builder().performative(performative).sender(sender).receiver(receiver)
                .capability(capability).broadcast(broadcast).content(content).language(language)
                .ontology(ontology).protocol(protocol).conversationId(conversationId)
                .replyWith(replyWith).inReplyTo(inReplyTo).replyBy(replyBy).priority(priority)
                .messageId(messageId).hops(hops).traceparent(traceparent);
    }

    /**
     * Whether this message goes to every holder of its capability.
     *
     * @return true only when {@code broadcast} is set to true
     */
    public boolean isBroadcast() {
        return Boolean.TRUE.equals(broadcast);
    }

    /**
     * The priority, with absent read as normal.
     *
     * @return the effective priority
     */
    public Priority effectivePriority() {
        return priority == null ? Priority.NORMAL : priority;
    }

    /**
     * A copy with another message id.
     *
     * @param id the id
     * @return the copy
     */
    public Envelope withMessageId(String id) {
        return toBuilder().messageId(id).build();
    }

    /**
     * A copy with another sender.
     *
     * @param name the sender
     * @return the copy
     */
    public Envelope withSender(String name) {
        return toBuilder().sender(name).build();
    }

    /**
     * A copy with another hop count.
     *
     * @param n the hop count, not negative
     * @return the copy
     */
    public Envelope withHops(int n) {
        return toBuilder().hops(n).build();
    }

    /**
     * The hop count of a message sent while handling this one: one more, saturating rather than
     * overflowing (any limit is far below the int range, so saturation never lets a message through).
     *
     * @return {@code hops + 1}, at most {@link Integer#MAX_VALUE}
     */
    public int nextHop() {
        return hops == Integer.MAX_VALUE ? hops : hops + 1;
    }

    /**
     * A copy with another (or no) trace context.
     *
     * @param tp the traceparent, or null
     * @return the copy
     */
    public Envelope withTraceparent(String tp) {
        return toBuilder().traceparent(tp).build();
    }

    /**
     * A copy with another receiver.
     *
     * @param name the receiver
     * @return the copy
     */
    public Envelope withReceiver(String name) {
        return toBuilder().receiver(name).build();
    }

    /** Builds envelopes field by field. */
    public static final class Builder {
        private Performative performative;
        private String sender;
        private String receiver;
        private String capability;
        private Boolean broadcast;
        private Object content;
        private String language;
        private String ontology;
        private String protocol;
        private String conversationId;
        private String replyWith;
        private String inReplyTo;
        private Long replyBy;
        private Priority priority;
        private String messageId;
        private int hops;
        private String traceparent;

        private Builder() {
        }

        /** @param v the performative @return this builder */
        public Builder performative(Performative v) { performative = v; return this; }
        /** @param v the sender @return this builder */
        public Builder sender(String v) { sender = v; return this; }
        /** @param v the receiver @return this builder */
        public Builder receiver(String v) { receiver = v; return this; }
        /** @param v the capability @return this builder */
        public Builder capability(String v) { capability = v; return this; }
        /** @param v the broadcast flag @return this builder */
        public Builder broadcast(Boolean v) { broadcast = v; return this; }
        /** @param v the content value @return this builder */
        public Builder content(Object v) { content = v; return this; }
        /** @param v the language @return this builder */
        public Builder language(String v) { language = v; return this; }
        /** @param v the ontology @return this builder */
        public Builder ontology(String v) { ontology = v; return this; }
        /** @param v the protocol @return this builder */
        public Builder protocol(String v) { protocol = v; return this; }
        /** @param v the conversation id @return this builder */
        public Builder conversationId(String v) { conversationId = v; return this; }
        /** @param v the reply-with token @return this builder */
        public Builder replyWith(String v) { replyWith = v; return this; }
        /** @param v the in-reply-to token @return this builder */
        public Builder inReplyTo(String v) { inReplyTo = v; return this; }
        /** @param v the reply deadline, ms since the epoch @return this builder */
        public Builder replyBy(Long v) { replyBy = v; return this; }
        /** @param v the priority @return this builder */
        public Builder priority(Priority v) { priority = v; return this; }
        /** @param v the message id @return this builder */
        public Builder messageId(String v) { messageId = v; return this; }
        /** @param v the hop count, not negative @return this builder */
        public Builder hops(int v) { hops = v; return this; }
        /** @param v the W3C traceparent, or null @return this builder */
        public Builder traceparent(String v) { traceparent = v; return this; }

        /**
         * Builds the envelope.
         *
         * @return the envelope
         * @throws NullPointerException     when no performative was set
         * @throws IllegalArgumentException when the hop count is negative
         */
        public Envelope build() {
            return new Envelope(performative, sender, receiver, capability, broadcast, content, language,
                    ontology, protocol, conversationId, replyWith, inReplyTo, replyBy, priority, messageId, hops,
                    traceparent);
        }
    }
}
