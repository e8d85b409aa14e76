package dev.caxton.runtime.routing;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lets an API client wait for the reply to a message: the client gets a temporary name
 * ({@code client-...}) that the router delivers to, and the first message addressed to it completes
 * the wait. A wait that runs out completes with a {@code failure} whose reason is {@code timeout}.
 */
public final class ClientReplies implements AutoCloseable {

    /** The prefix of temporary client names. */
    public static final String CLIENT_PREFIX = "client-";

    private final Router router;
    private final AtomicInteger waiting = new AtomicInteger();
    private final ScheduledThreadPoolExecutor timeouts;

    /**
     * Creates the waiting room.
     *
     * @param router the router clients register with
     */
    public ClientReplies(Router router) {
        this.router = router;
        this.timeouts = dev.caxton.runtime.fatal.FatalErrors.scheduler("caxton-client-timeouts");
        // A reply usually comes long before its timeout: cancelled timers must leave the queue at
        // once, or a busy node would hold one per request for the whole wait.
        timeouts.setRemoveOnCancelPolicy(true);
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
     * @return completes with the reply, or with a {@code failure} envelope on timeout
     * @throws RoutingException when the message is refused outright
     */
    public CompletableFuture<Envelope> request(Envelope message, Duration wait, boolean callerWaits) {
        String client = CLIENT_PREFIX + router.newMessageId();
        CompletableFuture<Envelope> reply = new CompletableFuture<>();
        waiting.incrementAndGet();
        router.register(client, (e, accepted) -> {
            accepted.delivered(e);
            reply.complete(e);
            return SendStatus.ACCEPTED;
        });
        Envelope out;
        try {
            Envelope m = message.toBuilder().sender(client)
                    .replyWith(message.replyWith() == null ? client : message.replyWith()).build();
            // A broadcast has many receivers: none of them runs on the caller's thread.
            out = callerWaits && !m.isBroadcast() ? InlineDelivery.waiting(client, () -> router.routeConfirmed(m))
                    : router.routeConfirmed(m);
        } catch (RuntimeException e) {
            waiting.decrementAndGet();
            router.unregister(client);
            throw e;
        }
        Envelope sent = out;
        // Answered already (run inline, or by a very quick agent): no timer to set and cancel, and
        // so no wake-up of the timer thread.
        ScheduledFuture<?> timer = reply.isDone() ? null : timeouts.schedule(() ->
                reply.complete(Envelope.builder(Performative.FAILURE)
                        .sender("caxton").receiver(client).conversationId(sent.conversationId())
                        .inReplyTo(sent.replyWith()).messageId(router.newMessageId())
                        .content(Map.of("reason", "timeout", "detail",
                                "no reply within " + wait.toMillis() + "ms"))
                        .build()), wait.toMillis(), TimeUnit.MILLISECONDS);
        reply.whenComplete((r, t) -> {
            if (timer != null) {
                timer.cancel(false);
            }
            waiting.decrementAndGet();
            router.unregister(client);
        });
        return reply;
    }

    /** Stops the timeout timer. */
    @Override
    public void close() {
        timeouts.shutdownNow();
    }

    /** @return clients currently waiting */
    public int waitingCount() {
        return waiting.get();
    }
}
