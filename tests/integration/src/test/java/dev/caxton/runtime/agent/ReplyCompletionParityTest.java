package dev.caxton.runtime.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.runtime.trace.Traceparent;
import dev.caxton.serializer.json.JsonSerializerProvider;
import dev.caxton.serializer.msgpack.MsgpackSerializerProvider;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An agent's reply completed while it is decoded (one build, SPI 1.4) is exactly the reply the host
 * made before: decoded, then completed with a builder. Many replies with random field presence,
 * forged and malformed fields among them, through the real JSON and MessagePack codecs, and through
 * the SPI's default (decode, then complete) as a third-party codec gets it.
 */
class ReplyCompletionParityTest {

    private static final String AGENT = "echo";
    private static final String TP = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    @ParameterizedTest
    @ValueSource(strings = {"json", "msgpack"})
    void oneBuildGivesTheReplyDecodeThenCompleteGave(String name) {
        Serializer codec = codec(name);
        Serializer thirdParty = decodeOnly(codec);
        Random random = new Random(16);
        // One completion per path for every reply, as an agent keeps one: nothing may carry over.
        Ids oldIds = new Ids();
        Ids newIds = new Ids();
        Ids defaultIds = new Ids();
        ReplyCompletion reused = new ReplyCompletion(AGENT, newIds);
        ReplyCompletion reusedByDefault = new ReplyCompletion(AGENT, defaultIds);
        int completed = 0;
        int refused = 0;
        for (int i = 0; i < 5_000; i++) {
            Envelope original = randomOriginal(random);
            Map<String, Object> fields = randomReply(random);
            byte[] encoded = codec.encodeValue(fields);
            // The reply sits inside a larger buffer, as the guest's memory copy does.
            int at = random.nextInt(4);
            byte[] buffer = new byte[at + encoded.length + random.nextInt(4)];
            System.arraycopy(encoded, 0, buffer, at, encoded.length);

            int idsBefore = oldIds.given;
            Object before = outcome(() -> decodeThenComplete(codec, buffer, at, encoded.length, original, oldIds));
            ReplyCompletion completion = reused.reset(original);
            Object oneBuild = outcome(() -> codec.decode(buffer, at, encoded.length, Performative.INFORM, completion));
            ReplyCompletion viaDefault = reusedByDefault.reset(original);
            Object byDefault = outcome(() -> thirdParty.decode(buffer, at, encoded.length, Performative.INFORM, viaDefault));

            String what = "reply " + fields + " to " + original;
            assertThat(oneBuild).as(what).isEqualTo(before);
            assertThat(byDefault).as(what).isEqualTo(before);
            assertThat(newIds.given).as(what).isEqualTo(oldIds.given);
            assertThat(defaultIds.given).as(what).isEqualTo(oldIds.given);
            if (before instanceof Envelope reply) {
                completed++;
                boolean freshBefore = oldIds.given == idsBefore + 1;
                assertThat(completion.freshId()).as(what).isEqualTo(freshBefore);
                assertThat(viaDefault.freshId()).as(what).isEqualTo(freshBefore);
            } else {
                refused++;
            }
        }
        // Both kinds were compared many times, not one of them only.
        assertThat(completed).isGreaterThan(1_000);
        assertThat(refused).isGreaterThan(500);
    }

    /** The host's completion before SPI 1.4, kept here as the reference: decode, then rebuild. */
    private static Envelope decodeThenComplete(Serializer codec, byte[] bytes, int offset, int length,
                                               Envelope original, Supplier<String> ids) {
        Envelope reply = codec.decode(bytes, offset, length, Performative.INFORM);
        Envelope.Builder b = reply.toBuilder().sender(AGENT);
        boolean explicitCapability = reply.capability() != null
                && (reply.receiver() == null || reply.receiver().equals(AGENT))
                && !reply.capability().equals(original.capability());
        if (!explicitCapability && (reply.receiver() == null || reply.receiver().equals(AGENT))) {
            b.receiver(original.sender()).capability(null).broadcast(null);
        }
        if (reply.conversationId() == null) {
            b.conversationId(original.conversationId());
        }
        if (reply.inReplyTo() == null) {
            b.inReplyTo(original.replyWith());
        }
        if (reply.messageId() == null || reply.messageId().equals(original.messageId())) {
            b.messageId(ids.get());
        }
        return b.hops(original.nextHop()).traceparent(Traceparent.child(original.traceparent())).build();
    }

    private static Envelope randomOriginal(Random r) {
        return Envelope.builder(Performative.REQUEST).sender(pick(r, "asker", "client-7", null))
                .receiver(AGENT).capability(pick(r, null, "cap-a"))
                .conversationId(pick(r, null, "conv-1")).replyWith(pick(r, null, "r1"))
                .messageId(pick(r, "m1", "m2")).hops(r.nextInt(3)).traceparent(pick(r, null, TP)).build();
    }

    private static Map<String, Object> randomReply(Random r) {
        Map<String, Object> m = new LinkedHashMap<>();
        maybe(r, m, "performative", pick(r, "inform", "agree", "failure"));
        maybe(r, m, "sender", pick(r, "forged", AGENT, "asker"));
        maybe(r, m, "receiver", pick(r, AGENT, "asker", "other"));
        maybe(r, m, "capability", pick(r, "cap-a", "cap-b"));
        maybe(r, m, "broadcast", r.nextBoolean());
        maybe(r, m, "content", pick(r, "x", Map.of("n", 1L, "l", List.of("a", true)), 42L));
        maybe(r, m, "language", "json");
        maybe(r, m, "ontology", "echo");
        maybe(r, m, "protocol", "fipa-request");
        maybe(r, m, "conversation_id", "conv-guest");
        maybe(r, m, "reply_with", "rw-guest");
        maybe(r, m, "in_reply_to", pick(r, "r1", "irt-guest"));
        maybe(r, m, "reply_by", 1_700_000_000_000L);
        maybe(r, m, "priority", pick(r, "high", "low"));
        maybe(r, m, "message_id", pick(r, "m1", "m2", "mine"));
        maybe(r, m, "hops", (long) r.nextInt(9));
        maybe(r, m, "traceparent", TP);
        if (r.nextInt(4) == 0) {
            // One field malformed: the reply must be refused with the same message either way.
            List<String> keys = new ArrayList<>(List.of("performative", "sender", "receiver", "capability",
                    "broadcast", "conversation_id", "in_reply_to", "reply_by", "priority", "message_id", "hops",
                    "traceparent", "unknown_field"));
            String key = keys.get(r.nextInt(keys.size()));
            m.put(key, switch (key) {
                case "performative", "priority" -> "nonsense";
                case "hops" -> pick(r, -1L, "two");
                case "traceparent" -> pick(r, "00-zz", 7L);
                case "reply_by" -> "tomorrow";
                case "broadcast" -> "yes";
                default -> pick(r, 5L, List.of("a"));
            });
        }
        return m;
    }

    private static void maybe(Random r, Map<String, Object> m, String key, Object value) {
        if (r.nextBoolean()) {
            m.put(key, value);
        }
    }

    @SafeVarargs
    private static <T> T pick(Random r, T... choices) {
        return choices[r.nextInt(choices.length)];
    }

    private static Object outcome(Supplier<Envelope> decode) {
        try {
            Envelope e = decode.get();
            // Each completion makes a new random span id for the reply; the rest of the trace
            // context (version, trace id, flags) must match to the letter.
            return e.traceparent() == null ? e
                    : e.toBuilder().traceparent(e.traceparent().substring(0, 36) + "span" + e.traceparent().substring(52))
                    .build();
        } catch (SerializationException e) {
            return "refused: " + e.getMessage();
        }
    }

    private static Serializer codec(String name) {
        ProviderContext context = ProviderContext.of(ProviderConfig.empty(), Path.of("."));
        return switch (name) {
            case "json" -> new JsonSerializerProvider().create(context, SerializerLimits.DEFAULT);
            case "msgpack" -> new MsgpackSerializerProvider().create(context, SerializerLimits.DEFAULT);
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** A codec written before SPI 1.4: it knows the slice decode, not the completing one. */
    private static Serializer decodeOnly(Serializer codec) {
        return new Serializer() {
            @Override
            public String name() {
                return codec.name();
            }

            @Override
            public String mediaType() {
                return codec.mediaType();
            }

            @Override
            public Envelope decode(byte[] bytes, int offset, int length, Performative absentPerformative) {
                return codec.decode(bytes, offset, length, absentPerformative);
            }

            @Override
            public byte[] encodeValue(Object value) {
                return codec.encodeValue(value);
            }

            @Override
            public Object decodeValue(byte[] bytes) {
                return codec.decodeValue(bytes);
            }
        };
    }

    private static final class Ids implements Supplier<String> {
        int given;

        @Override
        public String get() {
            return "id-" + given++;
        }
    }
}
