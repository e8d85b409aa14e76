package dev.caxton.runtime.routing;

import dev.caxton.runtime.api.SendStatus;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.message.Priority;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The mailbox's delivery order, driven by a hand-moved clock so that "the agent woke late" and
 * "each message takes 20 ms" are exact, whatever the machine is doing.
 */
class MailboxTest {

    private static final long MS = 1_000_000L;
    private static final RouteListener NONE = e -> { };

    private final AtomicLong now = new AtomicLong(1_000 * MS);

    /** The shipped defaults (critical 1s, high 5s, normal 15s) with the given low max latency. */
    private Mailbox mailbox(Duration lowLatency) {
        return new Mailbox(List.of(
                new Mailbox.ClassPolicy(1000, Duration.ofSeconds(1)),
                new Mailbox.ClassPolicy(1000, Duration.ofSeconds(5)),
                new Mailbox.ClassPolicy(1000, Duration.ofSeconds(15)),
                new Mailbox.ClassPolicy(1000, lowLatency)), new QueueBudget(100_000), now::get);
    }

    private static Envelope msg(String content, Priority p) {
        return Envelope.builder(Performative.INFORM).receiver("a").content(content).priority(p).build();
    }

    private void advance(long millis) {
        now.addAndGet(millis * MS);
    }

    /** Plays the agent: takes one message when ready, handles it for {@code handleMillis}, repeats. */
    private List<String> drain(Mailbox box, long handleMillis) {
        List<String> order = new ArrayList<>();
        while (true) {
            Mailbox.Delivery d = box.poll();
            if (d == null) {
                return order;
            }
            order.add((String) d.envelope().content());
            advance(handleMillis);
        }
    }

    @Test
    @DisplayName("a low message queued first goes as soon as its max latency is up, not after a whole batch of critical ones")
    void lowIsTakenWhenOverdueNotAfterTheBatch() {
        Mailbox box = mailbox(Duration.ofMillis(100));
        box.offer(msg("low", Priority.LOW), NONE);
        for (int i = 0; i < 30; i++) {
            box.offer(msg("critical-" + i, Priority.CRITICAL), NONE);
        }
        // The agent's thread wakes 50 ms late; every message then takes 20 ms.
        advance(50);
        List<String> order = drain(box, 20);
        // Taken at +50, +70, +90: critical (low not yet overdue); at +110 low is overdue and goes next.
        assertThat(order).hasSize(31);
        assertThat(order.subList(0, 4)).containsExactly("critical-0", "critical-1", "critical-2", "low");
    }

    @Test
    @DisplayName("a critical message arriving while low ones are handled goes next, not after the rest of them")
    void criticalArrivingMidStreamGoesNext() {
        Mailbox again = mailbox(Duration.ofMinutes(1));
        for (int i = 0; i < 100; i++) {
            again.offer(msg("low-" + i, Priority.LOW), NONE);
        }
        List<String> seen = new ArrayList<>();
        // Every low message takes 20 ms; the critical one arrives while the third is being handled.
        for (int i = 0; i < 3; i++) {
            seen.add((String) again.poll().envelope().content());
            advance(20);
        }
        again.offer(msg("critical", Priority.CRITICAL), NONE);
        seen.add((String) again.poll().envelope().content());
        assertThat(seen).containsExactly("low-0", "low-1", "low-2", "critical");
    }

    @Test
    @DisplayName("with several classes overdue, the most urgent overdue one goes first; none waits past its latency plus one message")
    void overdueClassesAndBoundedWait() {
        Mailbox box = mailbox(Duration.ofMillis(100));
        box.offer(msg("low", Priority.LOW), NONE);
        box.offer(msg("normal", Priority.NORMAL), NONE);
        for (int i = 0; i < 200; i++) {
            box.offer(msg("critical-" + i, Priority.CRITICAL), NONE);
        }
        List<Long> lowWait = new ArrayList<>();
        long queued = now.get();
        List<String> order = new ArrayList<>();
        Mailbox.Delivery d;
        while ((d = box.poll()) != null) {
            String c = (String) d.envelope().content();
            order.add(c);
            if (c.equals("low")) {
                lowWait.add(now.get() - queued);
            }
            advance(20);
        }
        assertThat(lowWait).singleElement().satisfies(w -> assertThat(w).isLessThanOrEqualTo(120 * MS));
        // Normal (15 s) is not overdue after 200 × 20 ms = 4 s, so it goes after the critical ones.
        assertThat(order.getLast()).isEqualTo("normal");
    }

    @Test
    @DisplayName("each class stays first in, first out with its queue times, as its ring wraps round and grows")
    void ringsKeepOrderAndQueueTimesThroughWrapAndGrowth() {
        Mailbox box = mailbox(Duration.ofDays(1));
        long next = 0;
        long taken = 0;
        // Five in, three out, each queued one millisecond after the last: the head moves round the
        // ring while it fills, so it grows (8, 16, 32, ...) from a wrapped position more than once.
        for (int round = 0; round < 40; round++) {
            for (int i = 0; i < 5; i++) {
                box.offer(msg("m" + next++, Priority.NORMAL), NONE);
                advance(1);
            }
            for (int i = 0; i < 3; i++) {
                long queuedAt = 1_000 * MS + taken * MS;
                assertThat(box.pollEnvelope().content()).isEqualTo("m" + taken);
                assertThat(box.takenQueuedAtNanos()).isEqualTo(queuedAt);
                taken++;
            }
        }
        // What is left comes out of drain in order, each with the time it was queued.
        List<Mailbox.Delivery> left = box.drain();
        assertThat(left).hasSize((int) (next - taken));
        for (Mailbox.Delivery d : left) {
            assertThat(d.envelope().content()).isEqualTo("m" + taken);
            assertThat(d.queuedAtNanos()).isEqualTo(1_000 * MS + taken * MS);
            taken++;
        }
        assertThat(box.pollEnvelope()).isNull();
        assertThat(box.isIdle()).isFalse();
        box.finished();
        assertThat(box.isIdle()).isTrue();
    }

    @Test
    void whetherAMessageWasCheckedTravelsWithItThroughPrioritiesWrapAndGrowth() throws InterruptedException {
        // An agent vouches for what a reply copies from a message only when the router checked that
        // message: the mark must stay with its own message, never with a neighbour's slot.
        Mailbox box = mailbox(Duration.ofDays(1));
        long next = 0;
        int seen = 0;
        for (int round = 0; round < 40; round++) {
            for (int i = 0; i < 5; i++) {
                long n = next++;
                Priority p = n % 4 == 0 ? Priority.CRITICAL : Priority.NORMAL;
                box.offer(msg("m" + n, p), NONE, n % 3 != 1);
            }
            for (int i = 0; i < 3; i++) {
                Envelope e = i == 0 ? box.take(1, TimeUnit.SECONDS).envelope() : box.pollEnvelope();
                long n = Long.parseLong(((String) e.content()).substring(1));
                assertThat(box.takenChecked()).as("the mark of m%d", n).isEqualTo(n % 3 != 1);
                box.finished();
                seen++;
            }
        }
        for (Envelope e; (e = box.pollEnvelope()) != null; seen++) {
            long n = Long.parseLong(((String) e.content()).substring(1));
            assertThat(box.takenChecked()).as("the mark of m%d", n).isEqualTo(n % 3 != 1);
        }
        assertThat(seen).isEqualTo(200);
        // The plain offer marks nothing as checked.
        box.offer(msg("plain", Priority.LOW), NONE);
        box.pollEnvelope();
        assertThat(box.takenChecked()).isFalse();
    }

    @Test
    @DisplayName("queuing a message and taking it allocates nothing once the ring has its size")
    void offerAndPollEnvelopeAllocateNothing() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        Mailbox box = mailbox(Duration.ofDays(1));
        Envelope[] messages = new Envelope[64];
        for (int i = 0; i < messages.length; i++) {
            messages[i] = msg("m" + i, Priority.NORMAL);
        }
        Runnable round = () -> {
            for (Envelope m : messages) {
                box.offer(m, NONE);
            }
            for (int i = 0; i < messages.length; i++) {
                box.pollEnvelope();
            }
        };
        round.run();
        long tid = Thread.currentThread().threadId();
        long before = threads.getThreadAllocatedBytes(tid);
        for (int i = 0; i < 100; i++) {
            round.run();
        }
        long perMessage = (threads.getThreadAllocatedBytes(tid) - before) / (100L * messages.length);
        // A Delivery record per message was 24 bytes; what is left is the measurement's own noise.
        assertThat(perMessage).isLessThan(4);
    }

    @Test
    @DisplayName("take waits for a message, and returns null on timeout or wake-up; the node budget is released per message")
    void takeAndBudget() throws Exception {
        QueueBudget budget = new QueueBudget(2);
        Mailbox box = new Mailbox(List.of(
                new Mailbox.ClassPolicy(10, Duration.ofSeconds(1)), new Mailbox.ClassPolicy(10, Duration.ofSeconds(1)),
                new Mailbox.ClassPolicy(10, Duration.ofSeconds(1)), new Mailbox.ClassPolicy(10, Duration.ofSeconds(1))),
                budget, now::get);
        assertThat(box.take(1, TimeUnit.MILLISECONDS)).isNull();
        assertThat(box.offer(msg("a", Priority.NORMAL), NONE)).isEqualTo(SendStatus.ACCEPTED);
        assertThat(box.offer(msg("b", Priority.HIGH), NONE)).isEqualTo(SendStatus.ACCEPTED);
        assertThat(box.offer(msg("c", Priority.HIGH), NONE)).isEqualTo(SendStatus.QUEUE_FULL);
        assertThat(box.take(1, TimeUnit.SECONDS).envelope().content()).isEqualTo("b");
        assertThat(budget.used()).isEqualTo(1);
        assertThat(box.offer(msg("c", Priority.HIGH), NONE)).isEqualTo(SendStatus.ACCEPTED);
        assertThat(box.take(1, TimeUnit.SECONDS).envelope().content()).isEqualTo("c");
        assertThat(box.poll().envelope().content()).isEqualTo("a");
        assertThat(budget.used()).isZero();
        box.wakeUp();
        assertThat(box.take(1, TimeUnit.HOURS)).isNull();
        box.close();
        assertThat(box.take(1, TimeUnit.HOURS)).isNull();
        assertThat(box.offer(msg("d", Priority.LOW), NONE)).isEqualTo(SendStatus.UNKNOWN_RECEIVER);
    }
}
