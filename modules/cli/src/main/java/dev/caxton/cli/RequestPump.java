package dev.caxton.cli;

import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.DeadLetter;
import dev.caxton.runtime.api.RoutingException;
import dev.caxton.runtime.metrics.DeadLetterReason;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;

import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The request-reply throughput run: requests to the pool's echo agents with a window of them in
 * flight, each accounted for once: answered, answered with a failure, refused, or dead-lettered
 * (the request, or the reply on its way back). A request that is lost frees its window slot as soon
 * as it is known lost, instead of holding it for the 60 s its reply is waited for: a run whose
 * agents lose requests ends, and says what was lost and why.
 *
 * <p>Each request carries a message id and reply-with of the run's own ({@code prefix + index}), so a
 * dead letter can be matched to its request: by its message id when the request itself was
 * dead-lettered, by its in-reply-to when the reply was. The dead letters are read only when the
 * nodes' dead-letter counters move, so a run that loses nothing pays for none of this but the ids.
 */
final class RequestPump {

    /** How long each request waits for its reply: the node answers a {@code timeout} failure after it. */
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** A run in which nothing is answered or lost for this long has stalled. */
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(120);
    /**
     * How long a request whose own dead letter was seen may still get its failure reply: an agent's
     * fault dead-letters the request and then sends the failure, and counting the request under the
     * one that came first would make the report depend on thread timing.
     */
    private static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How often the sending thread looks at the dead letters while it waits for a window slot. */
    private static final long POLL_MILLIS = 10;
    /** The most dead letters read at once. */
    private static final int READ_LIMIT = 1000;
    /** Dead letters read beyond the new ones: a dead letter is counted just before it is stored. */
    private static final int READ_SLACK = 64;
    private static final AtomicLong RUNS = new AtomicLong();

    private final CaxtonNode sender;
    private final CaxtonNode[] nodes;
    private final long[] deadSeen;
    private final String prefix;
    private final int inFlight;
    private final Semaphore window;
    private final int messages;
    /**
     * The requests sent and not yet settled, by index: at most the window's size, however many
     * messages the run sends (a flag per message would grow with {@code --messages}).
     */
    private final java.util.Set<Integer> pending;
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong done = new AtomicLong();
    private final LostMessages.Tally lost = new LostMessages.Tally();
    /** Requests whose own dead letter was seen, by index, waiting out the grace. Sending thread only. */
    private final Map<Integer, Dead> deadRequests = new HashMap<>();
    private long lastRead = System.nanoTime();

    private record Dead(long seenNanos, String reason) {
    }

    private RequestPump(CaxtonNode sender, CaxtonNode[] others, int messages, int inFlight) {
        this.sender = sender;
        this.nodes = new CaxtonNode[others.length + 1];
        nodes[0] = sender;
        System.arraycopy(others, 0, nodes, 1, others.length);
        this.deadSeen = new long[nodes.length];
        for (int k = 0; k < nodes.length; k++) {
            deadSeen[k] = deadLetters(nodes[k]);
        }
        this.prefix = "bench-" + ProcessHandle.current().pid() + "-" + RUNS.incrementAndGet() + "-";
        this.inFlight = inFlight;
        this.window = new Semaphore(inFlight);
        this.messages = messages;
        this.pending = ConcurrentHashMap.newKeySet(inFlight * 2);
    }

    /**
     * Sends {@code messages} requests to capability {@code pool} on {@code sender}, {@code inFlight}
     * outstanding at all times, and returns when every one is answered or lost.
     *
     * @param sender   the node the requests are sent on
     * @param messages requests to send
     * @param inFlight requests outstanding at once
     * @param bar      progress
     * @param others   further nodes the requests or their replies pass through: their dead letters
     *                 are looked at too
     * @return the requests lost, with their reasons
     * @throws CliException when nothing was answered or lost for 120 s
     */
    static LostMessages run(CaxtonNode sender, int messages, int inFlight, Progress bar, CaxtonNode... others)
            throws Exception {
        RequestPump pump = new RequestPump(sender, others, messages, inFlight);
        for (int i = 0; i < messages; i++) {
            pump.acquire(1);
            pump.send(i);
            if ((i & 1023) == 0) {
                bar.at(i);
            }
        }
        pump.acquire(inFlight);
        return pump.lost.settle();
    }

    private void send(int i) {
        pending.add(i);
        String id = prefix + i;
        Envelope e = Envelope.builder(Performative.REQUEST).capability("pool").messageId(id).replyWith(id)
                .content((long) i).build();
        CompletableFuture<Envelope> reply;
        try {
            reply = BenchmarkCommand.Run.offer(() -> sender.request(e, WAIT));
        } catch (RoutingException refused) {
            if (settle(i)) {
                lost.refused(refused);
                window.release();
            }
            return;
        }
        reply.whenComplete((r, t) -> answer(i, r, t));
    }

    /** Where the reply, a failure, or the node's timeout failure lands, on whichever thread. */
    private void answer(int i, Envelope r, Throwable t) {
        if (!settle(i)) {
            return;
        }
        Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
        if (cause instanceof RoutingException refused) {
            // Another node refused it after the send returned: counted as a refusal at the send is.
            lost.refused(refused);
        } else if (t != null) {
            lost.lost("error", String.valueOf(t));
        } else if (r.performative() == Performative.FAILURE) {
            String reason = reason(r);
            // The node's own failure after the wait ran out (sender "caxton"), or one the agent or the
            // node answered for it (a fault, a TTL, a failed agent): the request got no answer either way.
            lost.lost("caxton".equals(r.sender()) && "timeout".equals(reasonField(r)) ? "no_reply" : "failure", reason);
        } else {
            answered.incrementAndGet();
        }
        window.release();
    }

    /** @return true for the one caller that settles request {@code i}; the count moves with it */
    private boolean settle(int i) {
        if (!pending.remove(i)) {
            return false;
        }
        done.incrementAndGet();
        return true;
    }

    private void acquire(int permits) throws Exception {
        long last = done.get();
        long since = System.nanoTime();
        while (!window.tryAcquire(permits, POLL_MILLIS, TimeUnit.MILLISECONDS)) {
            readDeadLetters();
            long now = done.get();
            if (now != last) {
                last = now;
                since = System.nanoTime();
            } else if (System.nanoTime() - since > STALL_NANOS) {
                long n = lost.count();
                throw new CliException("the benchmark stalled: " + answered.get() + " requests answered"
                        + (n == 0 ? "" : ", " + n + " lost") + ", nothing answered or lost for 120 s with "
                        + inFlight + " in flight");
            }
        }
    }

    /**
     * Matches new dead letters to the run's requests. Also reads when nothing was read for a grace,
     * because a dead letter is counted before it is stored and the read that saw the count may have
     * missed it.
     */
    private void readDeadLetters() {
        long t = System.nanoTime();
        boolean stale = t - lastRead > GRACE_NANOS;
        for (int k = 0; k < nodes.length; k++) {
            long total = deadLetters(nodes[k]);
            long fresh = total - deadSeen[k];
            if (fresh > 0 || (stale && total > 0)) {
                deadSeen[k] = total;
                lastRead = t;
                for (DeadLetter d : nodes[k].deadLetters((int) Math.min(fresh + READ_SLACK, READ_LIMIT))) {
                    match(d, t);
                }
            }
        }
        for (Iterator<Map.Entry<Integer, Dead>> it = deadRequests.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, Dead> e = it.next();
            int i = e.getKey();
            if (!pending.contains(i)) {
                it.remove();
            } else if (t - e.getValue().seenNanos() > GRACE_NANOS) {
                it.remove();
                lostTo(i, e.getValue().reason());
            }
        }
    }

    private void match(DeadLetter d, long now) {
        Envelope e = d.envelope();
        if (e == null) {
            return;
        }
        int request = index(e.messageId());
        if (request >= 0) {
            deadRequests.putIfAbsent(request, new Dead(now, d.reason()));
            return;
        }
        // The reply (or the failure reply) to a request was dead-lettered: no answer will come.
        int repliedTo = index(e.inReplyTo());
        if (repliedTo >= 0) {
            lostTo(repliedTo, d.reason());
        }
    }

    private void lostTo(int i, String reason) {
        if (settle(i)) {
            lost.lost(DeadLetterReason.classify(reason).label(), reason);
            window.release();
        }
    }

    /** @return the request index an id of this run names, or -1 */
    private int index(String id) {
        if (id == null || !id.startsWith(prefix)) {
            return -1;
        }
        try {
            int i = Integer.parseInt(id, prefix.length(), id.length(), 10);
            return i >= 0 && i < messages ? i : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static long deadLetters(CaxtonNode node) {
        long n = 0;
        for (DeadLetterReason c : DeadLetterReason.values()) {
            n += node.metrics().deadLetters(c);
        }
        return n;
    }

    private static Object reasonField(Envelope failure) {
        return failure.content() instanceof Map<?, ?> m ? m.get("reason") : null;
    }

    /** @return a failure's reason, with its detail when it has one (the node's timeout says how long) */
    private static String reason(Envelope failure) {
        Object reason = reasonField(failure);
        if (reason == null) {
            return String.valueOf(failure.content());
        }
        Object detail = failure.content() instanceof Map<?, ?> m ? m.get("detail") : null;
        return detail == null ? reason.toString() : reason + ": " + detail;
    }
}
