package dev.caxton.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.DeadLetter;
import dev.caxton.runtime.api.DeploySpec;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.testkit.Wat;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The reply to a synchronous request run inline (the path {@code caxtonRequestReply} measures) is
 * not checked again where the node copied a field from the request it had just checked (the reply's
 * receiver, conversation, in-reply-to), and is checked as before wherever the guest wrote the field:
 * real WebAssembly guests that answer every request with a fixed reply carrying a control character
 * in one id get that reply dead-lettered with the field named, run inline as the counter shows.
 */
class InlineReplyIdsTest {

    private static final Duration SHORT = Duration.ofSeconds(2);

    private static BenchNode.Started started;
    private static CaxtonNode node;

    @BeforeAll
    static void start() {
        started = BenchNode.start("compiler", java.util.Map.of());
        node = started.node();
        deploy("plain", "{\"performative\":\"inform\",\"content\":\"ok\"}");
        deploy("bad-conversation", "{\"performative\":\"inform\",\"conversation_id\":\"c\\u0001\",\"content\":\"x\"}");
        deploy("bad-in-reply-to", "{\"performative\":\"inform\",\"in_reply_to\":\"r\\u0007\",\"content\":\"x\"}");
        deploy("bad-receiver", "{\"performative\":\"inform\",\"receiver\":\"bad\\u0001\",\"content\":\"x\"}");
        deploy("bad-reply-with", "{\"performative\":\"inform\",\"reply_with\":\"w\\u009f\",\"content\":\"x\"}");
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    /** Deploys an agent that answers every message with {@code replyJson}. */
    private static void deploy(String name, String replyJson) {
        byte[] reply = replyJson.getBytes(StandardCharsets.UTF_8);
        String wat = """
                (module
                  (memory (export "memory") 1)
                  (data (i32.const 16) "%s")
                  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
                  (func (export "handle_message") (param i32 i32) (result i64)
                    (i64.const %d)))
                """.formatted(replyJson.replace("\\", "\\\\").replace("\"", "\\\""), (16L << 32) | reply.length);
        node.deploy(new DeploySpec(name, Wat.compile(wat), List.of(), null, null, null, null));
    }

    private static Envelope request(String to, String conversation) throws Exception {
        return node.request(Envelope.builder(Performative.REQUEST).receiver(to).conversationId(conversation)
                .content("hi").build(), SHORT, true).get(60, TimeUnit.SECONDS);
    }

    @Test
    void whatTheNodeCopiedFromTheCheckedRequestArrivesWithTheReply() throws Exception {
        long inline = node.counters().get("messages_inline");
        Envelope reply = request("plain", "conv-1");
        assertThat(reply.performative()).isEqualTo(Performative.INFORM);
        assertThat(reply.content()).isEqualTo("ok");
        assertThat(reply.sender()).isEqualTo("plain");
        assertThat(reply.conversationId()).isEqualTo("conv-1");
        assertThat(reply.receiver()).startsWith("client-");
        assertThat(reply.inReplyTo()).isEqualTo(reply.receiver());
        assertThat(node.counters().get("messages_inline")).isEqualTo(inline + 1);
    }

    @Test
    void aControlCharacterTheGuestWroteInConversationIdIsRefused() throws Exception {
        assertRefused("bad-conversation", "malformed conversation_id: must not contain control characters");
    }

    @Test
    void aControlCharacterTheGuestWroteInInReplyToIsRefused() throws Exception {
        assertRefused("bad-in-reply-to", "malformed in_reply_to: must not contain control characters");
    }

    @Test
    void aControlCharacterTheGuestWroteInReceiverIsRefused() throws Exception {
        assertRefused("bad-receiver", "malformed receiver: must not contain control characters");
    }

    @Test
    void aC1ControlCharacterTheGuestWroteInReplyWithIsRefused() throws Exception {
        assertRefused("bad-reply-with", "malformed reply_with: must not contain control characters");
    }

    private static void assertRefused(String agent, String reason) throws Exception {
        long inline = node.counters().get("messages_inline");
        // The request carries a conversation of its own, so only the guest's value can be refused.
        Envelope reply = request(agent, "conv-" + agent);
        // The reply never reached the client, who was told the wait ran out.
        assertThat(reply.performative()).isEqualTo(Performative.FAILURE);
        assertThat(node.counters().get("messages_inline")).isEqualTo(inline + 1);
        List<DeadLetter> dead = node.deadLetters(100);
        assertThat(dead).anySatisfy(d -> {
            assertThat(d.reason()).isEqualTo(reason);
            assertThat(d.envelope().sender()).isEqualTo(agent);
        });
    }
}
