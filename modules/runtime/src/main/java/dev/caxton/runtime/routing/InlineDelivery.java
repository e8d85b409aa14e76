package dev.caxton.runtime.routing;

import dev.caxton.spi.message.Envelope;

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

    /** One synchronous request: whose message it is and whether a recipient took it inline. */
    private static final class Ticket {
        private final String sender;
        // Only the calling thread reads and writes it: a scoped value is seen by its own thread only.
        private boolean claimed;

        Ticket(String sender) {
            this.sender = sender;
        }
    }

    /**
     * Runs {@code send} for a caller that will wait for the reply to the message from {@code sender}.
     *
     * @param sender the message's sender, unique to this request (the client's temporary name)
     * @param send   what routes the message
     * @param <R>    what it returns
     * @return what {@code send} returned
     */
    static <R> R waiting(String sender, Supplier<R> send) {
        return ScopedValue.where(CURRENT, new Ticket(sender)).call(send::get);
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
