package dev.caxton.bench;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.spi.engine.WasmEngineProvider;
import dev.caxton.spi.engine.WasmInstance;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;

/**
 * What checkpointing a durable agent costs the engine: reading its whole linear memory into a
 * buffer the host keeps, writing it back into an instance (what a restore does), and reading and
 * restoring its mutable globals, for a 1 MiB and a 16 MiB memory on each engine. Only the engine
 * SPI is involved, so the figures exclude storage.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class SnapshotBenchmarks {

    /** A stack pointer nobody exports and a few more mutable globals, as compiled agents have. */
    private static final String STATE = """
            (module
              (global $sp (mut i32) (i32.const 65536))
              (global $total (mut i64) (i64.const 0))
              (global $seen (mut i32) (i32.const 0))
              (global $ratio (mut f64) (f64.const 0.5))
              (memory (export "memory") PAGES)
              (func (export "sp") (result i32) global.get $sp))
            """;

    /** {@code engine} or {@code engine:mode}. */
    @Param({"chicory:compiler", "wasmtime"})
    public String engine;

    /** The memory's size. */
    @Param({"1", "16"})
    public int mib;

    private WasmEngine wasm;
    private WasmInstance instance;
    private GuestMemory memory;
    private byte[] buffer;
    private Path dataDir;

    @Setup
    public void setUp() throws Exception {
        String name = engine.contains(":") ? engine.substring(0, engine.indexOf(':')) : engine;
        String mode = engine.contains(":") ? engine.substring(engine.indexOf(':') + 1) : null;
        dataDir = Files.createTempDirectory("caxton-snapshot-bench");
        WasmEngineProvider provider = ServiceLoader.load(WasmEngineProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no engine named " + name));
        ProviderConfig section = mode == null ? ProviderConfig.empty()
                : ProviderConfig.of("runtime." + name, Map.of("mode", mode));
        wasm = provider.create(ProviderContext.of(section, dataDir));
        byte[] bytes = Wat.compile(STATE.replace("PAGES", Integer.toString(mib * 16)));
        instance = wasm.compile(bytes).instantiate(Imports.NONE, new InstanceLimits(64L << 20, Duration.ZERO, 0));
        memory = instance.memory();
        buffer = new byte[Math.toIntExact(memory.size())];
        new Random(1).nextBytes(buffer);
        memory.write(0, buffer);
    }

    @TearDown
    public void tearDown() {
        instance.close();
        wasm.close();
    }

    /** A checkpoint's first step: the whole memory into the host's buffer. */
    @Benchmark
    public byte[] readMemory() {
        memory.read(0, buffer, 0, buffer.length);
        return buffer;
    }

    /** A restore's main step: the whole memory back into an instance. */
    @Benchmark
    public GuestMemory writeMemory() {
        memory.write(0, buffer);
        return memory;
    }

    /** The globals of a checkpoint, read and restored. */
    @Benchmark
    public long[] readAndRestoreGlobals() {
        long[] values = instance.mutableGlobals();
        instance.restoreMutableGlobals(values);
        return values;
    }
}
