package dev.caxton.bench;

import dev.caxton.serializer.json.JsonSerializerProvider;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decoding a JSON envelope alone, the part of a routed request→reply that turns the agent's reply
 * bytes into an {@link Envelope} (issue 16): the echo agent's reply with 128 bytes of ASCII content,
 * and a reply whose content is a nested object with non-ASCII text, escapes and numbers. Run with
 * {@code -prof gc} for the bytes allocated per decode:
 * <pre>
 * java -jar tests/benchmarks/target/benchmarks.jar JsonDecodeBenchmarks -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 4, time = 2)
@Fork(1)
public class JsonDecodeBenchmarks {

    private Serializer json;
    private byte[] echoReply;
    private byte[] nestedReply;

    /** Encodes the two replies once, with the serializer itself, so the bytes are what an agent would send. */
    @Setup
    public void setUp() {
        json = new JsonSerializerProvider().create(ProviderContext.of(ProviderConfig.empty(), Path.of(".")),
                SerializerLimits.DEFAULT);
        String payload = "x".repeat(128);
        echoReply = json.encode(Envelope.builder(Performative.INFORM).sender("echo").receiver("client-7")
                .content(payload).conversationId("conv-000042").inReplyTo("msg-000041").messageId("msg-000042")
                .build());
        Map<String, Object> content = Map.of(
                "city", "Zürich – Genève ✓",
                "greeting", "こんにちは、世界 \"quoted\"\n",
                "readings", List.of(1L, -2L, 3.25d, 1.0e-7d, 9007199254740993L),
                "nested", Map.of("ok", true, "none", List.of(), "emoji", "\uD83D\uDE00"));
        nestedReply = json.encode(Envelope.builder(Performative.INFORM).sender("weather").receiver("client-7")
                .content(content).conversationId("conv-000042").inReplyTo("msg-000041").messageId("msg-000042")
                .build());
        if (!new String(echoReply, StandardCharsets.UTF_8).contains(payload)) {
            throw new IllegalStateException("the echo reply does not hold its content");
        }
    }

    /** The echo agent's reply: seven fields, 128 bytes of content. */
    @Benchmark
    public Envelope echoReply() {
        return json.decode(echoReply, 0, echoReply.length, null);
    }

    /** A reply with a nested object, non-ASCII text, escapes and numbers as content. */
    @Benchmark
    public Envelope nestedReply() {
        return json.decode(nestedReply, 0, nestedReply.length, null);
    }
}
