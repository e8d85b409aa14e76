package dev.caxton.runtime.routing;

import dev.caxton.runtime.api.RoutingException;
import dev.caxton.runtime.api.SendStatus;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.message.Performative;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Local message routing: by receiver name, or by capability to one holder (round-robin) or all
 * (broadcast).
 *
 * <p>Two kinds of sending, with different answers to a full mailbox:
 * <ul>
 *   <li>{@link #route} is for senders who can hear "no" — an API client, an agent's
 *       {@code send_message}. It never blocks and never queues on their behalf: a full mailbox is an
 *       immediate {@link SendStatus#QUEUE_FULL} (back-pressure).</li>
 *   <li>{@link #routeOwned} is for messages the node itself is responsible for — an agent's reply, a
 *       failure notice, a broadcast copy. Nobody could take a refusal, so a full mailbox is retried
 *       with backoff ({@link RetryPolicy}), and what still cannot be delivered is dead-lettered
 *       with the reason. Nothing vanishes.</li>
 * </ul>
 * Both stop loops: a message whose hop count ({@link Envelope#hops()}) exceeds
 * {@code messaging.max_hops} is dead-lettered instead of delivered, so agents that answer each
 * other end after a bounded number of messages whoever started them.
 * Both honour {@code reply_by}: a reply that arrives after its deadline is dead-lettered instead of
 * being delivered as if on time, and the waiting side gets a {@code failure} with reason
 * {@code timeout} when the deadline passes without a reply.
 */
public final class Router implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Router.class.getName());
    private static final int MAX_ID = 256;
    /** How long after a reply_by deadline a reply is still recognised as late. */
    private static final Duration LATE_REPLY_WINDOW = Duration.ofMinutes(5);
    /** The default of {@code messaging.max_hops}. */
    public static final int DEFAULT_MAX_HOPS = 32;

    private final Map<String, Recipient> recipients = new ConcurrentHashMap<>();
    private final Map<String, PendingReply> awaitingReplies = new ConcurrentHashMap<>();
    private final CapabilityDirectory directory;
    private final DeadLetterSink deadLetters;
    private final RetryPolicy retry;
    private final QueueBudget budget;
    private final RouteListener listener;
    private final ScheduledExecutorService timers;
    // Client timeouts and reply_by deadlines: almost all are cancelled by their reply, which costs
    // nothing here, where a scheduled task would be allocated and often wake the timer thread.
    private final DeadlineWheel deadlines = new DeadlineWheel("caxton-deadlines", DeadlineWheel.DEFAULT_TICK_MILLIS);
    private final String idPrefix;
    private final int maxHops;
    private volatile RemoteRoutes remote;
    private volatile ExternalRoutes external;
    private volatile dev.caxton.runtime.trace.Tracer tracer = dev.caxton.runtime.trace.Tracer.OFF;
    private final AtomicLong sequence = new AtomicLong();
    private final LongAdder routed = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder retried = new LongAdder();
    private final LongAdder unclaimedClientReplies = new LongAdder();
    private final LongAdder hopLimited = new LongAdder();
    private final LongAdder inline = new LongAdder();
    // Set once by the node before any message flows (see metrics()); a private instance otherwise.
    private dev.caxton.runtime.metrics.NodeMetrics metrics = new dev.caxton.runtime.metrics.NodeMetrics();

    private record PendingReply(long deadlineMillis, String originalReceiver, String conversationId, String protocol) {
    }

    /**
     * Creates a router.
     *
     * @param directory   the capability directory
     * @param deadLetters where undeliverable messages go
     * @param nodeName    this node's name, part of every generated message id
     * @param retry       how owned deliveries are retried
     * @param budget      the node-wide queue bound (pending retries count against it)
     * @param listener    hears of every delivered message
     */
    public Router(CapabilityDirectory directory, DeadLetterSink deadLetters, String nodeName, RetryPolicy retry,
                  QueueBudget budget, RouteListener listener) {
        this(directory, deadLetters, nodeName, retry, budget, listener, DEFAULT_MAX_HOPS);
    }

    /**
     * Creates a router with a hop limit.
     *
     * @param directory   the capability directory
     * @param deadLetters where undeliverable messages go
     * @param nodeName    this node's name, part of every generated message id
     * @param retry       how owned deliveries are retried
     * @param budget      the node-wide queue bound (pending retries count against it)
     * @param listener    hears of every delivered message
     * @param maxHops     {@code messaging.max_hops}: a message with more hops is dead-lettered
     */
    public Router(CapabilityDirectory directory, DeadLetterSink deadLetters, String nodeName, RetryPolicy retry,
                  QueueBudget budget, RouteListener listener, int maxHops) {
        if (maxHops < 1) {
            throw new IllegalArgumentException("maxHops must be at least 1, got " + maxHops);
        }
        this.maxHops = maxHops;
        this.directory = directory;
        this.deadLetters = deadLetters;
        this.retry = retry;
        this.budget = budget;
        this.listener = listener;
        this.timers = dev.caxton.runtime.fatal.FatalErrors.scheduler("caxton-router-timers");
        // Time and randomness in the prefix keep ids unique across restarts of the same node.
        this.idPrefix = nodeName + "-" + Long.toString(System.currentTimeMillis(), 36) + "-"
                + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36) + "-";
    }

    /**
     * A router with no retries, no node bound and no listener (for tests and tools).
     *
     * @param directory   the capability directory
     * @param deadLetters where undeliverable messages go
     * @param nodeName    this node's name
     * @return the router
     */
    public static Router simple(CapabilityDirectory directory, DeadLetterSink deadLetters, String nodeName) {
        return new Router(directory, deadLetters, nodeName, new RetryPolicy(0, Duration.ofMillis(1), 1, Duration.ZERO),
                new QueueBudget(Long.MAX_VALUE), e -> { });
    }

    /**
     * Connects the router to the cluster: names and capabilities not found on this node are looked
     * up there.
     *
     * @param routes the cluster's routes, or null for a node alone
     */
    public void remote(RemoteRoutes routes) {
        this.remote = routes;
    }

    /**
     * Connects the router to other agent platforms: receivers that no local or cluster agent answers
     * to and that the external routes {@linkplain ExternalRoutes#handles handle} go there.
     *
     * @param routes the external routes, or null for none
     */
    public void external(ExternalRoutes routes) {
        this.external = routes;
    }

    /**
     * Sets where traced messages' hops are recorded.
     *
     * @param t the node's tracer
     */
    public void tracer(dev.caxton.runtime.trace.Tracer t) {
        this.tracer = t;
    }

    /** @return the node's tracer ({@link dev.caxton.runtime.trace.Tracer#OFF} when none was set) */
    public dev.caxton.runtime.trace.Tracer tracer() {
        return tracer;
    }

    /**
     * Delivers a message another node forwarded here, to a recipient of this node only (never
     * forwarded on, so two nodes with stale directories cannot bounce a message between them).
     * The hop limit and {@code reply_by} hold as for local messages.
     *
     * @param e the message, its receiver set
     * @return {@link SendStatus#ACCEPTED} when delivered (or dead-lettered here for its hops or
     *         lateness, or an unclaimed client reply), otherwise why not
     */
    public SendStatus deliverFromPeer(Envelope e) {
        if (pastHopLimit(e) || lateReply(e)) {
            return SendStatus.ACCEPTED;
        }
        Recipient r = recipients.get(e.receiver());
        if (r == null) {
            if (e.receiver().startsWith(ClientReplies.CLIENT_PREFIX)) {
                unclaimedClientReplies.increment();
                return SendStatus.ACCEPTED;
            }
            refused.increment();
            return SendStatus.UNKNOWN_RECEIVER;
        }
        tracer.record(e, dev.caxton.runtime.trace.Hop.ROUTED, e.receiver(), "arrived from another node");
        traceQueued(e.receiver(), e);
        SendStatus s = r.deliver(e, listener);
        if (s == SendStatus.ACCEPTED) {
            routed.increment();
        } else {
            refused.increment();
        }
        return s;
    }

    /**
     * Records routing latencies into the node's metrics. Call before the router is shared with
     * other threads (the node does so in its constructor).
     *
     * @param m the node's metrics
     */
    public void metrics(dev.caxton.runtime.metrics.NodeMetrics m) {
        this.metrics = java.util.Objects.requireNonNull(m);
    }

    /** @return the capability directory */
    public CapabilityDirectory directory() {
        return directory;
    }

    /** @return the node-wide queue bound */
    public QueueBudget budget() {
        return budget;
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
     * Routes a message for a sender that can take a refusal.
     *
     * @param e the message; a message id is assigned when absent
     * @return the message as routed (with its id)
     * @throws RoutingException when it is malformed, nobody can receive it, or the receiver's mailbox
     *         (or the node's queue) is full; nothing was delivered then. For a broadcast the refusal
     *         comes only when no holder could take it; copies for full mailboxes are retried.
     */
    public Envelope route(Envelope e) {
        return route(e, false, false);
    }

    /**
     * Routes a message for an API client: like {@link #route}, and when one agent on another node
     * receives it, waits (briefly, see {@link RemoteRoutes#forwardConfirmed}) for that node to accept
     * or refuse it, so a full remote mailbox is refused here as a local one would be.
     *
     * @param e the message; a message id is assigned when absent
     * @return the message as routed (with its id)
     * @throws RoutingException as {@link #route}, and when the remote node refused the message
     */
    public Envelope routeConfirmed(Envelope e) {
        return route(e, false, true);
    }

    /**
     * Routes a message the node is responsible for: never throws for delivery problems; retries a
     * full mailbox and dead-letters what cannot be delivered.
     *
     * @param e the message
     */
    public void routeOwned(Envelope e) {
        try {
            route(e, true, false);
        } catch (RoutingException ex) {
            deadLetters.deadLetter(e.messageId() == null ? e.withMessageId(newMessageId()) : e, ex.getMessage());
        }
    }

    private Envelope route(Envelope e, boolean owned, boolean confirm) {
        long start = System.nanoTime();
        validate(e);
        Envelope complete = e.messageId() == null ? e.withMessageId(newMessageId()) : e;
        if (pastHopLimit(complete)) {
            if (owned) {
                return complete;
            }
            throw new RoutingException(SendStatus.NOT_PERMITTED, EnvelopeFields.HOPS, hopLimitReason(complete));
        }
        if (lateReply(complete)) {
            return complete;
        }
        // Tracked before delivery: an agent that runs the message on this thread (a synchronous
        // request) replies before the delivery returns, and its reply must find the entry.
        String replyKey = trackReplyDeadline(complete);
        try {
            deliver(complete, owned, confirm);
        } catch (RuntimeException ex) {
            if (replyKey != null) {
                awaitingReplies.remove(replyKey);
            }
            throw ex;
        }
        scheduleReplyDeadline(complete, replyKey);
        routed.increment();
        metrics.routing().recordNanos(System.nanoTime() - start);
        return complete;
    }

    private void deliver(Envelope complete, boolean owned, boolean confirm) {
        if (complete.receiver() != null) {
            deliverTo(complete.receiver(), complete, owned, confirm);
        } else if (complete.isBroadcast()) {
            List<String> holders = directory.holders(complete.capability());
            RemoteRoutes rr = remote;
            List<RemoteRoutes.Holder> far = rr == null ? List.of() : rr.holders(complete.capability());
            if (holders.isEmpty() && far.isEmpty()) {
                throw unknownCapability(complete.capability());
            }
            for (String holder : holders) {
                // Each copy names its receiver, so replies and traces say who got what.
                Envelope copy = complete.toBuilder().receiver(holder).capability(null).broadcast(null)
                        .messageId(complete.messageId() + "." + holder).build();
                deliverTo(holder, copy, true);
            }
            for (RemoteRoutes.Holder h : far) {
                forwardTo(rr, h.node(), complete.toBuilder().receiver(h.agent()).capability(null).broadcast(null)
                        .messageId(complete.messageId() + "." + h.agent()).build(), false);
            }
        } else {
            RemoteRoutes rr = remote;
            List<RemoteRoutes.Holder> far = rr == null ? List.of() : rr.holders(complete.capability());
            List<String> near = directory.holders(complete.capability());
            if (far.isEmpty() || (rr.preferLocal() && !near.isEmpty())) {
                String holder = directory.pick(complete.capability());
                if (holder == null) {
                    throw unknownCapability(complete.capability());
                }
                deliverTo(holder, complete.toBuilder().receiver(holder).build(), owned, false);
            } else {
                // One counter over local and remote holders: every holder in the cluster gets its turn.
                int i = Math.floorMod(rr.next(complete.capability()), near.size() + far.size());
                if (i < near.size()) {
                    deliverTo(near.get(i), complete.toBuilder().receiver(near.get(i)).build(), owned, false);
                } else {
                    RemoteRoutes.Holder h = far.get(i - near.size());
                    forwardTo(rr, h.node(), complete.toBuilder().receiver(h.agent()).build(), confirm);
                }
            }
        }
    }

    /**
     * Dead-letters a message whose hop count is past the limit. Checked before any delivery (and so
     * before a broadcast fans out), so a loop costs at most {@code maxHops + 1} messages.
     */
    private boolean pastHopLimit(Envelope e) {
        if (e.hops() <= maxHops) {
            return false;
        }
        hopLimited.increment();
        deadLetters.deadLetter(e, hopLimitReason(e));
        return true;
    }

    private String hopLimitReason(Envelope e) {
        return "hop limit exceeded: " + e.hops() + " > messaging.max_hops " + maxHops;
    }

    /** @return {@code messaging.max_hops} */
    public int maxHops() {
        return maxHops;
    }

    private RoutingException unknownCapability(String capability) {
        refused.increment();
        return new RoutingException(SendStatus.UNKNOWN_RECEIVER, EnvelopeFields.CAPABILITY,
                "no agent holds capability '" + capability + "'");
    }

    private void forwardTo(RemoteRoutes rr, String node, Envelope e, boolean confirm) {
        long start = System.nanoTime();
        tracer.record(e, dev.caxton.runtime.trace.Hop.ROUTED, e.receiver(), "to node " + node);
        if (!confirm) {
            rr.forward(node, e);
            metrics.remoteRouting().recordNanos(System.nanoTime() - start);
            return;
        }
        RemoteRoutes.Refusal no = rr.forwardConfirmed(node, e);
        metrics.remoteRouting().recordNanos(System.nanoTime() - start);
        if (no != null) {
            refused.increment();
            throw new RoutingException(no.status(), EnvelopeFields.RECEIVER, no.reason());
        }
    }

    private void deliverTo(String name, Envelope e, boolean owned) {
        deliverTo(name, e, owned, false);
    }

    private void deliverTo(String name, Envelope e, boolean owned, boolean confirm) {
        Recipient r = recipients.get(name);
        if (r == null) {
            RemoteRoutes rr = remote;
            String node = rr == null ? null : rr.nodeOf(name);
            if (node != null) {
                forwardTo(rr, node, e, confirm);
                return;
            }
            ExternalRoutes ext = external;
            if (ext != null && ext.handles(name)) {
                tracer.record(e, dev.caxton.runtime.trace.Hop.ROUTED, name, "to another platform");
                RemoteRoutes.Refusal no = ext.send(e);
                if (no != null) {
                    refused.increment();
                    throw new RoutingException(no.status(), EnvelopeFields.RECEIVER, no.reason());
                }
                return;
            }
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
        tracer.record(e, dev.caxton.runtime.trace.Hop.ROUTED, name, "local");
        traceQueued(name, e);
        SendStatus s = r.deliver(e, listener);
        if (s == SendStatus.ACCEPTED) {
            return;
        }
        if (s == SendStatus.QUEUE_FULL && owned) {
            scheduleRetry(name, e, 1, System.nanoTime());
            return;
        }
        refused.increment();
        throw new RoutingException(s, EnvelopeFields.RECEIVER, describe(s, name));
    }

    /**
     * Recorded as the message is handed to its recipient rather than after, since the agent may take
     * it from the mailbox before the hand-off returns: a hand-off that is refused shows as a later
     * retry or dead-lettered hop. A message for a waiting API client is its answer arriving.
     */
    private void traceQueued(String name, Envelope e) {
        if (e.traceparent() != null) {
            tracer.record(e, name.startsWith(ClientReplies.CLIENT_PREFIX)
                    ? dev.caxton.runtime.trace.Hop.REPLIED : dev.caxton.runtime.trace.Hop.QUEUED, name, null);
        }
    }

    private void scheduleRetry(String name, Envelope e, int attempt, long firstFailureNanos) {
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - firstFailureNanos);
        if (attempt > retry.attempts()) {
            deadLetters.deadLetter(e, "retries exhausted: " + retry.attempts() + " retries, the mailbox of '" + name
                    + "' stayed full");
            return;
        }
        Duration wait = retry.delayBefore(attempt);
        if (elapsedMs + wait.toMillis() > retry.deliveryTimeout().toMillis()) {
            deadLetters.deadLetter(e, "delivery timed out: the mailbox of '" + name + "' stayed full for "
                    + elapsedMs + "ms (messaging.delivery_timeout " + retry.deliveryTimeout().toMillis() + "ms)");
            return;
        }
        if (!budget.tryAcquire()) {
            deadLetters.deadLetter(e, "the node's queue is full (messaging.queue_size " + budget.limit()
                    + "); the mailbox of '" + name + "' was full");
            return;
        }
        retried.increment();
        timers.schedule(() -> {
            budget.release(1);
            Recipient r = recipients.get(name);
            if (r != null) {
                traceQueued(name, e);
            }
            SendStatus s = r == null ? SendStatus.UNKNOWN_RECEIVER : r.deliver(e, listener);
            switch (s) {
                case ACCEPTED -> { }
                case QUEUE_FULL -> scheduleRetry(name, e, attempt + 1, firstFailureNanos);
                default -> deadLetters.deadLetter(e, "retry " + attempt + " failed: " + describe(s, name));
            }
        }, wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static String describe(SendStatus s, String name) {
        return switch (s) {
            case QUEUE_FULL -> "the mailbox of '" + name + "' is full";
            case UNKNOWN_RECEIVER -> "'" + name + "' takes no messages (stopped, draining or failed)";
            default -> s.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
        };
    }

    // ---------------------------------------------------------------- reply_by

    private static String replyKey(String party, String token) {
        return party + "\u0000" + token;
    }

    /** @return the key of the awaited reply, or null when the message sets no deadline */
    private String trackReplyDeadline(Envelope e) {
        if (e.replyBy() == null || e.replyWith() == null || e.sender() == null) {
            return null;
        }
        String key = replyKey(e.sender(), e.replyWith());
        awaitingReplies.put(key, new PendingReply(e.replyBy(), e.receiver() != null ? e.receiver() : e.capability(),
                e.conversationId(), e.protocol()));
        return key;
    }

    private void scheduleReplyDeadline(Envelope e, String key) {
        if (key == null || !awaitingReplies.containsKey(key)) {
            // No deadline, or the reply came during the delivery: nothing to time out.
            return;
        }
        long delay = Math.max(0, e.replyBy() - System.currentTimeMillis());
        // The wheel only notices the deadline; the notice is built and delivered on the timer
        // thread, because a delivery may block or retry and the wheel's actions must stay short.
        deadlines.schedule(TimeUnit.MILLISECONDS.toNanos(delay), () -> timers.execute(() -> replyDeadlinePassed(e, key)));
    }

    private void replyDeadlinePassed(Envelope e, String key) {
        PendingReply p = awaitingReplies.get(key);
        if (p == null) {
            return;
        }
        // The entry stays a while after the deadline, so a reply that comes late is recognised
        // as late (and dead-lettered) rather than delivered as if it were on time.
        timers.schedule(() -> awaitingReplies.remove(key, p), LATE_REPLY_WINDOW.toMillis(), TimeUnit.MILLISECONDS);
        Envelope timeout = Envelope.builder(Performative.FAILURE).sender(p.originalReceiver()).receiver(e.sender())
                .conversationId(p.conversationId()).inReplyTo(e.replyWith()).protocol(p.protocol())
                .messageId(newMessageId()).hops(e.nextHop())
                .content(Map.of("reason", "timeout", "detail", "no reply by reply_by " + e.replyBy()))
                .build();
        // Delivered directly: through route() this notice would itself count as the late reply.
        if (pastHopLimit(timeout)) {
            return;
        }
        try {
            deliverTo(e.sender(), timeout, true);
        } catch (RoutingException ex) {
            deadLetters.deadLetter(timeout, ex.getMessage());
        }
    }

    /** A reply past its deadline is dead-lettered, not delivered as if on time. */
    private boolean lateReply(Envelope e) {
        if (e.inReplyTo() == null || e.receiver() == null) {
            return false;
        }
        String key = replyKey(e.receiver(), e.inReplyTo());
        PendingReply p = awaitingReplies.get(key);
        if (p == null) {
            return false;
        }
        if (System.currentTimeMillis() <= p.deadlineMillis()) {
            awaitingReplies.remove(key, p);
            return false;
        }
        // A late reply leaves the entry to the deadline's timer: on a busy machine the reply can
        // come before the timer has run, and the sender must still get its timeout failure.
        deadLetters.deadLetter(e, "late reply: arrived after reply_by " + p.deadlineMillis());
        return true;
    }

    /** @return replies awaited with a reply_by deadline */
    public int awaitingReplies() {
        return awaitingReplies.size();
    }

    /** @return messages routed since start */
    public long routedCount() {
        return routed.sum();
    }

    /** @return messages refused since start */
    public long refusedCount() {
        return refused.sum();
    }

    /** @return deliveries retried since start */
    public long retriedCount() {
        return retried.sum();
    }

    /** @return messages dead-lettered for exceeding {@code messaging.max_hops} */
    public long hopLimitedCount() {
        return hopLimited.sum();
    }

    /** Counts a delivery its recipient ran on the sender's thread (see {@link InlineDelivery}). */
    public void countInline() {
        inline.increment();
    }

    /** @return deliveries run on the waiting sender's thread since start */
    public long inlineCount() {
        return inline.sum();
    }

    /** @return replies whose client had stopped waiting */
    public long unclaimedClientReplies() {
        return unclaimedClientReplies.sum();
    }

    /**
     * The wheel that times client waits and {@code reply_by} deadlines.
     *
     * @return the router's deadline wheel
     */
    public DeadlineWheel deadlines() {
        return deadlines;
    }

    /** Stops the retry and deadline timers. */
    @Override
    public void close() {
        deadlines.close();
        timers.shutdownNow();
    }

}
