package dev.caxton.runtime.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.runtime.api.RoutingException;
import dev.caxton.runtime.api.SendStatus;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.message.Performative;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The router skips checking exactly the fields the node produced itself and checks everything else:
 * the seam is {@link Router#validate(Envelope, int)}, whose flags say which fields were node-made.
 * A field marked node-made is not looked at (a value that would be refused passes), and an unmarked
 * one is refused with its name, whatever else is marked.
 */
class RouterNodeMadeTest {

    private static final String CONTROL = "bad\u0001id";
    private static final int ALL = Router.NODE_MADE_SENDER | Router.NODE_MADE_MESSAGE_ID | Router.NODE_MADE_REPLY_WITH;

    private final List<String> dead = new CopyOnWriteArrayList<>();
    private final List<Envelope> received = new CopyOnWriteArrayList<>();
    private final Router router = new Router(new CapabilityDirectory(), (e, reason) -> dead.add(reason), "n1",
            new RetryPolicy(0, Duration.ofMillis(1), 1, Duration.ZERO), new QueueBudget(Long.MAX_VALUE), e -> { });

    @AfterEach
    void close() {
        router.close();
    }

    private static Envelope.Builder message() {
        return Envelope.builder(Performative.INFORM).receiver("someone").sender("agent").messageId("m1")
                .replyWith("r1").conversationId("c1").inReplyTo("i1");
    }

    @Test
    void aFieldMarkedNodeMadeIsNotScannedAgain() {
        // Values the check would refuse pass once marked: the marked fields are not looked at.
        assertThatCode(() -> Router.validate(message().sender(CONTROL).build(), Router.NODE_MADE_SENDER))
                .doesNotThrowAnyException();
        assertThatCode(() -> Router.validate(message().messageId(CONTROL).build(), Router.NODE_MADE_MESSAGE_ID))
                .doesNotThrowAnyException();
        assertThatCode(() -> Router.validate(message().replyWith("x".repeat(300)).build(), Router.NODE_MADE_REPLY_WITH))
                .doesNotThrowAnyException();
    }

    @Test
    void fieldsCopiedFromACheckedMessageAreNotScannedAgainAndTheOthersAre() {
        int copied = Router.NODE_MADE_RECEIVER | Router.NODE_MADE_CONVERSATION_ID | Router.NODE_MADE_IN_REPLY_TO;
        assertThatCode(() -> Router.validate(message().receiver(CONTROL).build(), Router.NODE_MADE_RECEIVER))
                .doesNotThrowAnyException();
        assertThatCode(() -> Router.validate(message().conversationId(CONTROL).build(), Router.NODE_MADE_CONVERSATION_ID))
                .doesNotThrowAnyException();
        assertThatCode(() -> Router.validate(message().inReplyTo("y".repeat(257)).build(), Router.NODE_MADE_IN_REPLY_TO))
                .doesNotThrowAnyException();
        // Each flag vouches for its own field only.
        assertRefused(message().conversationId(CONTROL).build(), Router.NODE_MADE_RECEIVER | Router.NODE_MADE_IN_REPLY_TO,
                EnvelopeFields.CONVERSATION_ID);
        assertRefused(message().inReplyTo(CONTROL).build(), Router.NODE_MADE_RECEIVER | Router.NODE_MADE_CONVERSATION_ID,
                EnvelopeFields.IN_REPLY_TO);
        assertRefused(message().receiver(CONTROL).build(), Router.NODE_MADE_CONVERSATION_ID | Router.NODE_MADE_IN_REPLY_TO,
                EnvelopeFields.RECEIVER);
        assertRefused(message().replyWith(CONTROL).build(), copied, EnvelopeFields.REPLY_WITH);
        assertRefused(message().sender(CONTROL).build(), copied, EnvelopeFields.SENDER);
        assertRefused(message().messageId(CONTROL).build(), copied, EnvelopeFields.MESSAGE_ID);
    }

    @Test
    void unmarkedFieldsAreCheckedAndNamedWhateverElseIsMarked() {
        assertRefused(message().sender(CONTROL).build(), Router.NODE_MADE_NONE, EnvelopeFields.SENDER);
        assertRefused(message().sender(CONTROL).build(), Router.NODE_MADE_MESSAGE_ID, EnvelopeFields.SENDER);
        assertRefused(message().messageId(CONTROL).build(), Router.NODE_MADE_SENDER, EnvelopeFields.MESSAGE_ID);
        // Fields not marked: whatever a sender wrote there is checked.
        assertRefused(message().conversationId(CONTROL).build(), ALL, EnvelopeFields.CONVERSATION_ID);
        assertRefused(message().inReplyTo("y".repeat(257)).build(), ALL, EnvelopeFields.IN_REPLY_TO);
        assertRefused(message().receiver(CONTROL).build(), ALL, EnvelopeFields.RECEIVER);
        assertRefused(message().receiver("a").capability("b").build(), ALL, EnvelopeFields.CAPABILITY);
        // The one-argument form trusts nothing.
        assertThatThrownBy(() -> Router.validate(message().replyWith(CONTROL).build()))
                .isInstanceOfSatisfying(RoutingException.class, ex -> assertThat(ex.field()).isEqualTo(EnvelopeFields.REPLY_WITH));
    }

    @Test
    void anOwnedMessageWithAMalformedFieldIsDeadLetteredNamingTheField() {
        router.register("someone", (e, accepted) -> {
            accepted.delivered(e);
            received.add(e);
            return SendStatus.ACCEPTED;
        });
        router.routeOwned(message().conversationId(CONTROL).build(), ALL);
        router.routeOwned(message().sender("echo").messageId(null).build(), Router.NODE_MADE_SENDER);
        assertThat(dead).containsExactly("malformed " + EnvelopeFields.CONVERSATION_ID + ": must not contain control characters");
        assertThat(received).singleElement().satisfies(e -> assertThat(e.messageId()).startsWith("n1-"));
    }

    @Test
    void aWaitingClientsRequestIsRoutedWithTheIdsTheNodeGaveIt() throws Exception {
        ClientReplies clients = new ClientReplies(router);
        router.register("someone", (e, accepted) -> {
            accepted.delivered(e);
            received.add(e);
            router.routeOwned(Envelope.builder(Performative.INFORM).sender("someone").receiver(e.sender())
                    .inReplyTo(e.replyWith()).content("ok").build());
            return SendStatus.ACCEPTED;
        });
        Envelope reply = clients.request(Envelope.builder(Performative.REQUEST).receiver("someone").build(),
                Duration.ofSeconds(60), true).get(60, TimeUnit.SECONDS);
        assertThat(reply.content()).isEqualTo("ok");
        Envelope sent = received.getFirst();
        assertThat(sent.sender()).startsWith(ClientReplies.CLIENT_PREFIX);
        assertThat(sent.replyWith()).isEqualTo(sent.sender());
        assertThat(sent.messageId()).startsWith("n1-");
        // A client's own bad reply-with is still refused, naming the field.
        assertThatThrownBy(() -> clients.request(Envelope.builder(Performative.REQUEST).receiver("someone")
                .replyWith(CONTROL).build(), Duration.ofSeconds(60), true))
                .isInstanceOfSatisfying(RoutingException.class, ex -> assertThat(ex.field()).isEqualTo(EnvelopeFields.REPLY_WITH));
        clients.close();
    }

    private static void assertRefused(Envelope e, int nodeMade, String field) {
        assertThatThrownBy(() -> Router.validate(e, nodeMade)).isInstanceOfSatisfying(RoutingException.class, ex -> {
            assertThat(ex.status()).isEqualTo(SendStatus.MALFORMED);
            assertThat(ex.field()).isEqualTo(field);
        });
    }
}
