package dev.caxton.engine.chicory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.HostMemory;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.ValueType;
import dev.caxton.spi.engine.WasmCompileException;
import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.spi.engine.WasmEngineProvider;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmLinkException;
import dev.caxton.spi.engine.WasmModule;
import dev.caxton.spi.engine.WasmTimeoutException;
import dev.caxton.spi.engine.WasmTrapException;
import dev.caxton.testkit.Wat;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the Chicory engine does beyond the conformance suite: its configuration, its messages, and
 * the Chicory behaviours it works around (stale interpreter state after a trap, table limits
 * shared between instances, the implicit {@code _start} call).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ChicoryEngineTest {

    private static final InstanceLimits LIMITS = new InstanceLimits(16L << 20, Duration.ofSeconds(30), 0);

    private static final String COUNTER = """
            (module
              (global $count (mut i32) (i32.const 0))
              (memory (export "memory") 1)
              (func $down (export "down") (param i32) (result i32) (call $down (i32.add (local.get 0) (i32.const 1))))
              (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
              (func (export "inc") (result i32)
                (global.set $count (i32.add (global.get $count) (i32.const 1)))
                (global.get $count))
              (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
              (func (export "spin") (loop $l (br $l)))
              (func (export "sum") (param i32) (result i32) (local $acc i32)
                (block $done
                  (loop $l
                    (br_if $done (i32.eqz (local.get 0)))
                    (local.set $acc (i32.add (local.get $acc) (local.get 0)))
                    (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
                    (br $l)))
                local.get $acc)
              (export "count" (global $count)))
            """;

    private ChicoryEngine interpreter;
    private ChicoryEngine compiler;
    private byte[] counter;

    @BeforeAll
    void createEngines(@TempDir Path dataDir) {
        interpreter = create(dataDir, "interpreter");
        compiler = create(dataDir, "compiler");
        counter = Wat.compile(COUNTER);
    }

    @AfterAll
    void closeEngines() {
        interpreter.close();
        compiler.close();
    }

    private static ChicoryEngine create(Path dataDir, String mode) {
        ProviderConfig config = ProviderConfig.of("runtime.chicory", Map.of("mode", mode));
        return (ChicoryEngine) new ChicoryEngineProvider().create(ProviderContext.of(config, dataDir));
    }

    private static Machine machineOf(WasmInstance inst) {
        return ((GuardedMachine) ((ChicoryInstance) inst).chicory().getMachine()).delegate();
    }

    // ------------------------------------------------------------------ provider and configuration

    @Test
    void theProviderIsFoundAndDescribesItsOption() {
        Optional<WasmEngineProvider> found = ServiceLoader.load(WasmEngineProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("chicory"))
                .findFirst();
        assertThat(found).get().isInstanceOf(ChicoryEngineProvider.class);
        WasmEngineProvider provider = found.get();
        assertThat(provider.description()).isNotBlank();
        assertThat(provider.unsupportedReason()).isEmpty();
        assertThat(provider.options()).singleElement().satisfies(o -> {
            assertThat(o.key()).isEqualTo("mode");
            assertThat(o.type()).isEqualTo(ConfigOption.Type.ENUM);
            assertThat(o.defaultValue()).isEqualTo("compiler");
            assertThat(o.allowed()).containsExactly("interpreter", "compiler");
        });
    }

    @Test
    void theDefaultModeIsTheCompiler(@TempDir Path dataDir) {
        try (WasmEngine engine = new ChicoryEngineProvider().create(ProviderContext.of(ProviderConfig.empty(), dataDir))) {
            assertThat(((ChicoryEngine) engine).mode()).isEqualTo(ChicoryEngine.Mode.COMPILER);
        }
    }

    @Test
    void anUnknownModeIsAConfigurationError(@TempDir Path dataDir) {
        ProviderConfig config = ProviderConfig.of("runtime.chicory", Map.of("mode", "jit"));
        assertThatThrownBy(() -> new ChicoryEngineProvider().create(ProviderContext.of(config, dataDir)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("runtime.chicory.mode")
                .hasMessageContaining("interpreter, compiler")
                .hasMessageContaining("jit");
    }

    @Test
    void featuresNameTheModeAndVersion() {
        assertThat(interpreter.features().fuel()).isTrue();
        assertThat(interpreter.features().executionTimeout()).isTrue();
        assertThat(interpreter.features().description()).isEqualTo("chicory 1.7.5, interpreter");
        assertThat(compiler.features().fuel()).as("fuel-limited instances meter themselves").isTrue();
        assertThat(compiler.features().executionTimeout()).isTrue();
        assertThat(compiler.features().description()).startsWith("chicory 1.7.5, compiler");
        assertThat(interpreter.features().snapshots()).as("durable agents need snapshots").isTrue();
        assertThat(compiler.features().snapshots()).isTrue();
    }

    // ------------------------------------------------------------------ compile errors

    @Test
    void compileErrorsSayWhatIsWrong() {
        assertThatThrownBy(() -> interpreter.compile(new byte[0]))
                .isInstanceOf(WasmCompileException.class).hasMessageContaining("empty input");
        assertThatThrownBy(() -> interpreter.compile(new byte[] {0, 'a', 's'}))
                .isInstanceOf(WasmCompileException.class).hasMessageContaining("truncated header: 3 bytes");
        assertThatThrownBy(() -> interpreter.compile("garbage!".getBytes()))
                .isInstanceOf(WasmCompileException.class)
                .hasMessage("malformed module: bad magic number: expected 00 61 73 6d (\"\\0asm\"), found 67 61 72 62");
        assertThatThrownBy(() -> interpreter.compile(new byte[] {0, 'a', 's', 'm', 2, 0, 0, 0}))
                .isInstanceOf(WasmCompileException.class)
                .hasMessageContaining("unsupported binary version: expected 01 00 00 00, found 02 00 00 00");
        byte[] truncated = java.util.Arrays.copyOf(counter, counter.length - 1);
        assertThatThrownBy(() -> interpreter.compile(truncated))
                .isInstanceOf(WasmCompileException.class).hasMessageStartingWith("malformed module: ");
        byte[] typeError = {
            0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
            0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
            0x03, 0x02, 0x01, 0x00,
            0x0a, 0x06, 0x01, 0x04, 0x00, 0x42, 0x00, 0x0b
        };
        assertThatThrownBy(() -> interpreter.compile(typeError))
                .isInstanceOf(WasmCompileException.class)
                .hasMessageStartingWith("invalid module: ")
                .hasMessageContaining("type mismatch");
    }

    @Test
    void corruptedModulesFailOnlyWithEngineExceptions() {
        // Random byte flips of a valid module: whatever Chicory makes of them, compiling,
        // instantiating and calling may only fail with the SPI's exceptions (or the argument and
        // state exceptions the SPI documents), never with Chicory's own or with an Error.
        byte[] original = Wat.compile(COUNTER.replace("(loop $l (br $l))", "nop"));
        java.util.Random random = new java.util.Random(7);
        InstanceLimits limits = new InstanceLimits(1 << 20, Duration.ofMillis(100), 0);
        int compiled = 0;
        for (int i = 0; i < 1500; i++) {
            byte[] bytes = original.clone();
            for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                bytes[8 + random.nextInt(bytes.length - 8)] = (byte) random.nextInt(256);
            }
            WasmModule m;
            try {
                m = interpreter.compile(bytes);
            } catch (WasmCompileException expected) {
                continue;
            }
            compiled++;
            try (WasmInstance inst = m.instantiate(Imports.NONE, limits)) {
                for (var e : m.exports()) {
                    if (e.type() != null && e.type().params().isEmpty()) {
                        try {
                            inst.call(e.name());
                        } catch (WasmTrapException expected) {
                            // a trap is a fine outcome for a corrupted function
                        }
                    }
                }
            } catch (dev.caxton.spi.engine.WasmException | IllegalArgumentException expected) {
                // refused at instantiation (bad imports) or a trap while starting
            }
        }
        assertThat(compiled).as("some mutants are still valid modules").isPositive();
    }

    @Test
    void signaturesTheSpiCannotNameAreRefused() {
        // (func (export "f") (param anyref)): a garbage-collection reference type.
        byte[] anyref = {
            0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
            0x01, 0x05, 0x01, 0x60, 0x01, 0x6e, 0x00,
            0x03, 0x02, 0x01, 0x00,
            0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,
            0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b
        };
        assertThatThrownBy(() -> interpreter.compile(anyref))
                .isInstanceOf(WasmCompileException.class)
                .hasMessageContaining("export 'f'")
                .hasMessageContaining("(anyref) -> ()")
                .hasMessageContaining("cannot represent");
    }

    // ------------------------------------------------------------------ machines

    @Test
    void compilerModeCompilesOncePerModule() {
        WasmModule m = compiler.compile(counter);
        try (WasmInstance a = m.instantiate(Imports.NONE, LIMITS);
             WasmInstance b = m.instantiate(Imports.NONE, LIMITS)) {
            assertThat(machineOf(a)).isNotInstanceOf(InterpreterMachine.class);
            assertThat(machineOf(a).getClass()).as("both instances run the same generated class")
                    .isSameAs(machineOf(b).getClass());
            assertThat(a.call("inc")).containsExactly(1L);
            assertThat(b.call("inc")).containsExactly(1L);
        }
        WasmModule again = compiler.compile(counter);
        try (WasmInstance a = m.instantiate(Imports.NONE, LIMITS);
             WasmInstance c = again.instantiate(Imports.NONE, LIMITS)) {
            assertThat(machineOf(c).getClass()).as("a second compile generates its own class")
                    .isNotSameAs(machineOf(a).getClass());
        }
    }

    @Test
    void fuelLimitedInstancesStayCompiledInCompilerMode() {
        WasmModule m = compiler.compile(counter);
        try (WasmInstance plain = m.instantiate(Imports.NONE, LIMITS);
             WasmInstance fueled = m.instantiate(Imports.NONE, new InstanceLimits(1 << 20, Duration.ZERO, 1_000))) {
            assertThat(machineOf(fueled)).as("the rewritten module runs compiled")
                    .isNotInstanceOf(InterpreterMachine.class);
            assertThat(machineOf(fueled).getClass()).as("a class compiled from the metered module")
                    .isNotSameAs(machineOf(plain).getClass());
            assertThat(fueled.call("inc")).containsExactly(1L);
            assertThat(fueled.fuelUsed()).isPositive();
        }
        try (WasmInstance inst = interpreter.compile(counter).instantiate(Imports.NONE, LIMITS)) {
            assertThat(machineOf(inst)).isInstanceOf(InterpreterMachine.class);
        }
    }

    @Test
    void anInstanceKeepsWorkingAfterATrapWithItsStateIntact() {
        for (ChicoryEngine engine : List.of(interpreter, compiler)) {
            try (WasmInstance inst = engine.compile(counter).instantiate(Imports.NONE, LIMITS)) {
                assertThat(inst.call("inc")).containsExactly(1L);
                Machine before = machineOf(inst);
                assertThat(inst.call("inc")).containsExactly(2L);
                assertThat(machineOf(inst)).as("a successful call keeps the machine").isSameAs(before);
                assertThatThrownBy(() -> inst.call("down", 0))
                        .isInstanceOf(WasmTrapException.class)
                        .hasMessage("call to 'down' trapped: call stack exhausted");
                assertThat(machineOf(inst)).as("a failed call leaves nothing behind").isNotSameAs(before);
                assertThat(inst.call("inc")).as("%s after stack exhaustion", engine.mode()).containsExactly(3L);
                assertThat(inst.call("sum", 10)).as("%s: branches after stack exhaustion", engine.mode())
                        .containsExactly(55L);
                assertThatThrownBy(() -> inst.call("div", 1, 0))
                        .isInstanceOf(WasmTrapException.class)
                        .hasMessage("call to 'div' trapped: integer divide by zero");
                assertThat(inst.call("inc")).containsExactly(4L);
                assertThat(inst.call("div", 9, 3)).containsExactly(3L);
            }
        }
    }

    // ------------------------------------------------------------------ Chicory quirks

    @Test
    void tableGrowthStaysInItsInstance() {
        String wat = """
                (module
                  (table 1 10 funcref)
                  (func (export "grow") (result i32) (table.grow 0 (ref.null func) (i32.const 3)))
                  (func (export "size") (result i32) table.size 0))
                """;
        for (ChicoryEngine engine : List.of(interpreter, compiler)) {
            WasmModule m = engine.compile(Wat.compile(wat));
            try (WasmInstance first = m.instantiate(Imports.NONE, LIMITS)) {
                assertThat(first.call("grow")).containsExactly(1L);
                assertThat(first.call("size")).containsExactly(4L);
            }
            try (WasmInstance second = m.instantiate(Imports.NONE, LIMITS)) {
                assertThat(second.call("size")).as("%s: a new instance starts at the declared size", engine.mode())
                        .containsExactly(1L);
            }
        }
    }

    @Test
    void callValuesAreNormalisedWhetherOrNotTheyArePassedThrough() {
        // Arguments already in normal form go to Chicory as they are, 64-bit results come back as
        // Chicory made them; an i32 given in its unsigned form is still sign-extended, an i32
        // result always is, and the caller's array is never written.
        String wat = """
                (module
                  (func (export "id32") (param i32) (result i32) local.get 0)
                  (func (export "add32") (param i32 i32) (result i64)
                    (i64.extend_i32_s (i32.add (local.get 0) (local.get 1))))
                  (func (export "id64") (param i64) (result i64) local.get 0))
                """;
        for (ChicoryEngine engine : List.of(interpreter, compiler)) {
            WasmModule m = engine.compile(Wat.compile(wat));
            try (WasmInstance inst = m.instantiate(Imports.NONE, LIMITS)) {
                long[] unsigned = {0xFFFF_FFFFL};
                assertThat(inst.call("id32", unsigned)).as("%s", engine.mode()).containsExactly(-1L);
                assertThat(unsigned).containsExactly(0xFFFF_FFFFL);
                long[] normal = {-1L};
                assertThat(inst.call("id32", normal)).containsExactly(-1L);
                assertThat(normal).containsExactly(-1L);
                assertThat(inst.call("add32", 0x7FFF_FFFFL, 1L)).containsExactly((long) Integer.MIN_VALUE);
                assertThat(inst.call("add32", 0x8000_0000L, -1L)).containsExactly((long) Integer.MAX_VALUE);
                assertThat(inst.call("id64", Long.MIN_VALUE)).containsExactly(Long.MIN_VALUE);
                assertThat(inst.call("id64", 0xFFFF_FFFFL)).containsExactly(0xFFFF_FFFFL);
            }
        }
    }

    @Test
    void anExportNamedStartIsNotCalledAtInstantiation() {
        WasmModule m = interpreter.compile(Wat.compile("""
                (module
                  (global $ran (mut i32) (i32.const 0))
                  (func (export "_start") (global.set $ran (i32.const 1)))
                  (export "ran" (global $ran)))
                """));
        try (WasmInstance inst = m.instantiate(Imports.NONE, LIMITS)) {
            assertThat(inst.global("ran")).isZero();
        }
    }

    // ------------------------------------------------------------------ host functions and linking

    @Test
    void aHostFunctionReturningTheWrongNumberOfResultsTraps() {
        HostFunction liar = new HostFunction("env", "two", FunctionType.of(List.of(), List.of(ValueType.I32)),
                (memory, args) -> new long[] {1, 2});
        WasmModule m = interpreter.compile(Wat.compile("""
                (module
                  (import "env" "two" (func $two (result i32)))
                  (func (export "run") (result i32) call $two))
                """));
        try (WasmInstance inst = m.instantiate(Imports.of(List.of(liar)), LIMITS)) {
            WasmTrapException e = catchThrowableOfType(WasmTrapException.class, () -> inst.call("run"));
            assertThat(e).hasMessageContaining("host function env.two");
            assertThat(e.getCause()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("returned 2 result(s)");
        }
    }

    @Test
    void hostFunctionsSeeTheCallersMemoryGrow() {
        List<Long> sizes = new ArrayList<>();
        HostFunction size = new HostFunction("env", "size", FunctionType.of(List.of(), List.of()), (memory, args) -> {
            sizes.add(memory.size());
            return new long[0];
        });
        WasmModule m = interpreter.compile(Wat.compile("""
                (module
                  (import "env" "size" (func $size))
                  (memory (export "memory") 1)
                  (func (export "run") call $size (drop (memory.grow (i32.const 2))) call $size))
                """));
        try (WasmInstance inst = m.instantiate(Imports.of(List.of(size)), LIMITS)) {
            inst.call("run");
            assertThat(sizes).containsExactly(65536L, 3 * 65536L);
        }
    }

    @Test
    void linkErrorsNameTheImportAndBothTypes() {
        WasmModule m = interpreter.compile(Wat.compile("""
                (module
                  (import "env" "f" (func (param i32) (result i32))))
                """));
        assertThatThrownBy(() -> m.instantiate(Imports.NONE, LIMITS))
                .isInstanceOf(WasmLinkException.class)
                .hasMessageStartingWith("missing import env.f: the module expects function (i32) -> (i32)");
        HostFunction wrong = new HostFunction("env", "f", FunctionType.of(List.of(ValueType.I64), List.of()),
                (memory, args) -> new long[0]);
        assertThatThrownBy(() -> m.instantiate(Imports.of(List.of(wrong)), LIMITS))
                .isInstanceOf(WasmLinkException.class)
                .hasMessage("import env.f has the wrong type: the module expects function (i32) -> (i32),"
                        + " but the host offers function (i64) -> ()");
        Imports memory = Imports.builder().memory(new HostMemory("env", "f", 1, 1)).build();
        assertThatThrownBy(() -> m.instantiate(memory, LIMITS))
                .isInstanceOf(WasmLinkException.class)
                .hasMessage("import env.f has the wrong kind: the module expects function (i32) -> (i32),"
                        + " but the host offers a memory by that name");
    }

    @Test
    void hostMemoriesAreHeldToTheInstanceLimit() {
        WasmModule m = interpreter.compile(Wat.compile("""
                (module
                  (import "env" "memory" (memory 1))
                  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))
                """));
        InstanceLimits twoPages = new InstanceLimits(2 * InstanceLimits.PAGE_SIZE, Duration.ZERO, 0);
        try (WasmInstance inst = m.instantiate(Imports.builder().memory(new HostMemory("env", "memory", 1, -1)).build(),
                twoPages)) {
            assertThat(inst.call("grow", 1)).containsExactly(1L);
            assertThat(inst.call("grow", 1)).containsExactly(-1L);
        }
        assertThatThrownBy(() -> m.instantiate(Imports.builder().memory(new HostMemory("env", "memory", 3, -1)).build(),
                twoPages))
                .isInstanceOf(WasmLinkException.class)
                .hasMessageContaining("host memory env.memory starts at 3 pages");
        assertThatThrownBy(() -> m.instantiate(Imports.builder().memory(new HostMemory("env", "memory", 2, 1)).build(),
                LIMITS))
                .isInstanceOf(WasmLinkException.class)
                .hasMessageContaining("invalid limits");
    }

    @Test
    void onlyChicoryInstancesCanBeLinkedAgainst() {
        WasmModule m = interpreter.compile(Wat.compile("""
                (module
                  (import "other" "f" (func)))
                """));
        WasmInstance foreign = new WasmInstance() {
            @Override
            public Optional<FunctionType> exportedFunction(String name) {
                return Optional.empty();
            }

            @Override
            public long[] call(String name, long... args) {
                throw new UnsupportedOperationException();
            }

            @Override
            public GuestMemory memory() {
                throw new IllegalStateException();
            }

            @Override
            public long global(String name) {
                throw new IllegalArgumentException();
            }

            @Override
            public void close() {
            }
        };
        assertThatThrownBy(() -> m.instantiate(Imports.builder().instance("other", foreign).build(), LIMITS))
                .isInstanceOf(WasmLinkException.class)
                .hasMessageContaining("other.f")
                .hasMessageContaining("not created by the Chicory engine");
    }

    @Test
    void simdIsRefusedAtCompileTime() {
        byte[] shuffle = Wat.compile("""
                (module
                  (func (export "swap") (param i64 i64) (result i64)
                    (i64x2.extract_lane 0
                      (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
                        (i64x2.replace_lane 1 (i64x2.splat (local.get 0)) (local.get 1))
                        (i64x2.splat (local.get 0))))))
                """);
        byte[] signature = Wat.compile("""
                (module
                  (func (export "id") (param v128) (result v128) local.get 0))
                """);
        for (ChicoryEngine engine : List.of(interpreter, compiler)) {
            assertThatThrownBy(() -> engine.compile(shuffle))
                    .isInstanceOf(WasmCompileException.class)
                    .hasMessage("unsupported module: function 0 uses the SIMD instruction I64x2_SPLAT;"
                            + " the Chicory engine does not run 128-bit SIMD");
            assertThatThrownBy(() -> engine.compile(signature))
                    .isInstanceOf(WasmCompileException.class)
                    .hasMessage("unsupported module: type 0 (v128) -> (v128) has v128 values;"
                            + " the Chicory engine does not run 128-bit SIMD");
        }
    }

    // ------------------------------------------------------------------ interruption and lifecycle

    @Test
    void anInterruptFromElsewhereIsATrapAndStaysSet() {
        try (WasmInstance inst = interpreter.compile(counter).instantiate(Imports.NONE, LIMITS)) {
            Thread.currentThread().interrupt();
            try {
                assertThatThrownBy(() -> inst.call("spin"))
                        .isInstanceOf(WasmTrapException.class)
                        .isNotInstanceOf(WasmTimeoutException.class)
                        .hasMessageContaining("interrupted");
                assertThat(Thread.currentThread().isInterrupted()).as("the interrupt is not ours to clear").isTrue();
            } finally {
                Thread.interrupted();
            }
        }
    }

    @Test
    void oneWatchdogThreadServesEveryCall(@TempDir Path dataDir) throws Exception {
        ChicoryEngine engine = create(dataDir, "interpreter");
        try {
            WasmModule m = engine.compile(counter);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < 50; i++) {
                            try (WasmInstance inst = m.instantiate(Imports.NONE,
                                    new InstanceLimits(1 << 20, Duration.ofSeconds(5), 0))) {
                                inst.call("inc");
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            String name = engine.watchdog().threadName();
            long timers = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).count();
            assertThat(timers).isEqualTo(1);
        } finally {
            engine.close();
        }
        assertThatThrownBy(() -> engine.compile(counter)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aThreadReusesOneDeadlineSlotPerNestingDepth() {
        // A deadline object per call was garbage on every message an agent handles.
        Watchdog watchdog = interpreter.watchdog();
        Watchdog.Deadline first = watchdog.arm(TimeUnit.MINUTES.toNanos(1));
        assertThat(Watchdog.disarm(first)).isFalse();
        Watchdog.Deadline again = watchdog.arm(TimeUnit.MINUTES.toNanos(1));
        assertThat(again).isSameAs(first);
        Watchdog.Deadline nested = watchdog.arm(TimeUnit.MINUTES.toNanos(1));
        assertThat(nested).isNotSameAs(again);
        assertThat(Watchdog.disarm(nested)).isFalse();
        assertThat(Watchdog.disarm(again)).isFalse();
        assertThat(watchdog.arm(TimeUnit.MINUTES.toNanos(1))).isSameAs(first);
        assertThat(Watchdog.disarm(first)).isFalse();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void theWatchdogFiresOnlyTheArmingItLookedAt() {
        // The watchdog may find a slot armed, judge its deadline passed, and act only after the
        // call has ended and the thread armed the slot again for its next call: that call has
        // its own time and must not be interrupted.
        Watchdog watchdog = interpreter.watchdog();
        Watchdog.Deadline d = watchdog.arm(TimeUnit.MINUTES.toNanos(1));
        long seen = d.armedWord();
        assertThat(Watchdog.disarm(d)).isFalse();
        Watchdog.Deadline next = watchdog.arm(TimeUnit.MINUTES.toNanos(1));
        assertThat(next).isSameAs(d);
        next.fire(seen);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
        assertThat(Watchdog.disarm(next)).isFalse();
        // The arming it did look at is fired, and its interrupt ends with the call.
        Watchdog.Deadline late = watchdog.arm(TimeUnit.MINUTES.toNanos(1));
        late.fire(late.armedWord());
        assertThat(Thread.currentThread().isInterrupted()).isTrue();
        assertThat(Watchdog.disarm(late)).isTrue();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void aGuestCalledFromAHostFunctionHasItsOwnDeadline() {
        // Calls nest on one thread when a host function calls another guest: the inner call runs
        // out of time, the outer one goes on and is not interrupted afterwards.
        WasmInstance inner = compiler.compile(counter).instantiate(Imports.NONE,
                new InstanceLimits(1 << 20, Duration.ofMillis(100), 0));
        List<Throwable> seen = new ArrayList<>();
        HostFunction callInner = new HostFunction("env", "inner", FunctionType.of(List.of(), List.of()), (memory, args) -> {
            try {
                inner.call("spin");
            } catch (WasmTimeoutException e) {
                seen.add(e);
            }
            return new long[0];
        });
        WasmModule outer = compiler.compile(Wat.compile("""
                (module
                  (import "env" "inner" (func $inner))
                  (func (export "run") (result i32) call $inner (i32.const 7)))
                """));
        try (inner; WasmInstance inst = outer.instantiate(Imports.of(List.of(callInner)), LIMITS)) {
            for (int i = 0; i < 3; i++) {
                assertThat(inst.call("run")).containsExactly(7L);
            }
            assertThat(seen).hasSize(3);
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
        }
    }

    @Test
    void theSlotsOfEndedThreadsAreDropped(@TempDir Path dataDir) throws Exception {
        ChicoryEngine engine = create(dataDir, "interpreter");
        try {
            WasmModule m = engine.compile(counter);
            for (int i = 0; i < 20; i++) {
                Thread t = Thread.ofVirtual().start(() -> {
                    try (WasmInstance inst = m.instantiate(Imports.NONE, LIMITS)) {
                        inst.call("inc");
                    }
                });
                assertThat(t.join(Duration.ofSeconds(20))).isTrue();
            }
            // A pending deadline keeps the watchdog scanning; it must come down to this thread's slot.
            Watchdog.Deadline mine = engine.watchdog().arm(TimeUnit.MINUTES.toNanos(1));
            try {
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (engine.watchdog().slots() != 1 && System.nanoTime() - until < 0) {
                    Thread.sleep(10);
                }
                assertThat(engine.watchdog().slots()).isEqualTo(1);
            } finally {
                Watchdog.disarm(mine);
            }
        } finally {
            engine.close();
        }
    }

    @Test
    void theWatchdogKeepsWorkingWhileGuestsHoldEveryCarrierThread() throws Exception {
        // Many more virtual threads than carriers, each spinning in a guest until its deadline:
        // while they hold the carriers, only the watchdog can free them, so it must never wait for
        // a virtual thread (an executor-based timer deadlocks here within a few rounds).
        WasmModule m = compiler.compile(counter);
        InstanceLimits limits = new InstanceLimits(1 << 20, Duration.ofMillis(50), 0);
        int threads = 4 * Runtime.getRuntime().availableProcessors() + 8;
        for (int round = 0; round < 8; round++) {
            List<Thread> started = new ArrayList<>();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < threads; i++) {
                started.add(Thread.ofVirtual().start(() -> {
                    try (WasmInstance inst = m.instantiate(Imports.NONE, limits)) {
                        inst.call("spin");
                        failures.add(new AssertionError("the spin returned"));
                    } catch (WasmTimeoutException expected) {
                        // what every thread should see
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }));
            }
            for (Thread t : started) {
                assertThat(t.join(Duration.ofSeconds(20))).as("round %d: every guest was stopped", round).isTrue();
            }
            assertThat(failures).isEmpty();
        }
    }

    @Test
    void closingTheEngineStopsRunningCalls(@TempDir Path dataDir) throws Exception {
        ChicoryEngine engine = create(dataDir, "interpreter");
        WasmInstance inst = engine.compile(counter).instantiate(Imports.NONE,
                new InstanceLimits(1 << 20, Duration.ofMinutes(1), 0));
        java.util.concurrent.atomic.AtomicReference<Throwable> outcome = new java.util.concurrent.atomic.AtomicReference<>();
        Thread caller = Thread.ofPlatform().start(() -> {
            try {
                inst.call("spin");
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        Thread.sleep(200);
        engine.close();
        assertThat(caller.join(Duration.ofSeconds(10))).isTrue();
        assertThat(outcome.get()).isInstanceOf(WasmTrapException.class)
                .hasMessage("call to 'spin' was stopped: the engine was closed");
    }

    @Test
    void closingReleasesTheInstanceAndItsMemoryView() {
        WasmInstance inst = interpreter.compile(counter).instantiate(Imports.NONE, LIMITS);
        GuestMemory memory = inst.memory();
        inst.close();
        assertThatThrownBy(() -> inst.call("inc")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(memory::size).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> inst.global("count")).isInstanceOf(IllegalStateException.class);
        assertThat(inst.exportedFunction("inc")).isPresent();
    }

    @Test
    void theMemoryViewIsMadeOnceAndStillSeesTheMemoryGrow() {
        // The node asks for the view several times per message; each used to be a new object.
        WasmInstance inst = interpreter.compile(Wat.compile("""
                (module (memory (export "memory") 1)
                  (func (export "grow") (result i32) (memory.grow (i32.const 1))))
                """)).instantiate(Imports.NONE, LIMITS);
        GuestMemory first = inst.memory();
        assertThat(inst.memory()).isSameAs(first);
        inst.call("grow");
        assertThat(first.size()).isEqualTo(2L * 65536);
        first.write(65536 + 10, new byte[] {7}, 0, 1);
        assertThat(inst.memory().read(65536 + 10, 1)).containsExactly(7);
        inst.close();
        assertThatThrownBy(inst::memory).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(first::size).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aClosedEngineRefusesWork(@TempDir Path dataDir) {
        ChicoryEngine engine = create(dataDir, "interpreter");
        WasmModule m = engine.compile(counter);
        WasmInstance inst = m.instantiate(Imports.NONE, LIMITS);
        engine.close();
        assertThatThrownBy(() -> m.instantiate(Imports.NONE, LIMITS)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> inst.call("inc")).isInstanceOf(IllegalStateException.class);
    }
}
