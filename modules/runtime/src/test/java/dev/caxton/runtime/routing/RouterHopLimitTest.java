package dev.caxton.runtime.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.runtime.api.RoutingException;
import dev.caxton.runtime.api.SendStatus;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.message.Performative;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The router's hop limit: what stops two parties that answer each other from looping forever. */
class RouterHopLimitTest {

    private record Dead(Envelope envelope, String reason) {
    }

    private final List<Dead> dead = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> received = new ConcurrentHashMap<>();
    private Router router;

    private Router router(int maxHops) {
        router = new Router(new CapabilityDirectory(), (e, reason) -> dead.add(new Dead(e, reason)), "n1",
                new RetryPolicy(0, Duration.ofMillis(1), 1, Duration.ZERO), new QueueBudget(Long.MAX_VALUE),
                e -> { }, maxHops);
        return router;
    }

    @AfterEach
    void close() {
        router.close();
    }

    /** A party that answers every message with an inform back, inheriting the hop count as agents do. */
    private Recipient answering(String name) {
        return (e, accepted) -> {
            accepted.delivered(e);
            received.merge(name, 1, Integer::sum);
            router.routeOwned(Envelope.builder(Performative.INFORM).sender(name).receiver(e.sender())
                    .content("again").hops(e.nextHop()).build());
            return SendStatus.ACCEPTED;
        };
    }

    @Test
    @DisplayName("A and B answering each other stop at the hop limit, with a dead letter naming it")
    void twoPartiesAnsweringEachOtherStop() {
        Router r = router(5);
        r.register("a", answering("a"));
        r.register("b", answering("b"));
        r.route(Envelope.builder(Performative.INFORM).sender("b").receiver("a").content("start").build());

        // Delivery is synchronous here, so when route returns the chain has ended: hops 0..5 delivered.
        assertThat(received.get("a") + received.get("b")).isEqualTo(6);
        assertThat(dead).hasSize(1);
        assertThat(dead.getFirst().reason()).isEqualTo("hop limit exceeded: 6 > messaging.max_hops 5");
        assertThat(dead.getFirst().envelope().hops()).isEqualTo(6);
        assertThat(r.hopLimitedCount()).isEqualTo(1);
    }

    @Test
    @DisplayName("a sender that can hear no is refused past the limit (field hops), and the message is dead-lettered")
    void refusedSendIsDeadLetteredToo() {
        Router r = router(3);
        List<Envelope> got = new CopyOnWriteArrayList<>();
        r.register("x", (e, accepted) -> {
            got.add(e);
            return SendStatus.ACCEPTED;
        });
        r.route(Envelope.builder(Performative.INFORM).receiver("x").hops(3).build());
        assertThat(got).hasSize(1);
        assertThatThrownBy(() -> r.route(Envelope.builder(Performative.INFORM).receiver("x").hops(4).build()))
                .isInstanceOfSatisfying(RoutingException.class, ex -> {
                    assertThat(ex.status()).isEqualTo(SendStatus.NOT_PERMITTED);
                    assertThat(ex.field()).isEqualTo(EnvelopeFields.HOPS);
                    assertThat(ex.getMessage()).isEqualTo("hop limit exceeded: 4 > messaging.max_hops 3");
                });
        assertThat(got).hasSize(1);
        assertThat(dead).extracting(Dead::reason).containsExactly("hop limit exceeded: 4 > messaging.max_hops 3");
    }

    @Test
    @DisplayName("a broadcast past the limit fans out to nobody")
    void broadcastPastTheLimitIsOneDeadLetter() {
        Router r = router(2);
        List<Envelope> got = new CopyOnWriteArrayList<>();
        for (String n : List.of("h1", "h2", "h3")) {
            r.register(n, (e, accepted) -> {
                got.add(e);
                return SendStatus.ACCEPTED;
            });
            r.directory().register("work", n);
        }
        r.routeOwned(Envelope.builder(Performative.CFP).sender("m").capability("work").broadcast(true).hops(3).build());
        assertThat(got).isEmpty();
        assertThat(dead).hasSize(1);
    }

    @Test
    @DisplayName("a hop limit below 1 is a programming error")
    void limitMustBePositive() {
        assertThatThrownBy(() -> router(0)).isInstanceOf(IllegalArgumentException.class);
        router(1);
    }
}
