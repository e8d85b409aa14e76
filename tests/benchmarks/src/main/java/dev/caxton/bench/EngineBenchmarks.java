package dev.caxton.bench;

import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.api.DeploySpec;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.runtime.plugin.Spi;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.spi.engine.WasmEngineProvider;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmModule;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.testkit.Wat;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The engines side by side on the same modules, in one run: compiling a module, instantiating it,
 * a tiny call ({@code add}), a compute-heavy call (a 1,000,000-iteration loop), and a full message
 * round trip through a Caxton node running the echo agent on that engine. The two calls are also
 * measured on an instance with a fuel budget (far above what they use), to show what metering costs
 * on each engine. On Chicory, {@code computeHeavyMetered} in interpreter mode is also what compiler
 * mode cost before it metered by instrumentation (it interpreted fuel-limited instances), so
 * {@code -p engine=chicory:interpreter,chicory:compiler computeHeavy} gives plain compiled, metered
 * before and metered after in one sitting. {@code -p counter=local,global} adds the metering's older
 * form, where every charge reads and writes the fuel global instead of a local of the function, so
 * that the two forms can be compared in one sitting too.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class EngineBenchmarks {

    private static final String COMPUTE = """
            (module
              (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
              (func (export "spin") (param $n i32) (result i64)
                (local $i i32) (local $acc i64)
                (loop $l
                  (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i))))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
                local.get $acc))
            """;

    /** {@code engine} or {@code engine:mode}. */
    @Param({"chicory:interpreter", "chicory:compiler", "wasmtime"})
    public String engine;

    /**
     * Where metered code keeps the fuel left while a function runs: {@code local} (the default) or
     * {@code global} (the older form). Each parameter value runs in its own JVM, so setting the
     * property before the first module is metered is enough.
     */
    @Param({"local"})
    public String counter;

    private WasmEngine wasm;
    private byte[] computeBytes;
    private byte[] calculatorBytes;
    private WasmModule compute;
    private WasmInstance instance;
    private WasmInstance metered;
    private CaxtonNode node;
    private Path dataDir;

    @Setup
    public void setUp() throws Exception {
        System.setProperty("caxton.metering.counter", counter);
        String name = engine.contains(":") ? engine.substring(0, engine.indexOf(':')) : engine;
        String mode = engine.contains(":") ? engine.substring(engine.indexOf(':') + 1) : null;
        dataDir = Files.createTempDirectory("caxton-engine-bench");
        PluginCatalog catalog = PluginCatalog.discover(null);
        WasmEngineProvider provider = catalog.select(Spi.ENGINE, name, WasmEngineProvider.class);
        ProviderConfig section = mode == null ? ProviderConfig.empty()
                : ProviderConfig.of("runtime." + name, Map.of("mode", mode));
        wasm = provider.create(ProviderContext.of(section, dataDir));
        computeBytes = Wat.compile(COMPUTE);
        try (InputStream in = EngineBenchmarks.class.getResourceAsStream("/calculator.wasm")) {
            calculatorBytes = in.readAllBytes();
        }
        compute = wasm.compile(computeBytes);
        instance = compute.instantiate(Imports.NONE, InstanceLimits.UNLIMITED);
        metered = compute.instantiate(Imports.NONE, new InstanceLimits(1L << 32, Duration.ZERO, 1L << 50));

        Properties props = new Properties();
        props.setProperty("caxton.storage.type", "memory");
        props.setProperty("caxton.runtime.engine", name);
        // Any free port, as in AgentBenchmarks: a node or another run may hold 7946.
        props.setProperty("caxton.transport.port", "0");
        if (mode != null) {
            props.setProperty("caxton.runtime." + name + ".mode", mode);
        }
        node = CaxtonNode.start(CaxtonConfig.parse("benchmark", "", catalog, props), catalog, dataDir);
        try (InputStream in = EngineBenchmarks.class.getResourceAsStream("/echo.wasm")) {
            node.deploy(new DeploySpec("echo", in.readAllBytes(), List.of(), null, null, null, null));
        }
    }

    @TearDown
    public void tearDown() {
        instance.close();
        metered.close();
        node.close();
        wasm.close();
    }

    /** Compile (decode, validate, translate) a 6 KB agent written in C. */
    @Benchmark
    public WasmModule compileModule() {
        return wasm.compile(calculatorBytes);
    }

    /** Instantiate an already compiled module. */
    @Benchmark
    public WasmInstance instantiate() {
        WasmInstance i = compute.instantiate(Imports.NONE, InstanceLimits.UNLIMITED);
        i.close();
        return i;
    }

    /** The smallest useful call: i32 add. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public long tinyCall() {
        return instance.call("add", 20, 22)[0];
    }

    /** A compute-heavy call: a million loop iterations. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public long computeHeavy() {
        return instance.call("spin", 1_000_000)[0];
    }

    /** The tiny call on an instance with a fuel budget. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public long tinyCallMetered() {
        return metered.call("add", 20, 22)[0];
    }

    /** The million iterations on an instance with a fuel budget. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public long computeHeavyMetered() {
        return metered.call("spin", 1_000_000)[0];
    }

    /** Send to the echo agent and wait for its reply, through the node. */
    @Benchmark
    public Envelope messageRoundTrip() throws Exception {
        return node.request(Envelope.builder(Performative.REQUEST).receiver("echo").content("x").build(),
                Duration.ofSeconds(5)).get();
    }
}
