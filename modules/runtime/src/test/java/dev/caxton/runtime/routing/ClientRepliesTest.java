package dev.caxton.runtime.routing;

import dev.caxton.runtime.api.SendStatus;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Waiting clients' timeouts on the router's deadline wheel, through a real router. */
class ClientRepliesTest {

    private final Router router = Router.simple(new CapabilityDirectory(), (e, reason) -> { }, "test-node");
    private final ClientReplies clients = new ClientReplies(router);
    private final List<Envelope> held = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        clients.close();
        router.close();
    }

    @Test
    void aClientWhoseReplyNeverComesGetsATimeoutFailureNotBeforeItsDeadline() throws Exception {
        registerHolding("silent");
        long start = System.nanoTime();
        CompletableFuture<Envelope> reply = clients.request(
                Envelope.builder(Performative.REQUEST).receiver("silent").build(), Duration.ofMillis(150));
        Envelope failure = reply.get(60, TimeUnit.SECONDS);
        long waited = System.nanoTime() - start;
        assertThat(waited).as("never before the deadline").isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(150));
        assertThat(failure.performative()).isEqualTo(Performative.FAILURE);
        assertThat(failure.content()).isEqualTo(java.util.Map.of("reason", "timeout", "detail", "no reply within 150ms"));
        assertThat(failure.inReplyTo()).isEqualTo(held.getFirst().replyWith());
        awaitQuiet();
        assertThat(clients.waitingCount()).isZero();
    }

    @Test
    void aReplyBeforeTheDeadlineLeavesNothingArmed() throws Exception {
        registerHolding("echo");
        CompletableFuture<Envelope> reply = clients.request(
                Envelope.builder(Performative.REQUEST).receiver("echo").build(), Duration.ofMinutes(10));
        assertThat(router.deadlines().pending()).isPositive();
        Envelope request = held.getFirst();
        router.route(Envelope.builder(Performative.INFORM).sender("echo").receiver(request.sender())
                .inReplyTo(request.replyWith()).build());
        assertThat(reply.get(60, TimeUnit.SECONDS).performative()).isEqualTo(Performative.INFORM);
        // The cancelled entry leaves the wheel at its next tick, not ten minutes later.
        awaitQuiet();
        assertThat(router.deadlines().pending()).isZero();
        assertThat(clients.waitingCount()).isZero();
    }

    @Test
    void everyWayAWaitEndsFreesItsNameItsTimerAndItsCount() throws Exception {
        registerHolding("silent");
        Envelope ask = Envelope.builder(Performative.REQUEST).receiver("silent").build();
        CompletableFuture<Envelope> answered = clients.request(ask, Duration.ofMinutes(10));
        CompletableFuture<Envelope> givenUp = clients.request(ask, Duration.ofMinutes(10));
        CompletableFuture<Envelope> timedOut = clients.request(ask, Duration.ofMillis(20));
        assertThat(clients.waitingCount()).isEqualTo(3);
        List<String> names = held.stream().map(Envelope::sender).toList();
        assertThat(names).allSatisfy(n -> assertThat(router.isRegistered(n)).isTrue());

        // Answered by name from another thread, as a queued agent's worker does.
        Envelope first = held.getFirst();
        Thread worker = Thread.ofPlatform().start(() -> router.route(Envelope.builder(Performative.INFORM)
                .sender("silent").receiver(first.sender()).inReplyTo(first.replyWith()).build()));
        worker.join();
        assertThat(answered.get(60, TimeUnit.SECONDS).performative()).isEqualTo(Performative.INFORM);
        // The caller stops waiting by itself.
        assertThat(givenUp.cancel(false)).isTrue();
        assertThat(timedOut.get(60, TimeUnit.SECONDS).content()).isEqualTo(
                java.util.Map.of("reason", "timeout", "detail", "no reply within 20ms"));

        awaitQuiet();
        assertThat(clients.waitingCount()).isZero();
        assertThat(names).allSatisfy(n -> assertThat(router.isRegistered(n)).as(n).isFalse());
        // A late answer to a name that is gone completes nothing: the futures keep what they had.
        Envelope second = held.get(1);
        router.route(Envelope.builder(Performative.INFORM).sender("silent").receiver(second.sender())
                .inReplyTo(second.replyWith()).build());
        assertThat(givenUp.isCancelled()).isTrue();
        awaitQuiet();
        assertThat(router.deadlines().pending()).as("no timer left armed").isZero();
    }

    @Test
    void anAnswerThatComesWhileTheRequestIsStillBeingRoutedIsTidiedUpOnceTheRequestIsSetUp() throws Exception {
        // The recipient answers inside its delivery, before the request's own thread has finished
        // setting the wait up: the tidy-up must wait for that, then free the name all the same.
        router.register("quick", (e, accepted) -> {
            accepted.delivered(e);
            held.add(e);
            router.route(Envelope.builder(Performative.INFORM).sender("quick").receiver(e.sender())
                    .inReplyTo(e.replyWith()).build());
            return SendStatus.ACCEPTED;
        });
        for (boolean callerWaits : new boolean[] {false, true}) {
            held.clear();
            CompletableFuture<Envelope> reply = clients.request(
                    Envelope.builder(Performative.REQUEST).receiver("quick").build(), Duration.ofMinutes(10), callerWaits);
            assertThat(reply).isDone();
            assertThat(reply.get().performative()).isEqualTo(Performative.INFORM);
            assertThat(clients.waitingCount()).as("callerWaits %s", callerWaits).isZero();
            assertThat(router.isRegistered(held.getFirst().sender())).as("callerWaits %s", callerWaits).isFalse();
            assertThat(router.deadlines().pending()).as("nothing armed for an answer already there").isZero();
        }
    }

    @Test
    void aCallersOwnTimeoutOrCompletionFreesTheNameToo() throws Exception {
        registerHolding("silent");
        Envelope ask = Envelope.builder(Performative.REQUEST).receiver("silent").build();
        CompletableFuture<Envelope> ownTimeout = clients.request(ask, Duration.ofMinutes(10)).orTimeout(10, TimeUnit.MILLISECONDS);
        CompletableFuture<Envelope> completedAsync = clients.request(ask, Duration.ofMinutes(10));
        completedAsync.completeAsync(() -> Envelope.builder(Performative.INFORM).build());
        CompletableFuture<Envelope> obtruded = clients.request(ask, Duration.ofMinutes(10));
        obtruded.obtrudeValue(Envelope.builder(Performative.INFORM).build());
        assertThat(completedAsync.get(60, TimeUnit.SECONDS).performative()).isEqualTo(Performative.INFORM);
        assertThat(ownTimeout).failsWithin(Duration.ofSeconds(60));
        awaitQuiet();
        assertThat(clients.waitingCount()).isZero();
        assertThat(held).extracting(Envelope::sender).allSatisfy(n -> assertThat(router.isRegistered(n)).as(n).isFalse());
        assertThat(router.deadlines().pending()).isZero();
    }

    /** A recipient that takes messages and keeps them, answering none. */
    private void registerHolding(String name) {
        router.register(name, (e, accepted) -> {
            accepted.delivered(e);
            held.add(e);
            return SendStatus.ACCEPTED;
        });
    }

    /**
     * Waits until no client waits and nothing is armed. The tidy-up runs on the completing thread
     * just after the result is set, so a thread woken by the result may look a moment before it is
     * done; a cancelled timer leaves the wheel at its next tick.
     */
    private void awaitQuiet() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while ((clients.waitingCount() != 0 || router.deadlines().pending() != 0) && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }
}
