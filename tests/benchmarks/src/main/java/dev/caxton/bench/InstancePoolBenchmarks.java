package dev.caxton.bench;

import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.agent.Agent;
import dev.caxton.runtime.agent.InstancePool;
import dev.caxton.runtime.agent.MemoryBudget;
import dev.caxton.runtime.api.AgentLimits;
import dev.caxton.runtime.api.DeploySpec;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.runtime.plugin.Spi;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.ExportDescriptor;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.ImportDescriptor;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.WasmEngineProvider;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmModule;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The instance pool on its own, and what it is worth to a deploy.
 *
 * <p>{@code take*}: the pool's booking, isolated. One operation is what one deploy (or fault
 * restart, or recycle) of a pooled shape costs the pool: {@link InstancePool#take} hands out a
 * pre-made instance (lock, shape lookup, memory-budget release) and schedules the refill, and the
 * refill books the replacement in the memory budget, makes it and puts it back under the lock. The
 * filler runs on the calling thread here, so the whole of that work is in the operation's time and
 * CPU, where on a node it is split between the deploying thread and {@code caxton-instance-pool}.
 * With {@code instances=stub} the module's {@code instantiate} returns an empty instance at once, so
 * what is left is the booking alone; with {@code instances=chicory} it is the real echo module
 * instantiated by Chicory, to set the booking beside the instantiation it saves. {@code size} is
 * the pool's size per shape; the {@code TwoThreads} variant has two threads taking from one shape
 * at once (two deploys of one module racing for the pool's lock).
 *
 * <p>{@code agentStartup*}: deploy of a cached echo module to its first reply, then undeploy, on a
 * real node with the pool off ({@code pooling=off}), growing by one per deploy ({@code lazy}) or
 * kept full ({@code prewarm}), so the pool's value is measured side by side in one run.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class InstancePoolBenchmarks {

    /** A pool of one shape (the echo module), filled to its size before the first operation. */
    @State(Scope.Benchmark)
    public static class Booking {

        /** {@code runtime.instance_pool.size}. */
        @Param({"1", "4", "16"})
        public int size;

        /** {@code stub}: instantiation costs nothing, the booking is all; {@code chicory}: the real one. */
        @Param({"stub", "chicory"})
        public String instances;

        InstancePool pool;
        Agent.Code code;
        @Setup(Level.Trial)
        public void start() throws Exception {
            byte[] echo = BenchNode.resource("/echo.wasm");
            PluginCatalog catalog = PluginCatalog.discover(null);
            // Chicory keeps nothing on disk: the data directory is never written.
            WasmModule real = catalog.select(Spi.ENGINE, "chicory", WasmEngineProvider.class)
                    .create(ProviderContext.of(ProviderConfig.of("runtime.chicory", Map.of("mode", "compiler")),
                            Path.of(System.getProperty("java.io.tmpdir"))))
                    .compile(echo);
            WasmModule module = instances.equals("stub") ? new InstantModule(real) : real;
            // Prewarm: each take asks for exactly the one instance it took, as a node's deploys do.
            pool = new InstancePool(new InstancePool.Settings(size, true, 8, 0, Duration.ZERO), Runnable::run);
            // Room for every idle instance, as on a node whose agents leave the pool its share.
            pool.attach(new MemoryBudget(1L << 32));
            code = new Agent.Code(module, echo, null, "chicory", new AgentLimits(16L << 20, Duration.ofSeconds(5), 0),
                    null);
            // The first take of a shape always misses and fills it.
            InstancePool.Pooled none = pool.take(code);
            if (none != null || pool.idle() != size) {
                throw new IllegalStateException("the pool did not fill: " + pool.idle() + " of " + size);
            }
        }

        @TearDown(Level.Trial)
        public void stop() throws Exception {
            System.out.printf("%npool size %d, %s: %d hits, %d misses, %d instantiated%n", size, instances, pool.hits(),
                    pool.misses(), pool.instantiated());
            pool.close();
        }
    }

    /** A node on which echo agents are deployed and undeployed, with the pool off, lazy or prewarmed. */
    @State(Scope.Benchmark)
    public static class Startup {

        /** {@code off}: size 0; {@code lazy}: size 4, one more per deploy; {@code prewarm}: size 4, kept full. */
        @Param({"off", "lazy", "prewarm"})
        public String pooling;

        CaxtonNode node;
        byte[] echo;
        final AtomicInteger names = new AtomicInteger();

        @Setup(Level.Trial)
        public void start() {
            node = BenchNode.start("compiler", Map.of(
                    "caxton.runtime.instance_pool.size", pooling.equals("off") ? "0" : "4",
                    "caxton.runtime.instance_pool.prewarm", String.valueOf(pooling.equals("prewarm")))).node();
            echo = BenchNode.resource("/echo.wasm");
            // Compiled and cached here, so each measured deploy is of a cached module.
            node.deploy(new DeploySpec("echo", echo, List.of(), null, null, null, null));
        }

        @TearDown(Level.Trial)
        public void stop() {
            Map<String, Long> c = node.counters();
            System.out.printf("%npooling %s: %d pool hits, %d misses%n", pooling, c.get("instance_pool_hits"),
                    c.get("instance_pool_misses"));
            node.close();
        }
    }

    /** One deploy's booking: take a pre-made instance, and book, make and keep its replacement. */
    @Benchmark
    public InstancePool.Pooled take(Booking b) {
        return takeOne(b);
    }

    /** The same with two threads deploying one module at once. */
    @Benchmark
    @Threads(2)
    public InstancePool.Pooled takeTwoThreads(Booking b) {
        return takeOne(b);
    }

    private static InstancePool.Pooled takeOne(Booking b) {
        InstancePool.Pooled p = b.pool.take(b.code);
        if (p != null) {
            // What the agent that took it does when it is undeployed.
            p.instance().close();
        }
        return p;
    }

    /** Deploy a cached module under a new name and get its first reply, then undeploy it. */
    @Benchmark
    public Envelope agentStartup(Startup s) throws Exception {
        return startOne(s);
    }

    /** The same with two threads deploying at once. */
    @Benchmark
    @Threads(2)
    public Envelope agentStartupTwoThreads(Startup s) throws Exception {
        return startOne(s);
    }

    private static Envelope startOne(Startup s) throws Exception {
        String name = "p" + s.names.incrementAndGet();
        s.node.deploy(new DeploySpec(name, s.echo, List.of(), null, null, null, null));
        Envelope reply = s.node.request(Envelope.builder(Performative.REQUEST).receiver(name).build(),
                Duration.ofSeconds(5)).get();
        s.node.undeploy(name);
        return reply;
    }

    /**
     * The real module's imports and exports, whose instances cost nothing to make: with it the
     * benchmark measures what the pool does around an instantiation, not the instantiation.
     */
    private record InstantModule(WasmModule real) implements WasmModule {

        @Override
        public List<ImportDescriptor> imports() {
            return real.imports();
        }

        @Override
        public List<ExportDescriptor> exports() {
            return real.exports();
        }

        @Override
        public WasmInstance instantiate(Imports imports, InstanceLimits limits) {
            return EMPTY;
        }

        private static final WasmInstance EMPTY = new WasmInstance() {
            @Override
            public Optional<FunctionType> exportedFunction(String name) {
                return Optional.empty();
            }

            @Override
            public long[] call(String name, long... args) {
                throw new UnsupportedOperationException("an instance of the booking benchmark runs nothing");
            }

            @Override
            public GuestMemory memory() {
                throw new UnsupportedOperationException("an instance of the booking benchmark has no memory");
            }

            @Override
            public void close() {
            }
        };
    }
}
