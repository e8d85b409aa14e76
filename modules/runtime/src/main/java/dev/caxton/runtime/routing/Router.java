package dev.caxton.runtime.routing;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Local message routing: by receiver name, or by capability to one holder (round-robin) or all
 * (broadcast). The router completes envelopes (message id) and checks the addressing; it never
 * blocks: a full mailbox is an immediate {@link SendStatus#QUEUE_FULL}.
 */
public final class Router {

    private static final System.Logger LOG = System.getLogger(Router.class.getName());
    private static final int MAX_ID = 256;

    private final Map<String, Recipient> recipients = new ConcurrentHashMap<>();
    private final CapabilityDirectory directory;
    private final DeadLetterSink deadLetters;
    private final String idPrefix;
    private final AtomicLong sequence = new AtomicLong();
    private final LongAdder routed = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder unclaimedClientReplies = new LongAdder();

    /**
     * Creates a router.
     *
     * @param directory   the capability directory
     * @param deadLetters where undeliverable messages go
     * @param nodeName    this node's name, part of every generated message id
     */
    public Router(CapabilityDirectory directory, DeadLetterSink deadLetters, String nodeName) {
        this.directory = directory;
        this.deadLetters = deadLetters;
        // Time and randomness in the prefix keep ids unique across restarts of the same node.
        this.idPrefix = nodeName + "-" + Long.toString(System.currentTimeMillis(), 36) + "-"
                + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36) + "-";
    }

    /** @return the capability directory */
    public CapabilityDirectory directory() {
        return directory;
    }

    /**
     * Makes a recipient reachable under a name.
     *
     * @param name      the name messages address
     * @param recipient where they go
     * @throws IllegalStateException when the name is taken
     */
    public void register(String name, Recipient recipient) {
        if (recipients.putIfAbsent(name, recipient) != null) {
            throw new IllegalStateException("'" + name + "' is already registered");
        }
    }

    /**
     * Removes a name.
     *
     * @param name the name
     */
    public void unregister(String name) {
        recipients.remove(name);
        directory.removeAgent(name);
    }

    /**
     * Whether a name is registered.
     *
     * @param name the name
     * @return true when messages to it can be delivered
     */
    public boolean isRegistered(String name) {
        return recipients.containsKey(name);
    }

    /**
     * A fresh message id.
     *
     * @return an id unique to this node
     */
    public String newMessageId() {
        return idPrefix + Long.toString(sequence.incrementAndGet(), 36);
    }

    /**
     * Checks a message's addressing and ids, without routing it.
     *
     * @param e the message
     * @throws RoutingException with {@link SendStatus#MALFORMED} naming the field
     */
    public static void validate(Envelope e) {
        boolean hasReceiver = e.receiver() != null && !e.receiver().isEmpty();
        boolean hasCapability = e.capability() != null && !e.capability().isEmpty();
        if (!hasReceiver && !hasCapability) {
            throw new RoutingException(SendStatus.MALFORMED, EnvelopeFields.RECEIVER,
                    "a message needs a receiver or a capability");
        }
        if (hasReceiver && hasCapability) {
            throw new RoutingException(SendStatus.MALFORMED, EnvelopeFields.CAPABILITY,
                    "a message has either a receiver or a capability, not both");
        }
        if (e.isBroadcast() && !hasCapability) {
            throw new RoutingException(SendStatus.MALFORMED, EnvelopeFields.BROADCAST,
                    "broadcast goes with a capability");
        }
        if (hasCapability) {
            String p = CapabilityDirectory.problemWith(e.capability());
            if (p != null) {
                throw new RoutingException(SendStatus.MALFORMED, EnvelopeFields.CAPABILITY, p);
            }
        }
        checkId(EnvelopeFields.MESSAGE_ID, e.messageId());
        checkId(EnvelopeFields.CONVERSATION_ID, e.conversationId());
        checkId(EnvelopeFields.REPLY_WITH, e.replyWith());
        checkId(EnvelopeFields.IN_REPLY_TO, e.inReplyTo());
        checkId(EnvelopeFields.SENDER, e.sender());
        checkId(EnvelopeFields.RECEIVER, e.receiver());
        if (e.replyBy() != null && e.replyBy() < 0) {
            throw new RoutingException(SendStatus.MALFORMED, EnvelopeFields.REPLY_BY, "cannot be negative");
        }
    }

    private static void checkId(String field, String v) {
        if (v == null) {
            return;
        }
        if (v.isEmpty() || v.length() > MAX_ID) {
            throw new RoutingException(SendStatus.MALFORMED, field, "must be 1 to " + MAX_ID + " characters");
        }
        for (int i = 0; i < v.length(); i++) {
            if (Character.isISOControl(v.charAt(i))) {
                throw new RoutingException(SendStatus.MALFORMED, field, "must not contain control characters");
            }
        }
    }

    /**
     * Routes a message.
     *
     * @param e the message; a message id is assigned when absent
     * @return the message as routed (with its id)
     * @throws RoutingException when it is malformed, nobody can receive it, or the receiver's mailbox
     *         is full; nothing was delivered then (for a broadcast: to nobody)
     */
    public Envelope route(Envelope e) {
        validate(e);
        Envelope complete = e.messageId() == null ? e.withMessageId(newMessageId()) : e;
        if (complete.receiver() != null) {
            deliverTo(complete.receiver(), complete);
        } else if (complete.isBroadcast()) {
            List<String> holders = directory.holders(complete.capability());
            if (holders.isEmpty()) {
                throw unknownCapability(complete.capability());
            }
            int delivered = 0;
            for (String holder : holders) {
                // Each copy names its receiver, so replies and traces say who got what.
                Envelope copy = complete.toBuilder().receiver(holder).capability(null).broadcast(null)
                        .messageId(complete.messageId() + "." + holder).build();
                Recipient r = recipients.get(holder);
                SendStatus s = r == null ? SendStatus.UNKNOWN_RECEIVER : r.deliver(copy);
                if (s == SendStatus.ACCEPTED) {
                    delivered++;
                } else {
                    deadLetters.deadLetter(copy, "broadcast copy not delivered: " + describe(s, holder));
                }
            }
            if (delivered == 0) {
                refused.increment();
                throw new RoutingException(SendStatus.QUEUE_FULL, EnvelopeFields.CAPABILITY,
                        "no holder of capability '" + complete.capability() + "' could take the message");
            }
        } else {
            String holder = directory.pick(complete.capability());
            if (holder == null) {
                throw unknownCapability(complete.capability());
            }
            deliverTo(holder, complete.toBuilder().receiver(holder).build());
        }
        routed.increment();
        return complete;
    }

    private RoutingException unknownCapability(String capability) {
        refused.increment();
        return new RoutingException(SendStatus.UNKNOWN_RECEIVER, EnvelopeFields.CAPABILITY,
                "no agent holds capability '" + capability + "'");
    }

    private void deliverTo(String name, Envelope e) {
        Recipient r = recipients.get(name);
        if (r == null) {
            if (name.startsWith(ClientReplies.CLIENT_PREFIX)) {
                // An answer to an API client that did not wait (or stopped waiting): it was delivered
                // as far as anyone asked, so it is counted rather than dead-lettered. Client names are
                // reserved, so this never hides a missing agent.
                unclaimedClientReplies.increment();
                LOG.log(System.Logger.Level.DEBUG, "message {0} for {1} unclaimed", e.messageId(), name);
                return;
            }
            refused.increment();
            throw new RoutingException(SendStatus.UNKNOWN_RECEIVER, EnvelopeFields.RECEIVER,
                    "no agent named '" + name + "'");
        }
        SendStatus s = r.deliver(e);
        if (s != SendStatus.ACCEPTED) {
            refused.increment();
            throw new RoutingException(s, EnvelopeFields.RECEIVER, describe(s, name));
        }
    }

    private static String describe(SendStatus s, String name) {
        return switch (s) {
            case QUEUE_FULL -> "the mailbox of '" + name + "' is full";
            case UNKNOWN_RECEIVER -> "'" + name + "' takes no messages (stopped, draining or failed)";
            default -> s.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
        };
    }

    /** @return messages routed since start */
    public long routedCount() {
        return routed.sum();
    }

    /** @return messages refused since start */
    public long refusedCount() {
        return refused.sum();
    }

    /** @return replies whose client had stopped waiting */
    public long unclaimedClientReplies() {
        return unclaimedClientReplies.sum();
    }
}
