package dev.caxton.bench;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import dev.caxton.spi.serializer.SerializerProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
 * One JSON string alone, decoded and encoded through the codec's value methods, so the cost of its
 * string loops is seen without an envelope around it (issue 16): {@code ascii} is plain text (the
 * echo content is 128 such bytes), {@code escaped} has an escape every 32 characters, {@code wide}
 * is mostly non-ASCII. Run with {@code -prof gc -prof dev.caxton.bench.ProcessCpuProfiler}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class JsonStringBenchmarks {

    /** What the string holds. */
    @Param({"ascii", "escaped", "wide"})
    public String text;

    /** Its length in characters. */
    @Param({"128", "1024"})
    public int length;

    private Serializer json;
    private String value;
    private byte[] encoded;

    @Setup
    public void setUp() {
        json = ServiceLoader.load(SerializerProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("json")).findFirst().orElseThrow()
                .create(ProviderContext.of(ProviderConfig.empty(), Path.of(".")), SerializerLimits.DEFAULT);
        String unit = switch (text) {
            case "ascii" -> "The quick brown fox jumps over the lazy dog, 0123456789 times. ";
            case "escaped" -> "plain text of thirty-one chars\n";
            case "wide" -> "Zoë Ångström-Müller, Zürich / 東京, déjà vu; ";
            default -> throw new IllegalArgumentException(text);
        };
        value = unit.repeat(length / unit.length() + 1).substring(0, length);
        encoded = json.encodeValue(value);
        if (!value.equals(json.decodeValue(encoded))) {
            throw new IllegalStateException("the string does not come back: " + new String(encoded, StandardCharsets.UTF_8));
        }
    }

    /** The string from its JSON bytes. */
    @Benchmark
    public Object decode() {
        return json.decodeValue(encoded);
    }

    /** The string to JSON bytes. */
    @Benchmark
    public byte[] encode() {
        return json.encodeValue(value);
    }
}
