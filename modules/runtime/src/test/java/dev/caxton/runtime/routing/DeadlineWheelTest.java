package dev.caxton.runtime.routing;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The deadline wheel, driven by hand on a controllable clock (no sleeps) except where its thread is the subject. */
class DeadlineWheelTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final AtomicLong clock = new AtomicLong(1_000 * MS + 123);
    private final DeadlineWheel wheel = new DeadlineWheel(clock::get, 4, null);

    @Test
    void aDeadlineFiresOnceItHasPassedAndNeverBefore() {
        AtomicInteger fired = new AtomicInteger();
        long start = clock.get();
        wheel.schedule(10 * MS, fired::incrementAndGet);
        // Step the clock one nanosecond at a time around the deadline: nothing before it.
        clock.set(start + 10 * MS - 5);
        for (int i = 0; i < 4; i++) {
            clock.incrementAndGet();
            wheel.advance();
            assertThat(fired).as("at %d ns before the deadline", start + 10 * MS - clock.get()).hasValue(0);
        }
        // At most one tick (4 ms) after the deadline it has fired, exactly once.
        clock.set(start + 14 * MS);
        wheel.advance();
        clock.addAndGet(100 * MS);
        wheel.advance();
        assertThat(fired).hasValue(1);
        assertThat(wheel.pending()).isZero();
    }

    @Test
    void noDeadlineFiresEarlyWhateverItsLengthAndTheClockSteps() {
        List<long[]> firings = new ArrayList<>();
        long start = clock.get();
        for (int i = 0; i < 2_000; i++) {
            // Delays from 0 to beyond one revolution of the wheel (512 slots of 4 ms).
            long delay = (i * 7_919L % 3_000) * MS + i;
            long deadline = start + delay;
            wheel.schedule(delay, () -> firings.add(new long[] {deadline, clock.get()}));
        }
        while (firings.size() < 2_000) {
            clock.addAndGet(MS + 333);
            wheel.advance();
            assertThat(clock.get() - start).as("all fired within their longest delay plus a tick").isLessThan(3_010 * MS);
        }
        for (long[] f : firings) {
            assertThat(f[1]).as("fired at or after its deadline").isGreaterThanOrEqualTo(f[0]);
            assertThat(f[1] - f[0]).as("late by at most one tick plus one clock step").isLessThanOrEqualTo(5 * MS + 333);
        }
        assertThat(wheel.pending()).isZero();
    }

    @Test
    void aCancelledDeadlineNeverFires() {
        AtomicInteger fired = new AtomicInteger();
        DeadlineWheel.Timeout early = wheel.schedule(5 * MS, fired::incrementAndGet);
        DeadlineWheel.Timeout placed = wheel.schedule(50 * MS, fired::incrementAndGet);
        assertThat(early.cancel()).isTrue();
        wheel.advance(); // takes 'placed' into its slot
        assertThat(placed.cancel()).isTrue();
        assertThat(placed.cancel()).as("a second cancel is a no-op").isFalse();
        clock.addAndGet(1_000 * MS);
        wheel.advance();
        assertThat(fired).hasValue(0);
        assertThat(wheel.pending()).isZero();
    }

    @Test
    void aFiredDeadlineCannotBeCancelled() {
        DeadlineWheel.Timeout t = wheel.schedule(MS, () -> { });
        clock.addAndGet(10 * MS);
        wheel.advance();
        assertThat(t.cancel()).isFalse();
        assertThat(t.isCancelled()).isFalse();
    }

    @Test
    void manyCancelledEntriesAreSweptBeforeTheirDeadlines() {
        List<DeadlineWheel.Timeout> all = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            all.add(wheel.schedule(60_000 * MS, () -> { }));
        }
        wheel.advance();
        assertThat(wheel.pending()).isEqualTo(100_000);
        all.forEach(DeadlineWheel.Timeout::cancel);
        clock.addAndGet(4 * MS);
        wheel.advance();
        assertThat(wheel.pending()).as("the finished waits are not held until their deadlines").isZero();
    }

    @Test
    void aCancelledDeadlineNoLongerHoldsWhatItsActionHolds() throws InterruptedException {
        // A waiting client's timeout holds its future, and the future the reply: a cancelled entry
        // still queued or in its slot must not keep them alive until the wheel next looks at it.
        Object reply = new byte[1 << 20];
        java.lang.ref.WeakReference<Object> held = new java.lang.ref.WeakReference<>(reply);
        DeadlineWheel.Timeout queued = wheel.schedule(60_000 * MS, holding(reply));
        wheel.advance(); // into its slot
        DeadlineWheel.Timeout stillIncoming = wheel.schedule(60_000 * MS, holding(reply));
        reply = null;
        assertThat(queued.cancel()).isTrue();
        assertThat(stillIncoming.cancel()).isTrue();
        assertThat(wheel.pending()).as("both entries are still held by the wheel").isEqualTo(2);
        for (int i = 0; i < 50 && held.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertThat(held.get()).as("what the cancelled actions captured was collected").isNull();
    }

    private static Runnable holding(Object o) {
        return o::hashCode;
    }

    @Test
    void aFailingActionDoesNotStopTheOthers() {
        AtomicInteger fired = new AtomicInteger();
        wheel.schedule(MS, () -> {
            throw new IllegalStateException("boom");
        });
        wheel.schedule(MS, fired::incrementAndGet);
        clock.addAndGet(10 * MS);
        wheel.advance();
        assertThat(fired).hasValue(1);
    }

    @Test
    void aTickBelowOneMillisecondIsRefused() {
        assertThatThrownBy(() -> new DeadlineWheel(clock::get, 0, null)).hasMessageContaining("tick");
    }

    @Test
    void theWheelsThreadFiresDeadlinesAndSleepsWhenIdle() throws Exception {
        try (DeadlineWheel real = new DeadlineWheel("wheel-test", 2)) {
            for (int round = 0; round < 3; round++) {
                // After each round the wheel is idle and parked for good; an arm must wake it.
                CountDownLatch done = new CountDownLatch(1);
                long armed = System.nanoTime();
                AtomicLong firedAt = new AtomicLong();
                real.schedule(20 * MS, () -> {
                    firedAt.set(System.nanoTime());
                    done.countDown();
                });
                assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
                assertThat(firedAt.get() - armed).as("never early").isGreaterThanOrEqualTo(20 * MS);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (real.pending() != 0 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
            }
        }
    }
}
