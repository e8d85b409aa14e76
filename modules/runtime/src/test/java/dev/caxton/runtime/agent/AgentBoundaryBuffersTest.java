package dev.caxton.runtime.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.runtime.api.SendStatus;
import dev.caxton.runtime.cluster.JsonWire;
import dev.caxton.runtime.routing.CapabilityDirectory;
import dev.caxton.runtime.routing.ClientReplies;
import dev.caxton.runtime.routing.QueueBudget;
import dev.caxton.runtime.routing.RetryPolicy;
import dev.caxton.runtime.routing.Router;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The agent reuses its own buffers at the guest boundary (the message going in, the reply and
 * {@code send_message} coming out). These tests send a long message and then a short one and check
 * that nothing of the first reaches the second: the guest sees exactly the short message's bytes
 * and nothing past them, and the short reply and send decode from their own bytes only.
 */
class AgentBoundaryBuffersTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final byte SENTINEL = (byte) 0xEE;

    private final List<String> deadLetters = new CopyOnWriteArrayList<>();
    private final Router router = new Router(new CapabilityDirectory(), (e, reason) -> deadLetters.add(reason),
            "test-node", new RetryPolicy(0, Duration.ofMillis(10), 1, Duration.ofMillis(10)), new QueueBudget(1000),
            e -> { });
    private final ClientReplies clients = new ClientReplies(router);
    private final List<Envelope> forwarded = new CopyOnWriteArrayList<>();
    private final List<byte[]> seenByGuest = new CopyOnWriteArrayList<>();
    private final List<Boolean> tailUntouched = new CopyOnWriteArrayList<>();
    private Agent agent;

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.undeploy(Duration.ofSeconds(5)).get(60, TimeUnit.SECONDS);
        }
        clients.close();
        router.close();
    }

    private void start() {
        Agent.Context ctx = Scripted.context(router, (e, reason) -> deadLetters.add(reason));
        Agent.Code code = Scripted.jsonCode(GuestInstance::new);
        router.register("sink", (e, accepted) -> {
            accepted.delivered(e);
            forwarded.add(e);
            return SendStatus.ACCEPTED;
        });
        agent = new Agent("echo", "id-echo", Instant.now(), code, List.of(), ctx);
        agent.start();
    }

    private Envelope ask(String content) throws Exception {
        return clients.request(Envelope.builder(Performative.REQUEST).receiver("echo").content(content).build(), WAIT, true)
                .get(60, TimeUnit.SECONDS);
    }

    @Test
    void aShortMessageAfterALongOneCarriesNothingOfIt() throws Exception {
        start();
        String secret = "secret-" + "s".repeat(2000);
        assertThat(ask(secret).content()).isEqualTo(secret);
        assertThat(ask("hi").content()).isEqualTo("hi");

        byte[] second = seenByGuest.get(1);
        String text = new String(second, StandardCharsets.UTF_8);
        assertThat(text).contains("\"hi\"").doesNotContain("secret");
        assertThat(new JsonWire().decode(second).content()).isEqualTo("hi");
        assertThat(tailUntouched).as("the host wrote no byte past each message's length").containsOnly(true);
        // The short send after the long one came out of the same buffer, and decoded from its own bytes.
        assertThat(forwarded).extracting(Envelope::content).containsExactly("fwd:" + secret, "fwd:hi");
        assertThat(deadLetters).isEmpty();
    }

    /**
     * A stand-in for an echo agent with a bump allocator over memory filled with a sentinel: each
     * message lands in fresh memory, so any byte the host wrote past the message's length shows. It
     * also sends a copy of each message's content to {@code sink} before replying.
     */
    private final class GuestInstance extends Scripted.Instance {
        private static final int SEND_AT = 40 * 1024;
        private static final int REPLY_AT = 52 * 1024;
        private final Imports imports;
        private final JsonWire json = new JsonWire();
        private int next = 0;

        GuestInstance(Imports imports) {
            super(64 * 1024);
            this.imports = imports;
            byte[] fill = new byte[SEND_AT];
            Arrays.fill(fill, SENTINEL);
            memory.write(0, fill);
        }

        @Override
        public Optional<FunctionType> exportedFunction(String name) {
            return Scripted.messageAbiOnly(name);
        }

        @Override
        public long[] call(String name, long... args) {
            if (name.equals(AbiContract.ALLOC)) {
                int at = next;
                // Room for the message and a stretch of untouched sentinel after it.
                next += (int) args[0] + 4096;
                return new long[] {at};
            }
            if (!name.equals(AbiContract.HANDLE_MESSAGE)) {
                return new long[] {0};
            }
            int at = (int) args[0];
            int length = (int) args[1];
            seenByGuest.add(memory.read(at, length));
            byte[] after = memory.read(at + length, 1024);
            boolean untouched = true;
            for (byte b : after) {
                untouched &= b == SENTINEL;
            }
            tailUntouched.add(untouched);
            String content = String.valueOf(((Map<?, ?>) json.decodeValue(memory.read(at, length))).get("content"));

            byte[] send = json.encodeValue(Map.of("performative", "inform", "receiver", "sink", "content", "fwd:" + content));
            memory.write(SEND_AT, send);
            imports.functions().stream().filter(f -> f.name().equals(AbiContract.SEND_MESSAGE)).findFirst()
                    .orElseThrow().body().call(memory, new long[] {SEND_AT, send.length});

            // No performative: the ABI makes the reply an inform.
            byte[] reply = json.encodeValue(Map.of("content", content));
            memory.write(REPLY_AT, reply);
            return new long[] {((long) REPLY_AT << 32) | reply.length};
        }
    }
}
