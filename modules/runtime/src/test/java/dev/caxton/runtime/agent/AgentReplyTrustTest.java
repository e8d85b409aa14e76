package dev.caxton.runtime.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.runtime.api.SendStatus;
import dev.caxton.runtime.cluster.JsonWire;
import dev.caxton.runtime.routing.CapabilityDirectory;
import dev.caxton.runtime.routing.QueueBudget;
import dev.caxton.runtime.routing.RetryPolicy;
import dev.caxton.runtime.routing.Router;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.message.Performative;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An agent's reply is the guest's output, hostile input to the node: the router no longer re-checks
 * the fields the node set on it (the sender, a fresh message id), and must still check every field
 * the guest wrote. A guest that writes a bad id gets its reply dead-lettered with the field named.
 */
class AgentReplyTrustTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private final List<String> deadLetters = new CopyOnWriteArrayList<>();
    private final List<Envelope> answers = new CopyOnWriteArrayList<>();
    private final Router router = new Router(new CapabilityDirectory(), (e, reason) -> deadLetters.add(reason),
            "test-node", new RetryPolicy(0, Duration.ofMillis(10), 1, Duration.ofMillis(10)), new QueueBudget(1000),
            e -> { });
    private volatile Map<String, Object> nextReply;
    // Whether the agent vouched for each message it handled, in order (see Agent.handlingChecked).
    private final List<Boolean> vouched = new CopyOnWriteArrayList<>();
    private volatile java.util.concurrent.CountDownLatch holdFirst = new java.util.concurrent.CountDownLatch(0);
    private Agent agent;

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.undeploy(Duration.ofSeconds(5)).get(60, TimeUnit.SECONDS);
        }
        router.close();
    }

    private void start() {
        Agent.Context ctx = Scripted.context(router, (e, reason) -> deadLetters.add(reason));
        Agent.Code code = Scripted.jsonCode(imports -> new ReplyingGuest());
        router.register("asker", (e, accepted) -> {
            accepted.delivered(e);
            answers.add(e);
            return SendStatus.ACCEPTED;
        });
        agent = new Agent("echo", "id-echo", Instant.now(), code, List.of(), ctx);
        agent.start();
    }

    private void ask(Map<String, Object> reply) {
        nextReply = reply;
        router.route(Envelope.builder(Performative.REQUEST).sender("asker").receiver("echo").replyWith("r1")
                .conversationId("c1").content("hi").build());
    }

    @Test
    void aGuestsBadIdsAreRefusedWithTheFieldNamed() throws Exception {
        start();
        ask(Map.of("content", "x", "message_id", "guest\u0001id"));
        await(() -> deadLetters.size() == 1);
        ask(Map.of("content", "x", "conversation_id", "c".repeat(300)));
        await(() -> deadLetters.size() == 2);
        ask(Map.of("content", "x", "in_reply_to", "bell\u0007"));
        await(() -> deadLetters.size() == 3);
        assertThat(deadLetters).containsExactly(
                "malformed " + EnvelopeFields.MESSAGE_ID + ": must not contain control characters",
                "malformed " + EnvelopeFields.CONVERSATION_ID + ": must be 1 to 256 characters",
                "malformed " + EnvelopeFields.IN_REPLY_TO + ": must not contain control characters");
        assertThat(answers).isEmpty();
    }

    @Test
    void aSenderTheGuestWritesIsReplacedByTheAgentsNameAndTheReplyArrives() throws Exception {
        start();
        ask(Map.of("content", "x", "sender", "forged\u0001"));
        await(() -> answers.size() == 1);
        Envelope reply = answers.getFirst();
        assertThat(reply.sender()).isEqualTo("echo");
        assertThat(reply.messageId()).startsWith("test-node-");
        assertThat(reply.inReplyTo()).isEqualTo("r1");
        assertThat(deadLetters).isEmpty();
    }

    @Test
    void onlyWhatTheAgentSetsIsMarkedNodeMade() {
        start();
        Envelope original = Envelope.builder(Performative.REQUEST).sender("asker").receiver("echo").messageId("m1")
                .replyWith("r1").build();
        int both = Router.NODE_MADE_SENDER | Router.NODE_MADE_MESSAGE_ID;
        assertThat(nodeMadeInReply(Envelope.builder(Performative.INFORM).build(), original)).isEqualTo(both);
        // The guest echoing the request's own id gets a fresh one from the node.
        assertThat(nodeMadeInReply(Envelope.builder(Performative.INFORM).messageId("m1").build(), original))
                .isEqualTo(both);
        // An id the guest chose is its own, and is checked.
        assertThat(nodeMadeInReply(Envelope.builder(Performative.INFORM).messageId("mine").build(), original))
                .isEqualTo(Router.NODE_MADE_SENDER);
    }

    @Test
    void theCompletionNamesTheFieldsItCopiedFromTheOriginalAndNoneTheGuestWrote() {
        Envelope original = Envelope.builder(Performative.REQUEST).sender("asker").receiver("echo").messageId("m1")
                .replyWith("r1").conversationId("c1").build();
        ReplyCompletion completion = new ReplyCompletion("echo", () -> "fresh").reset(original);
        Envelope all = EnvelopeFields.complete(Envelope.builder(Performative.INFORM).build(), completion);
        assertThat(all.receiver()).isSameAs(original.sender());
        assertThat(all.conversationId()).isSameAs(original.conversationId());
        assertThat(all.inReplyTo()).isSameAs(original.replyWith());
        assertThat(completion.fromOriginal()).isEqualTo(
                Router.NODE_MADE_RECEIVER | Router.NODE_MADE_CONVERSATION_ID | Router.NODE_MADE_IN_REPLY_TO);
        // A reply to the agent itself goes back to the original sender too.
        EnvelopeFields.complete(Envelope.builder(Performative.INFORM).receiver("echo").conversationId("mine")
                .inReplyTo("r1").build(), completion.reset(original));
        assertThat(completion.fromOriginal()).isEqualTo(Router.NODE_MADE_RECEIVER);
        EnvelopeFields.complete(Envelope.builder(Performative.INFORM).receiver("someone-else").build(),
                completion.reset(original));
        assertThat(completion.fromOriginal()).isEqualTo(Router.NODE_MADE_CONVERSATION_ID | Router.NODE_MADE_IN_REPLY_TO);
    }

    @Test
    void outsideAnInlineRunFieldsCopiedFromTheOriginalAreStillChecked() throws Exception {
        // A message from another node is delivered as it came: its ids were never checked here, and
        // a reply copying them must be checked as if the guest had written them.
        start();
        nextReply = Map.of("content", "x");
        router.deliverFromPeer(Envelope.builder(Performative.REQUEST).sender("asker").receiver("echo")
                .messageId("p1").replyWith("r1").conversationId("c\u0001").content("hi").build());
        await(() -> deadLetters.size() == 1);
        router.deliverFromPeer(Envelope.builder(Performative.REQUEST).sender("asker").receiver("echo")
                .messageId("p2").replyWith("r\u0007").content("hi").build());
        await(() -> deadLetters.size() == 2);
        router.deliverFromPeer(Envelope.builder(Performative.REQUEST).sender("ask\u0001er").receiver("echo")
                .messageId("p3").replyWith("r3").content("hi").build());
        await(() -> deadLetters.size() == 3);
        assertThat(deadLetters).containsExactly(
                "malformed " + EnvelopeFields.CONVERSATION_ID + ": must not contain control characters",
                "malformed " + EnvelopeFields.IN_REPLY_TO + ": must not contain control characters",
                "malformed " + EnvelopeFields.RECEIVER + ": must not contain control characters");
        assertThat(answers).isEmpty();
    }

    @Test
    void aQueuedMessageTheRouterCheckedIsVouchedForAndAPeersBetweenThemIsNot() throws Exception {
        // The agent is busy with a first message while three more queue behind it: two routed (and
        // so checked) here, one between them from another node with a control character in its
        // conversation id. The mark goes with each message, so only the peer's reply is checked and
        // refused.
        holdFirst = new java.util.concurrent.CountDownLatch(1);
        start();
        nextReply = Map.of("content", "x");
        router.route(Envelope.builder(Performative.REQUEST).sender("asker").receiver("echo").replyWith("r0")
                .conversationId("c0").content("hi").build());
        await(() -> vouched.size() == 1);
        router.route(Envelope.builder(Performative.REQUEST).sender("asker").receiver("echo").replyWith("r1")
                .conversationId("c1").content("hi").build());
        router.deliverFromPeer(Envelope.builder(Performative.REQUEST).sender("asker").receiver("echo")
                .messageId("p1").replyWith("r2").conversationId("c\u0001").content("hi").build());
        router.route(Envelope.builder(Performative.REQUEST).sender("asker").receiver("echo").replyWith("r3")
                .conversationId("c3").content("hi").build());
        holdFirst.countDown();
        await(() -> answers.size() == 3 && deadLetters.size() == 1);
        assertThat(vouched).containsExactly(true, true, false, true);
        assertThat(answers).extracting(Envelope::inReplyTo).containsExactly("r0", "r1", "r3");
        assertThat(deadLetters).containsExactly(
                "malformed " + EnvelopeFields.CONVERSATION_ID + ": must not contain control characters");
    }

    private int nodeMadeInReply(Envelope reply, Envelope original) {
        ReplyCompletion completion = agent.replyCompletion(original);
        EnvelopeFields.complete(reply, completion);
        return agent.nodeMade(completion);
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + WAIT);
            }
            Thread.sleep(5);
        }
    }

    /** A guest that answers each message with whatever reply the test set, as JSON. */
    private final class ReplyingGuest extends Scripted.Instance {
        private static final int REPLY_AT = 32 * 1024;
        private final JsonWire json = new JsonWire();

        ReplyingGuest() {
            super(64 * 1024);
        }

        @Override
        public Optional<FunctionType> exportedFunction(String name) {
            return Scripted.messageAbiOnly(name);
        }

        @Override
        public long[] call(String name, long... args) {
            // Every message lands at address 0 (alloc's answer, as any other export's); only the
            // reply matters here.
            return name.equals(AbiContract.HANDLE_MESSAGE) ? reply() : new long[] {0};
        }

        private long[] reply() {
            vouched.add(agent.handlingChecked());
            try {
                holdFirst.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] reply = json.encodeValue(nextReply);
            memory.write(REPLY_AT, reply);
            return new long[] {((long) REPLY_AT << 32) | reply.length};
        }
    }
}
