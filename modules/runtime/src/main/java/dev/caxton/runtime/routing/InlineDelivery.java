package dev.caxton.runtime.routing;

import dev.caxton.spi.message.Envelope;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Marks a caller that waits for its reply anyway (a synchronous request), so that the one message
 * it sends may be run on its own thread by an idle recipient instead of being queued for the
 * recipient's thread: the caller would only block until that thread woke, ran the message and woke
 * it back, which costs more than the message itself.
 *
 * <p>Only the message the caller sends can be claimed, and only once: what the recipient sends
 * while handling it carries the recipient's name as sender, so an agent's own sends are always
 * queued, and nothing recurses.
 *
 * <p>Guest code that computes for long keeps the thread it runs on. A platform thread is the
 * caller's own to spend; a virtual thread would also hold one of the few carrier threads every
 * virtual thread shares, so at most one fewer inline calls than there are carriers run on virtual
 * threads at once (none on one core), and the others are queued as before.
 */
public final class InlineDelivery {

    private static final ScopedValue<Ticket> CURRENT = ScopedValue.newInstance();
    private static final int VIRTUAL_SLOTS = Math.max(0, Runtime.getRuntime().availableProcessors() - 1);
    private static final AtomicInteger VIRTUAL_IN_USE = new AtomicInteger();

    private InlineDelivery() {
    }

    /**
     * One synchronous request: whose message it is, whether a recipient took it inline, and the
     * waiting client, which is registered with the router under its name only once another thread
     * could answer it.
     *
     * <p>While the request runs inline on the caller's thread, its answer comes back on that thread,
     * and the router hands it to the client from here ({@link #waitingClient}) rather than through a
     * name registered for each request and removed again. The name is registered at the first moment
     * another thread may learn it: the request is queued or forwarded ({@link #leaving}), the inline
     * run sends anything but the answer ({@link #routing}), or the inline run ends unanswered
     * ({@link #leaving}, before the agent's instance, and so its state, passes to another thread).
     */
    static final class Ticket {
        private final String sender;
        private final Recipient client;
        private final Router router;
        private final CompletableFuture<?> answer;
        // Only the calling thread reads and writes these: a scoped value is seen by its own thread only.
        private boolean claimed;
        private boolean registered;

        /**
         * @param sender the request's sender, unique to it (the client's temporary name)
         * @param client where the answer goes
         * @param router the router the client registers with when it must be found by name
         * @param answer completes with the answer: once done, nobody needs to find the client
         */
        Ticket(String sender, Recipient client, Router router, CompletableFuture<?> answer) {
            this.sender = sender;
            this.client = client;
            this.router = router;
            this.answer = answer;
        }

        /** Registers the client under its name, once, unless it has its answer already. */
        void reach() {
            if (!registered && !answer.isDone()) {
                router.register(sender, client);
                registered = true;
            }
        }

        /** @return whether the client was registered (and so must be unregistered) */
        boolean registered() {
            return registered;
        }
    }

    /**
     * Runs {@code send} for a caller that will wait for the reply to the ticket's message.
     *
     * @param ticket the request's ticket
     * @param send   what routes the message
     * @param <R>    what it returns
     * @return what {@code send} returned
     */
    static <R> R waiting(Ticket ticket, Supplier<R> send) {
        return ScopedValue.where(CURRENT, ticket).call(send::get);
    }

    /**
     * Whether the current thread waits for the reply to this message and nobody took it inline yet;
     * true claims it, so a second recipient (or a nested send) gets false.
     *
     * @param e the message being delivered
     * @return true when the recipient may run it on this thread
     */
    public static boolean claim(Envelope e) {
        if (!CURRENT.isBound()) {
            return false;
        }
        Ticket t = CURRENT.get();
        if (t.claimed || !t.sender.equals(e.sender())) {
            return false;
        }
        t.claimed = true;
        return true;
    }

    /**
     * Called as a message is routed: anything an inline run sends other than the request itself
     * and the answer to the client may carry the client's name to another thread, which could
     * answer before this thread gets back, so the client is registered first. The answer itself is
     * handed to the client waiting on this thread directly, whether or not it was registered: it is
     * returned here, from the one look-up of the thread's ticket routing needs.
     *
     * @param e the message about to be routed
     * @return the client waiting on this thread when {@code e} is addressed to it, otherwise null
     */
    static Recipient routing(Envelope e) {
        if (!CURRENT.isBound()) {
            return null;
        }
        Ticket t = CURRENT.get();
        if (t.sender.equals(e.receiver())) {
            return t.client;
        }
        if (!t.registered && !t.sender.equals(e.sender())) {
            t.reach();
        }
        return null;
    }

    /**
     * Called when the request {@code e} leaves the caller's thread (queued for the agent's thread,
     * forwarded to another node or platform) or its inline run ends: its answer may now come from
     * another thread, which finds the client only by name. Nothing happens for other messages or
     * when the client has its answer already.
     *
     * @param e the message being delivered
     */
    public static void leaving(Envelope e) {
        if (!CURRENT.isBound()) {
            return;
        }
        Ticket t = CURRENT.get();
        if (!t.registered && t.sender.equals(e.sender())) {
            t.reach();
        }
    }

    /**
     * Takes a place for an inline call on a virtual thread; every true must be followed by
     * {@link #leaveVirtual()}.
     *
     * @return false when as many virtual threads run guests inline as may
     */
    public static boolean enterVirtual() {
        while (true) {
            int n = VIRTUAL_IN_USE.get();
            if (n >= VIRTUAL_SLOTS) {
                return false;
            }
            if (VIRTUAL_IN_USE.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives back the place taken by {@link #enterVirtual()}. */
    public static void leaveVirtual() {
        VIRTUAL_IN_USE.decrementAndGet();
    }
}
