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
        Waiter reply = new Waiter(client, wait, m.messageId());
        int made = nodeMade;
        // A broadcast has many receivers: none of them runs on the caller's thread. A caller that
        // does not wait at once is answered on another thread: it must be found by name from the start.
        InlineDelivery.Ticket ticket = callerWaits && !m.isBroadcast()
                ? new InlineDelivery.Ticket(client, reply, router, reply) : null;
        waiting.incrementAndGet();
        try {
            // Not routeConfirmed: the caller has the reply future, so an agent on another node is
            // not waited for here (one node round trip per request, on the caller's thread); its
            // node's refusal completes the future instead (Recipient#refused).
            if (ticket == null) {
                router.register(client, reply);
                reply.sent = router.route(m, made);
                reply.registered = true;
            } else {
                reply.sent = InlineDelivery.waiting(ticket, () -> router.route(m, made));
                // Every way the request or the client's name leaves this thread registered the
                // client before it left; unanswered here means it went one of those ways.
                ticket.reach();
                reply.registered = ticket.registered();
            }
        } catch (RuntimeException e) {
            waiting.decrementAndGet();
            router.unregister(client);
            throw e;
        }
        // Answered already (run inline, or by a very quick agent): no timer to set and cancel, and
        // so no wake-up of the timer thread.
        reply.timer = reply.isDone() ? null : timeouts.schedule(DeadlineWheel.nanos(wait), reply);
        reply.setUp();
        return reply;
    }

    /**
     * One waiting client as one object: its future, the recipient registered under its name, the
     * action of its timeout, and the tidy-up once it completes. They were a future and three
     * lambdas per request, each holding some of the same fields, and the tidy-up a
     * {@code whenComplete} stage (two more objects, and a stage to run on every answer).
     *
     * <p>The tidy-up runs once, when both the future is complete and the requesting thread has set
     * the timer and the registration up: whichever of the two comes second runs it, so an answer
     * that comes while the request is still being routed finds nothing half set up.
     */
    private final class Waiter extends CompletableFuture<Envelope> implements Recipient, Runnable {
        private static final int SET_UP = 1;
        private static final int DONE = 2;
        private static final java.lang.invoke.VarHandle STAGE;

        static {
            try {
                STAGE = java.lang.invoke.MethodHandles.lookup().findVarHandle(Waiter.class, "stage", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final String client;
        private final Duration wait;
        /** The request's message id: another node's refusal of it ends the wait (see {@link #refused}). */
        private final String requestId;
        // Written by the requesting thread before the timer is armed (the wheel's enqueue publishes
        // sent to its thread) and before setUp (whose atomic update publishes the other two to
        // whichever thread runs the tidy-up).
        private Envelope sent;
        private boolean registered;
        private DeadlineWheel.Timeout timer;
        @SuppressWarnings("unused") // through STAGE
        private volatile int stage;

        Waiter(String client, Duration wait, String requestId) {
            this.client = client;
            this.wait = wait;
            this.requestId = requestId;
        }

        /** The answer, delivered by the router to the client's name (or on the inline run's thread). */
        @Override
        public SendStatus deliver(Envelope e, RouteListener accepted) {
            accepted.delivered(e);
            complete(e);
            return SendStatus.ACCEPTED;
        }

        /**
         * Another node refused the request after the send returned. Only the request itself: a
         * copy of a broadcast (its own id) refused by one holder leaves the others' replies to come.
         */
        @Override
        public boolean refused(Envelope refused, RoutingException why) {
            return requestId.equals(refused.messageId()) && completeExceptionally(why);
        }

        /** The timeout, on the wheel's thread. */
        @Override
        public void run() {
            complete(Envelope.builder(Performative.FAILURE)
                    .sender("caxton").receiver(client).conversationId(sent.conversationId())
                    .inReplyTo(sent.replyWith()).messageId(router.newMessageId())
                    .content(Map.of("reason", "timeout", "detail",
                            "no reply within " + wait.toMillis() + "ms"))
                    .build());
        }

        /** The requesting thread has set the timer and the registration up. */
        void setUp() {
            if (((int) STAGE.getAndBitwiseOr(this, SET_UP) & DONE) != 0) {
                tidy();
            }
        }

        // Every way a CompletableFuture can be completed from outside ends here too (a caller that
        // gives up and cancels, an orTimeout of its own): the name and the timer are freed whoever
        // completes it.

        @Override
        public boolean complete(Envelope value) {
            boolean r = super.complete(value);
            done();
            return r;
        }

        @Override
        public boolean completeExceptionally(Throwable ex) {
            boolean r = super.completeExceptionally(ex);
            done();
            return r;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean r = super.cancel(mayInterruptIfRunning);
            done();
            return r;
        }

        @Override
        public void obtrudeValue(Envelope value) {
            super.obtrudeValue(value);
            done();
        }

        @Override
        public void obtrudeException(Throwable ex) {
            super.obtrudeException(ex);
            done();
        }

        @Override
        public CompletableFuture<Envelope> completeAsync(java.util.function.Supplier<? extends Envelope> supplier,
                java.util.concurrent.Executor executor) {
            // The base class would complete this future internally, past complete(): route it there.
            java.util.Objects.requireNonNull(supplier);
            executor.execute(() -> {
                try {
                    complete(supplier.get());
                } catch (Throwable t) {
                    completeExceptionally(t);
                }
            });
            return this;
        }

        @Override
        public CompletableFuture<Envelope> completeAsync(java.util.function.Supplier<? extends Envelope> supplier) {
            return completeAsync(supplier, defaultExecutor());
        }

        private void done() {
            if (!isDone()) {
                return;
            }
            int before = (int) STAGE.getAndBitwiseOr(this, DONE);
            if ((before & DONE) == 0 && (before & SET_UP) != 0) {
                tidy();
            }
        }

        private void tidy() {
            if (timer != null) {
                timer.cancel();
            }
            waiting.decrementAndGet();
            if (registered) {
                router.unregister(client);
            }
        }
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
