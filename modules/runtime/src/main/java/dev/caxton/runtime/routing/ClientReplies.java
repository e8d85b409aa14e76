package dev.caxton.runtime.routing;

import dev.caxton.runtime.api.RoutingException;
import dev.caxton.runtime.api.SendStatus;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lets an API client wait for the reply to a message: the client gets a temporary name
 * ({@code client-...}) that the router delivers to, and the first message addressed to it completes
 * the wait. A wait that runs out completes with a {@code failure} whose reason is {@code timeout}.
 *
 * <p>A synchronous request run inline ({@link InlineDelivery}) gets its answer on the caller's thread,
 * handed over without the name: the client is registered under it only when the request or its name
 * leaves that thread, so that an answer from any other thread still finds it.
 *
 * <p>Timeouts live on the router's {@link DeadlineWheel}: arming one is a lock-free enqueue and a
 * reply that comes first cancels it with a compare-and-set, so no timer thread is woken per request
 * and no scheduled task is allocated. A timeout fires at most one wheel tick after its deadline,
 * never before it.
 */
public final class ClientReplies implements AutoCloseable {

    /** The prefix of temporary client names. */
    public static final String CLIENT_PREFIX = "client-";

    private final Router router;
    private final AtomicInteger waiting = new AtomicInteger();
    private final DeadlineWheel timeouts;

    /**
     * Creates the waiting room.
     *
     * @param router the router clients register with
     */
    public ClientReplies(Router router) {
        this.router = router;
        this.timeouts = router.deadlines();
    }

    /**
     * Sends a message as a fresh client and waits for its reply.
     *
     * @param message the message; its sender is replaced by the client's name, and a {@code reply_with}
     *                is set when absent so that failures come back too
     * @param wait    how long to wait
     * @return completes with the reply, or with a {@code failure} envelope on timeout
     * @throws RoutingException when the message is refused outright
     */
    public CompletableFuture<Envelope> request(Envelope message, Duration wait) {
        return request(message, wait, false);
    }

    /**
     * Sends a message as a fresh client, and when the caller waits for the reply at once, lets an
     * idle receiving agent run it on the caller's thread ({@link InlineDelivery}): the returned
     * future is then usually complete already, and no timeout is scheduled.
     *
     * @param message     the message, as for {@link #request(Envelope, Duration)}
     * @param wait        how long to wait
     * @param callerWaits true when the caller blocks on the result straight away
     * @return completes with the reply, or with a {@code failure} envelope on timeout; completes
     *         exceptionally with a {@link RoutingException} when the node of a receiver on another
     *         node refuses the message ({@code coordination.cluster.accept_timeout}), as the call
     *         throws for a local refusal
     * @throws RoutingException when the message is refused outright
     */
    public CompletableFuture<Envelope> request(Envelope message, Duration wait, boolean callerWaits) {
        String client = router.newClientName();
        CompletableFuture<Envelope> reply = new CompletableFuture<>();
        // One copy of the message with everything the node adds (the router would otherwise copy
        // it again for the id), and those fields are not checked again by the router.
        int nodeMade = Router.NODE_MADE_SENDER;
        Envelope.Builder b = message.toBuilder().sender(client);
        if (message.replyWith() == null) {
            b.replyWith(client);
            nodeMade |= Router.NODE_MADE_REPLY_WITH;
        }
        if (message.messageId() == null) {
            b.messageId(router.newMessageId());
            nodeMade |= Router.NODE_MADE_MESSAGE_ID;
        }
        Envelope m = b.build();
        Recipient recipient = new Recipient() {
            @Override
            public SendStatus deliver(Envelope e, RouteListener accepted) {
                accepted.delivered(e);
                reply.complete(e);
                return SendStatus.ACCEPTED;
            }

            // Only the request itself: a copy of a broadcast (its own id) refused by one holder
            // leaves the others' replies to come.
            @Override
            public boolean refused(Envelope sent, RoutingException why) {
                return m.messageId().equals(sent.messageId())
                        && reply.completeExceptionally(why);
            }
        };
        int made = nodeMade;
        // A broadcast has many receivers: none of them runs on the caller's thread. A caller that
        // does not wait at once is answered on another thread: it must be found by name from the start.
        InlineDelivery.Ticket ticket = callerWaits && !m.isBroadcast()
                ? new InlineDelivery.Ticket(client, recipient, router, reply) : null;
        waiting.incrementAndGet();
        Envelope out;
        boolean registered;
        try {
            // Not routeConfirmed: the caller has the reply future, so an agent on another node is
            // not waited for here (one node round trip per request, on the caller's thread); its
            // node's refusal completes the future instead (Recipient#refused).
            if (ticket == null) {
                router.register(client, recipient);
                out = router.route(m, made);
                registered = true;
            } else {
                out = InlineDelivery.waiting(ticket, () -> router.route(m, made));
                // Every way the request or the client's name leaves this thread registered the
                // client before it left; unanswered here means it went one of those ways.
                ticket.reach();
                registered = ticket.registered();
            }
        } catch (RuntimeException e) {
            waiting.decrementAndGet();
            router.unregister(client);
            throw e;
        }
        Envelope sent = out;
        // Answered already (run inline, or by a very quick agent): no timer to set and cancel, and
        // so no wake-up of the timer thread.
        DeadlineWheel.Timeout timer = reply.isDone() ? null : timeouts.schedule(DeadlineWheel.nanos(wait), () ->
                reply.complete(Envelope.builder(Performative.FAILURE)
                        .sender("caxton").receiver(client).conversationId(sent.conversationId())
                        .inReplyTo(sent.replyWith()).messageId(router.newMessageId())
                        .content(Map.of("reason", "timeout", "detail",
                                "no reply within " + wait.toMillis() + "ms"))
                        .build()));
        reply.whenComplete((r, t) -> {
            if (timer != null) {
                timer.cancel();
            }
            waiting.decrementAndGet();
            if (registered) {
                router.unregister(client);
            }
        });
        return reply;
    }

    /** Nothing to stop: the timeouts' wheel belongs to the router and closes with it. */
    @Override
    public void close() {
        // The router's wheel is shared with reply_by deadlines; the router closes it.
    }

    /** @return clients currently waiting */
    public int waitingCount() {
        return waiting.get();
    }
}
