package dev.caxton.bench;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.serializer.EncodeBuffer;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import dev.caxton.spi.serializer.SerializerProvider;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Envelope encoding alone, into a reused buffer as an agent's delivery does it, and decoding the same
 * bytes back (by the codec named with {@code -p codec=...}): the side-by-side
 * echo request (128 ASCII bytes of content) and one whose content is a nested map with non-ASCII
 * text, numbers and a list. Run with {@code -prof gc}: bytes per operation say what the codec
 * allocates per message, which timing on the shared machine cannot.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SerializerBenchmarks {

    /** The codec, by provider name. */
    @Param({"json"})
    public String codec;

    private Serializer serializer;
    private EncodeBuffer buffer;
    private Envelope echo;
    private Envelope nested;
    private byte[] echoBytes;
    private byte[] nestedBytes;

    @Setup
    public void setUp() {
        serializer = ServiceLoader.load(SerializerProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals(codec)).findFirst().orElseThrow()
                .create(ProviderContext.of(ProviderConfig.empty(), Path.of(".")), SerializerLimits.DEFAULT);
        buffer = new EncodeBuffer(1024);
        // As the router hands it to the echo agent: ids and a hop count added to the caller's request.
        echo = Envelope.builder(Performative.REQUEST).sender("bench").receiver("echo").content(SideBySide.PAYLOAD)
                .messageId("0d5b8c3e-6f7a-4c1b-9e2d-3a4b5c6d7e8f").replyWith("r-17").conversationId("c-17").hops(1)
                .build();
        Map<String, Object> order = new LinkedHashMap<>();
        order.put("customer", "Zoë Ångström-Müller");
        order.put("city", "Zürich / 東京");
        order.put("note", "déjà vu \"quoted\"\n");
        order.put("total", 1234.5d);
        order.put("count", 42L);
        order.put("lines", List.of(Map.of("sku", "café-001", "qty", 2L), Map.of("sku", "naïve-002", "qty", 1L)));
        order.put("tags", List.of("größe", "señal", "emoji \uD83D\uDE00"));
        nested = Envelope.builder(Performative.INFORM).sender("bench").receiver("orders").content(Map.of("order", order))
                .messageId("0d5b8c3e-6f7a-4c1b-9e2d-3a4b5c6d7e8f").conversationId("c-17").hops(1).build();
        // Encoded by the codec itself, so the decode benchmarks read what an agent or a peer would send.
        echoBytes = serializer.encode(echo);
        nestedBytes = serializer.encode(nested);
    }

    /** The echo request, 128 ASCII bytes of content. */
    @Benchmark
    public int encodeEcho() {
        buffer.reset();
        serializer.encode(echo, buffer);
        return buffer.length();
    }

    /** A nested content map with non-ASCII text. */
    @Benchmark
    public int encodeNested() {
        buffer.reset();
        serializer.encode(nested, buffer);
        return buffer.length();
    }

    /** The echo request decoded back: what the agent side and the router do with each such message. */
    @Benchmark
    public Envelope decodeEcho() {
        return serializer.decode(echoBytes, 0, echoBytes.length, null);
    }

    /** The nested envelope decoded back: containers, non-ASCII text and numbers. */
    @Benchmark
    public Envelope decodeNested() {
        return serializer.decode(nestedBytes, 0, nestedBytes.length, null);
    }
}
