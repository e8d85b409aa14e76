package dev.caxton.bench;

import dev.caxton.runtime.api.SendStatus;
import dev.caxton.runtime.routing.CapabilityDirectory;
import dev.caxton.runtime.routing.Router;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The router alone, without WebAssembly: validation, id assignment, name or capability lookup and
 * hand-over to a recipient. This is the floor under every local delivery (upstream target: local
 * routing p50 100 µs, p99 1 ms).
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.SampleTime, Mode.Throughput})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RoutingBenchmarks {

    private Router router;
    private Envelope byName;
    private Envelope byCapability;
    private Blackhole sink;

    @Setup
    public void setUp(Blackhole bh) {
        sink = bh;
        router = Router.simple(new CapabilityDirectory(), (e, r) -> { }, "bench");
        for (int i = 0; i < 4; i++) {
            String name = "agent-" + i;
            router.register(name, (e, accepted) -> {
                accepted.delivered(e);
                sink.consume(e);
                return SendStatus.ACCEPTED;
            });
            router.directory().register("work", name);
        }
        byName = Envelope.builder(Performative.INFORM).sender("bench").receiver("agent-1")
                .content(Map.of("n", 1L)).build();
        byCapability = Envelope.builder(Performative.REQUEST).sender("bench").capability("work")
                .content(Map.of("n", 1L)).build();
    }

    @TearDown
    public void tearDown() {
        router.close();
    }

    /** Route by receiver name. */
    @Benchmark
    public Envelope routeByName() {
        return router.route(byName);
    }

    /** Route by capability, round-robin over four holders. */
    @Benchmark
    public Envelope routeByCapability() {
        return router.route(byCapability);
    }
}
