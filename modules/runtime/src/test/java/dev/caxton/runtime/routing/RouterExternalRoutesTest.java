package dev.caxton.runtime.routing;

import dev.caxton.runtime.api.RoutingException;
import dev.caxton.runtime.api.SendStatus;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RouterExternalRoutesTest {

    private final List<Envelope> local = new CopyOnWriteArrayList<>();
    private final List<Envelope> external = new CopyOnWriteArrayList<>();
    private final List<String> dead = new CopyOnWriteArrayList<>();

    private Router router() {
        Router r = Router.simple(new CapabilityDirectory(), (e, why) -> dead.add(why), "n1");
        r.register("echo", (e, l) -> {
            local.add(e);
            return SendStatus.ACCEPTED;
        });
        return r;
    }

    /** External routes that take every {@code name@platform}, keep what they are given and answer {@code answer}. */
    private static ExternalRoutes recordingRoutes(List<Envelope> sink, RemoteRoutes.Refusal answer) {
        return new ExternalRoutes() {
            @Override
            public boolean handles(String receiver) {
                return receiver.indexOf('@') > 0;
            }

            @Override
            public RemoteRoutes.Refusal send(Envelope e) {
                sink.add(e);
                return answer;
            }
        };
    }

    @Test
    void namesWithAPlatformGoToTheExternalRoutes() {
        try (Router r = router()) {
            r.external(recordingRoutes(external, null));
            r.route(Envelope.builder(Performative.REQUEST).sender("echo").receiver("buyer@JadePeer").content("hi").build());
            r.route(Envelope.builder(Performative.REQUEST).sender("x@JadePeer").receiver("echo").content("hi").build());
            assertThat(external).extracting(Envelope::receiver).containsExactly("buyer@JadePeer");
            assertThat(local).extracting(Envelope::receiver).containsExactly("echo");
        }
    }

    @Test
    void withoutExternalRoutesSuchNamesAreUnknown() {
        try (Router r = router()) {
            assertThatThrownBy(() -> r.route(Envelope.builder(Performative.REQUEST).receiver("buyer@JadePeer").build()))
                    .isInstanceOfSatisfying(RoutingException.class,
                            e -> assertThat(e.status()).isEqualTo(SendStatus.UNKNOWN_RECEIVER));
        }
    }

    @Test
    void aRefusalReachesTheSenderAndOwnedMessagesAreDeadLettered() {
        try (Router r = router()) {
            r.external(recordingRoutes(external, new RemoteRoutes.Refusal(SendStatus.UNKNOWN_RECEIVER,
                    "no MTP address known for platform 'Nowhere'")));
            assertThatThrownBy(() -> r.route(Envelope.builder(Performative.REQUEST).receiver("a@Nowhere").build()))
                    .isInstanceOfSatisfying(RoutingException.class, e -> {
                        assertThat(e.status()).isEqualTo(SendStatus.UNKNOWN_RECEIVER);
                        assertThat(e.getMessage()).contains("platform 'Nowhere'");
                    });
            r.routeOwned(Envelope.builder(Performative.INFORM).sender("echo").receiver("a@Nowhere").build());
            assertThat(dead).anySatisfy(why -> assertThat(why).contains("platform 'Nowhere'"));
        }
    }
}
