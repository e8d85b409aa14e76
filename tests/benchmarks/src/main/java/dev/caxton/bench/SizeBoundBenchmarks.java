package dev.caxton.bench;

import dev.caxton.runtime.routing.EncodedSizeBound;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The size bound a client's send pays before routing ({@link EncodedSizeBound#of}), alone, on the
 * fire-and-forget benchmark's message. A JFR profile of that benchmark put a fifth of the sender's
 * samples in it; alone it costs a few nanoseconds of a sender's several hundred, a share that a
 * whole-node run on a loaded machine cannot resolve, so changes to the bound are measured here.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SizeBoundBenchmarks {

    private final Envelope fired = Envelope.builder(Performative.INFORM).receiver("sink-1")
            .content(SideBySide.PAYLOAD).build();

    /** @return the bound of the fire-and-forget benchmark's message (a 128-character ASCII string) */
    @Benchmark
    public long fireAndForgetMessage() {
        return EncodedSizeBound.of(fired);
    }
}
