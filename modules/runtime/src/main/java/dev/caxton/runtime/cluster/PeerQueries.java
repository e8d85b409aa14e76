package dev.caxton.runtime.cluster;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Questions this node asks its peers over the cluster transport and the answers it waits for: the
 * part that conversation reads and trace reads share. Each question carries a number; an answer is
 * taken only from the node that was asked under that number, so a peer can neither answer for
 * another nor fill a read it was never part of. At most {@code maxWaiting} questions wait at once,
 * and every wait ends (answer, malformed answer, timeout) by forgetting the question.
 *
 * @param <A> what one peer's answer is parsed into
 */
final class PeerQueries<A> {

    private final PeerLinks links;
    private final int maxWaiting;
    private final String what;
    private final AtomicLong numbers = new AtomicLong();
    private final Map<Long, Waiting<A>> waiting = new ConcurrentHashMap<>();

    private record Waiting<A>(String node, CompletableFuture<A> answer) {
    }

    /** Builds the question frame for one peer. */
    interface Question {
        /**
         * @param peer the peer asked
         * @param n    the question's number, which its answer must carry
         * @return the frame
         */
        byte[] frame(String peer, long n);
    }

    /**
     * @param links      where questions go
     * @param maxWaiting the most questions waiting at once; past it a peer is not asked
     * @param what       what an answer is called in rejection reasons ("trace answer", ...)
     */
    PeerQueries(PeerLinks links, int maxWaiting, String what) {
        this.links = links;
        this.maxWaiting = maxWaiting;
        this.what = what;
    }

    /**
     * Sends a question to each peer.
     *
     * @param peers      the peers to ask
     * @param question   the frame for a peer and a question number
     * @param incomplete gets the peers that could not be asked (too many waiting, no link)
     * @return each asked peer's pending answer, in the order asked
     */
    Map<String, CompletableFuture<A>> ask(List<String> peers, Question question, List<String> incomplete) {
        Map<String, CompletableFuture<A>> asked = new LinkedHashMap<>();
        for (String peer : peers) {
            if (waiting.size() >= maxWaiting) {
                incomplete.add(peer);
                continue;
            }
            long n = numbers.incrementAndGet();
            Waiting<A> w = new Waiting<>(peer, new CompletableFuture<>());
            waiting.put(n, w);
            // Whatever ends the wait (an answer, a timeout's cancel) frees the entry.
            w.answer().whenComplete((a, t) -> waiting.remove(n));
            if (links.sendCluster(peer, question.frame(peer, n))) {
                asked.put(peer, w.answer());
            } else {
                waiting.remove(n);
                incomplete.add(peer);
            }
        }
        return asked;
    }

    /**
     * Waits for the answers, at most {@code timeout} for all of them together.
     *
     * @param asked      what {@link #ask} returned
     * @param timeout    the longest wait in all
     * @param incomplete gets the peers that did not answer in time, or answered malformed
     * @return the answers that came, in the order asked
     */
    Map<String, A> await(Map<String, CompletableFuture<A>> asked, Duration timeout, List<String> incomplete) {
        Map<String, A> answers = new LinkedHashMap<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Map.Entry<String, CompletableFuture<A>> e : asked.entrySet()) {
            try {
                answers.put(e.getKey(), e.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            } catch (TimeoutException | ExecutionException ex) {
                e.getValue().cancel(false);
                incomplete.add(e.getKey());
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                e.getValue().cancel(false);
                incomplete.add(e.getKey());
            }
        }
        return answers;
    }

    /**
     * Takes an answer frame (after its type byte): the question number, then what {@code parse} reads.
     *
     * @param from      the node it came from
     * @param frame     the frame, positioned at the question number
     * @param minLength the shortest well-formed answer, number included
     * @param parse     reads the rest; throws on malformed bytes
     */
    void onAnswer(String from, ByteBuffer frame, int minLength, Function<ByteBuffer, A> parse) {
        if (frame.remaining() < minLength) {
            links.rejected(from, what + " too short");
            return;
        }
        long n = frame.getLong();
        Waiting<A> w = waiting.get(n);
        // Only the node that was asked may answer.
        if (w == null || !w.node().equals(from)) {
            return;
        }
        A answer;
        try {
            answer = parse.apply(frame);
        } catch (RuntimeException e) {
            links.rejected(from, what + " malformed: " + e.getMessage());
            w.answer().completeExceptionally(e);
            return;
        }
        w.answer().complete(answer);
    }

    /** @return questions still waiting for an answer */
    int waitingCount() {
        return waiting.size();
    }
}
