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
 * as it is known lost, instead of holding it for the reply timeout: a run whose agents lose
 * requests ends, and says what was lost and why.
 *
 * <p>Each request carries a message id and reply-with of the run's own ({@code prefix + index}), so a
 * dead letter can be matched to its request: by its message id when the request itself was
 * dead-lettered, by its in-reply-to when the reply was. The dead letters are read only when the
 * nodes' dead-letter counters move, so a run that loses nothing pays for none of this but the ids.
 */
final class RequestPump {

    /**
     * How long each request waits for its reply unless {@code --reply-timeout} says otherwise: the node
     * answers a {@code timeout} failure after it. The echo agent answers in microseconds and a loaded
     * run's queueing adds milliseconds, so five seconds is ample for an agent that answers at all,
     * and short enough that an agent that never does is reported in seconds, not minutes.
     */
    static final Duration DEFAULT_REPLY_TIMEOUT = Duration.ofSeconds(5);
    /**
     * A run in which nothing is answered or lost for this long has stalled; for a reply timeout
     * longer than this, the reply timeout and a minute, since a request is known lost only then.
     */
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
    private final Duration replyTimeout;
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

    private RequestPump(CaxtonNode sender, CaxtonNode[] others, int messages, int inFlight, Duration replyTimeout) {
        this.sender = sender;
        this.replyTimeout = replyTimeout;
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
     * @param replyTimeout how long each request waits for its reply before it is lost as {@code no_reply}
     * @param bar      progress
     * @param others   further nodes the requests or their replies pass through: their dead letters
     *                 are looked at too
     * @return the requests lost, with their reasons
     * @throws CliException when nothing was answered or lost for 120 s (or the reply timeout and a minute)
     */
    static LostMessages run(CaxtonNode sender, int messages, int inFlight, Duration replyTimeout, Progress bar,
                            CaxtonNode... others) throws Exception {
        RequestPump pump = new RequestPump(sender, others, messages, inFlight, replyTimeout);
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

    /**
     * Sends one request to each of the pool's agents at once and waits for the answers, before
     * anything is measured: an agent that takes requests and answers none would otherwise have the
     * run lose every request, one reply timeout per window, and report it only at the end. A
     * failure reply passes (the run counts such losses itself); no reply at all stops the run.
     *
     * @param sender       the node the run sends on
     * @param agents       how many agents ({@code pool-0}, {@code pool-1}, ...) the pool has
     * @param replyTimeout how long each may take to answer
     * @param module       what the agents run, for the error
     * @throws CliException naming the first agent that did not answer, and what to do
     */
    static void checkAnswers(CaxtonNode sender, int agents, Duration replyTimeout, String module) throws Exception {
        java.util.List<CompletableFuture<Envelope>> replies = new java.util.ArrayList<>();
        for (int i = 0; i < agents; i++) {
            replies.add(sender.request(Envelope.builder(Performative.REQUEST).receiver("pool-" + i).content(0L).build(),
                    replyTimeout));
        }
        for (int i = 0; i < agents; i++) {
            // The node answers a timeout failure once the reply timeout is over; the extra minute only
            // guards against a node that does not.
            Envelope r = replies.get(i).get(replyTimeout.toMillis() + 60_000, TimeUnit.MILLISECONDS);
            if (noReply(r)) {
                throw new CliException("agent 'pool-" + i + "' (" + module + ") answered no request within "
                        + dev.caxton.spi.Quantities.formatDuration(replyTimeout) + ": the request-reply run needs an agent that replies to"
                        + " every request. For an agent that answers nothing, use --pattern fire-and-forget;"
                        + " for one that takes longer to answer, raise --reply-timeout");
            }
        }
    }

    /** @return whether this is the node's own failure after the reply timeout: the agent never answered */
    private static boolean noReply(Envelope r) {
        return r.performative() == Performative.FAILURE && "caxton".equals(r.sender())
                && "timeout".equals(reasonField(r));
    }

    private void send(int i) {
        pending.add(i);
        String id = prefix + i;
        Envelope e = Envelope.builder(Performative.REQUEST).capability("pool").messageId(id).replyWith(id)
                .content((long) i).build();
        CompletableFuture<Envelope> reply;
        try {
            reply = BenchmarkCommand.Run.offer(() -> sender.request(e, replyTimeout));
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
            lost.lost(noReply(r) ? "no_reply" : "failure", reason);
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
            } else if (System.nanoTime() - since > stallNanos()) {
                long n = lost.count();
                throw new CliException("the benchmark stalled: " + answered.get() + " requests answered"
                        + (n == 0 ? "" : ", " + n + " lost") + ", nothing answered or lost for "
                        + TimeUnit.NANOSECONDS.toSeconds(stallNanos()) + " s with "
                        + inFlight + " in flight");
            }
        }
    }

    private long stallNanos() {
        return stallNanos(replyTimeout);
    }

    /** @return how long a run with this reply timeout may go without an answer or a loss */
    static long stallNanos(Duration replyTimeout) {
        return Math.max(STALL_NANOS, replyTimeout.toNanos() + TimeUnit.MINUTES.toNanos(1));
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
