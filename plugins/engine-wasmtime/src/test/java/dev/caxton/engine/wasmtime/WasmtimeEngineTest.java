package dev.caxton.engine.wasmtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.ExportDescriptor;
import dev.caxton.spi.engine.ExternKind;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.HostGlobal;
import dev.caxton.spi.engine.HostTable;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.ValueType;
import dev.caxton.spi.engine.WasmCompileException;
import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.spi.engine.WasmEngineProvider;
import dev.caxton.spi.engine.WasmException;
import dev.caxton.spi.engine.WasmFuelExhaustedException;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmLinkException;
import dev.caxton.spi.engine.WasmModule;
import dev.caxton.spi.engine.WasmTimeoutException;
import dev.caxton.spi.engine.WasmTrapException;
import dev.caxton.testkit.Wat;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the Wasmtime engine does beyond the conformance suite: its configuration, its messages, the
 * module rewriting that stands in for what the binding lacks, the limits of that binding, and the
 * handling of native resources (stores freed on close or by the cleaner, no use after disposal).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class WasmtimeEngineTest {

    private static final InstanceLimits LIMITS = new InstanceLimits(16L << 20, Duration.ofSeconds(30), 0);

    private static final FunctionType VOID = FunctionType.of(List.of(), List.of());

    private static final String SPIN = """
            (module
              (import "env" "tick" (func $tick))
              (func (export "spin") (loop $l (br $l)))
              (func (export "tick") call $tick)
              (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
            """;

    private WasmtimeEngine engine;

    @BeforeAll
    void createEngine(@TempDir Path dataDir) {
        engine = (WasmtimeEngine) new WasmtimeEngineProvider().create(ProviderContext.of(ProviderConfig.empty(), dataDir));
    }

    @AfterAll
    void closeEngine() {
        engine.close();
    }

    private WasmModule module(String wat) {
        return engine.compile(Wat.compile(wat));
    }

    private static HostFunction host(String name, FunctionType type, HostFunction.Body body) {
        return new HostFunction("env", name, type, body);
    }

    private static long f32(float f) {
        return Float.floatToRawIntBits(f);
    }

    private static long f64(double d) {
        return Double.doubleToRawLongBits(d);
    }

    /** How many host function wrappers the binding still holds: it drops them when their store is disposed. */
    private static int liveHostFunctions() throws ReflectiveOperationException {
        Field registry = io.github.kawamuray.wasmtime.Func.class.getDeclaredField("registry");
        registry.setAccessible(true);
        Object r = registry.get(null);
        Field map = r.getClass().getDeclaredField("map");
        map.setAccessible(true);
        return ((Map<?, ?>) map.get(r)).size();
    }

    // ------------------------------------------------------------------ provider and configuration

    @Test
    void theProviderIsFoundAndDescribesItsOptions() {
        Optional<WasmEngineProvider> found = ServiceLoader.load(WasmEngineProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("wasmtime"))
                .findFirst();
        assertThat(found).get().isInstanceOf(WasmtimeEngineProvider.class);
        WasmEngineProvider provider = found.get();
        assertThat(provider.description()).contains("Wasmtime");
        assertThat(provider.unsupportedReason()).as("this machine is one the binding supports").isEmpty();
        assertThat(provider.options()).extracting(ConfigOption::key)
                .containsExactly("max_wasm_stack", "epoch_interval", "max_host_calls");
        assertThat(provider.options()).extracting(ConfigOption::defaultValue).containsExactly("512KB", "1ms", "100000");
    }

    @Test
    void optionsOutOfRangeAreConfigurationErrors(@TempDir Path dataDir) {
        WasmtimeEngineProvider provider = new WasmtimeEngineProvider();
        ProviderConfig bigStack = ProviderConfig.of("runtime.wasmtime", Map.of("max_wasm_stack", "1MB"));
        assertThatThrownBy(() -> provider.create(ProviderContext.of(bigStack, dataDir)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("runtime.wasmtime.max_wasm_stack")
                .hasMessageContaining("out of range");
        ProviderConfig slowTicks = ProviderConfig.of("runtime.wasmtime", Map.of("epoch_interval", "5s"));
        assertThatThrownBy(() -> provider.create(ProviderContext.of(slowTicks, dataDir)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("runtime.wasmtime.epoch_interval");
        ProviderConfig fewCalls = ProviderConfig.of("runtime.wasmtime", Map.of("max_host_calls", 10));
        assertThatThrownBy(() -> provider.create(ProviderContext.of(fewCalls, dataDir)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("runtime.wasmtime.max_host_calls");
    }

    @Test
    void configuredOptionsAreUsed(@TempDir Path dataDir) {
        ProviderConfig config = ProviderConfig.of("runtime.wasmtime", Map.of("max_wasm_stack", "128KB",
                "epoch_interval", "5ms", "max_host_calls", 1000));
        try (WasmtimeEngine e = (WasmtimeEngine) new WasmtimeEngineProvider().create(ProviderContext.of(config, dataDir))) {
            assertThat(e.features().description()).contains("every 5 ms").contains("guest stack 128 KiB")
                    .contains("at most 1000 host calls per call");
            assertThat(e.ticker().intervalNanos()).isEqualTo(5_000_000L);
            WasmModule m = e.compile(Wat.compile("""
                    (module
                      (func $down (export "down") (param i32) (result i32)
                        (call $down (i32.add (local.get 0) (i32.const 1)))))
                    """));
            try (WasmInstance inst = m.instantiate(Imports.NONE, LIMITS)) {
                assertThatThrownBy(() -> inst.call("down", 0)).isInstanceOf(WasmTrapException.class)
                        .hasMessageContaining("call stack exhausted");
            }
            WasmModule calls = e.compile(Wat.compile("""
                    (module
                      (import "env" "tick" (func $tick))
                      (func (export "ticks") (param $n i32)
                        (block $done
                          (loop $l
                            (br_if $done (i32.eqz (local.get $n)))
                            (call $tick)
                            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                            (br $l)))))
                    """));
            AtomicLong ticks = new AtomicLong();
            try (WasmInstance inst = calls.instantiate(Imports.of(List.of(host("tick", VOID, (m2, a) -> {
                ticks.incrementAndGet();
                return new long[0];
            }))), LIMITS)) {
                inst.call("ticks", 1000);
                inst.call("ticks", 1000);
                assertThat(ticks.get()).as("the count starts afresh with every call").isEqualTo(2000);
                assertThatThrownBy(() -> inst.call("ticks", 1001))
                        .isInstanceOf(WasmTrapException.class)
                        .hasMessageStartingWith("call to 'ticks' was stopped after 1000 host calls");
                assertThat(ticks.get()).as("the 1001st never ran").isEqualTo(3000);
            }
        }
    }

    @Test
    void featuresTellTimeoutsAndFuel() {
        assertThat(engine.features().fuel()).isTrue();
        assertThat(engine.features().executionTimeout()).isTrue();
        assertThat(engine.features().snapshots()).as("durable agents need snapshots").isTrue();
        assertThat(engine.features().description())
                .startsWith("wasmtime 7.0.0 (wasmtime-java 0.19.0, Cranelift)")
                .contains("epoch interruption every 1 ms")
                .contains("fuel metered by instrumenting modules");
    }

    // ------------------------------------------------------------------ fuel

    private static InstanceLimits fuel(long budget) {
        return new InstanceLimits(16L << 20, Duration.ofSeconds(30), budget);
    }

    @Test
    void meteringKeepsEveryKindOfInstructionWorking() {
        // SIMD, bulk memory, reference types, saturating and sign-extending conversions, a
        // multi-value block left by a br_table that also targets the function: the metered module
        // must compute exactly what the plain one does.
        WasmModule m = module("""
                (module
                  (memory 1)
                  (data (i32.const 0) "\01\00\00\00\02\00\00\00\03\00\00\00\04\00\00\00")
                  (table $t 2 funcref)
                  (elem declare func $five)
                  (func $five (result i32) i32.const 5)
                  (func (export "simd") (result i32) (local v128)
                    (local.set 0 (i32x4.add (v128.load (i32.const 0)) (v128.const i32x4 10 20 30 40)))
                    (v128.store (i32.const 16) (local.get 0))
                    (local.set 0 (i8x16.shuffle 4 5 6 7 0 1 2 3 8 9 10 11 12 13 14 15 (local.get 0) (local.get 0)))
                    (local.set 0 (v128.load32_lane 1 (i32.const 0) (local.get 0)))
                    (i32.add (i32x4.extract_lane 0 (local.get 0)) (i32x4.extract_lane 1 (local.get 0))))
                  (func (export "bulk") (result i32)
                    (memory.fill (i32.const 100) (i32.const 7) (i32.const 10))
                    (memory.copy (i32.const 200) (i32.const 100) (i32.const 10))
                    (i32.load8_u (i32.const 209)))
                  (func (export "refs") (result i32)
                    (table.set $t (i32.const 1) (ref.func $five))
                    (call_indirect (result i32) (i32.const 1)))
                  (func (export "pick") (param i32) (result i32 i32)
                    (block (result i32 i32) (i32.const 1) (i32.const 2) (br_table 0 1 (local.get 0))))
                  (func (export "convert") (param f32 i32) (result i32)
                    (i32.add (i32.trunc_sat_f32_s (local.get 0)) (i32.extend8_s (local.get 1)))))
                """);
        record Call(String name, long[] args) {
        }
        List<Call> calls = List.of(new Call("simd", new long[0]), new Call("bulk", new long[0]),
                new Call("refs", new long[0]), new Call("pick", new long[] {0}), new Call("pick", new long[] {1}),
                new Call("convert", new long[] {Float.floatToRawIntBits(3e9f), 0xFF}));
        try (WasmInstance plain = m.instantiate(Imports.NONE, LIMITS);
             WasmInstance metered = m.instantiate(Imports.NONE, fuel(1_000))) {
            for (Call c : calls) {
                assertThat(metered.call(c.name(), c.args())).as(c.name()).containsExactly(plain.call(c.name(), c.args()));
            }
            assertThat(metered.call("simd")).containsExactly(23);
            assertThat(metered.call("pick", 1)).containsExactly(1, 2);
            assertThat(metered.call("convert", Float.floatToRawIntBits(3e9f), 0xFF)).containsExactly(Integer.MAX_VALUE - 1);
        }
        try (WasmInstance starved = m.instantiate(Imports.NONE, fuel(10))) {
            assertThatThrownBy(() -> starved.call("simd")).isInstanceOf(WasmFuelExhaustedException.class)
                    .hasMessage("call to 'simd' ran out of fuel: it executed more than 10 instructions");
        }
    }

    @Test
    void meteringHelpersStayHiddenAndGlobalsStillRead() {
        WasmModule m = module("""
                (module
                  (global $n (export "n") (mut i32) (i32.const 0))
                  (func (export "bump") (global.set $n (i32.add (global.get $n) (i32.const 1)))))
                """);
        try (WasmInstance inst = m.instantiate(Imports.NONE, fuel(100))) {
            inst.call("bump");
            inst.call("bump");
            assertThat(inst.global("n")).as("read by a getter the budget does not touch").isEqualTo(2);
            for (String hidden : List.of("caxton:wasmtime:fuel:bump", "caxton:wasmtime:fuel:left",
                    "caxton:wasmtime:fuel:set")) {
                assertThat(inst.exportedFunction(hidden)).isEmpty();
                assertThatThrownBy(() -> inst.call(hidden)).isInstanceOf(IllegalArgumentException.class);
            }
        }
        assertThat(m.exports()).extracting(ExportDescriptor::name).containsExactly("n", "bump");
    }

    @Test
    void theStartFunctionRunsOnTheBudget() {
        WasmModule m = module("""
                (module
                  (global $left (mut i32) (i32.const 0))
                  (func $count (local i32)
                    (local.set 0 (i32.const 1000))
                    (loop $l (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br_if $l (local.get 0)))
                    (global.set $left (local.get 0)))
                  (start $count)
                  (func (export "left") (result i32) global.get $left))
                """);
        try (WasmInstance inst = m.instantiate(Imports.NONE, fuel(100_000))) {
            assertThat(inst.call("left")).containsExactly(0);
        }
        assertThatThrownBy(() -> m.instantiate(Imports.NONE, fuel(1_000)))
                .isInstanceOf(WasmFuelExhaustedException.class)
                .hasMessageContaining("the start function ran out of fuel");
    }

    @Test
    void callsBackIntoTheGuestDrawOnTheOuterBudget() {
        AtomicReference<WasmInstance> self = new AtomicReference<>();
        WasmModule m = module("""
                (module
                  (import "env" "back" (func $back (param i32) (result i32)))
                  (func $burn (export "burn") (param i32) (result i32)
                    (loop $l (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br_if $l (local.get 0)))
                    local.get 0)
                  (func (export "outer") (param i32) (result i32)
                    (drop (call $burn (local.get 0)))
                    (call $back (local.get 0))))
                """);
        HostFunction back = host("back", FunctionType.of(List.of(ValueType.I32), List.of(ValueType.I32)),
                (memory, a) -> self.get().call("burn", a[0]));
        // burn(n) costs 6n + 4 (loop, six per iteration, end, local.get, end); outer(n) costs
        // local.get, call, burn(n), drop, local.get, call, burn(n) in the host's call back, end:
        // 12n + 14. Were the call back given a budget of its own, 12n + 13 would suffice.
        try (WasmInstance inst = m.instantiate(Imports.of(List.of(back)), fuel(12 * 100 + 14))) {
            self.set(inst);
            assertThat(inst.call("burn", 100)).containsExactly(0);
            assertThat(inst.call("outer", 100)).as("exactly enough for both burns").containsExactly(0);
        }
        try (WasmInstance inst = m.instantiate(Imports.of(List.of(back)), fuel(6 * 100 + 4))) {
            self.set(inst);
            assertThat(inst.call("burn", 100)).as("burn alone, exactly").containsExactly(0);
        }
        try (WasmInstance inst = m.instantiate(Imports.of(List.of(back)), fuel(12 * 100 + 13))) {
            self.set(inst);
            assertThatThrownBy(() -> inst.call("outer", 100)).isInstanceOf(WasmFuelExhaustedException.class);
        }
    }

    // ------------------------------------------------------------------ compile errors

    @Test
    void compileErrorsSayWhatAndWhere() {
        assertThatThrownBy(() -> engine.compile(new byte[0]))
                .isInstanceOf(WasmCompileException.class).hasMessageContaining("empty input");
        assertThatThrownBy(() -> engine.compile("(module (func))".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(WasmCompileException.class)
                .hasMessageContaining("bad magic number")
                .hasMessageContaining("looks like WebAssembly text");
        assertThatThrownBy(() -> engine.compile(new byte[] {0, 'a', 's', 'm', 2, 0, 0, 0}))
                .isInstanceOf(WasmCompileException.class)
                .hasMessageContaining("unsupported binary version: expected 01 00 00 00, found 02 00 00 00");
        byte[] outOfOrder = {0, 'a', 's', 'm', 1, 0, 0, 0, 0x03, 0x01, 0x00, 0x01, 0x01, 0x00};
        assertThatThrownBy(() -> engine.compile(outOfOrder))
                .isInstanceOf(WasmCompileException.class)
                .hasMessage("malformed module: the type section after the function section (sections are out of"
                        + " order) at byte offset 0xb");
        byte[] overlong = {0, 'a', 's', 'm', 1, 0, 0, 0, 0x01, 0x10, 0x00};
        assertThatThrownBy(() -> engine.compile(overlong))
                .isInstanceOf(WasmCompileException.class)
                .hasMessageContaining("the type section declares 16 bytes but only 1 remain (the module is truncated)");
        byte[] startWithParams = {
            0, 'a', 's', 'm', 1, 0, 0, 0,
            0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00,                // types: (i32) -> ()
            0x03, 0x02, 0x01, 0x00,                                  // one function of type 0
            0x08, 0x01, 0x00,                                        // start: function 0
            0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b                       // code: empty body
        };
        assertThatThrownBy(() -> engine.compile(startWithParams))
                .isInstanceOf(WasmCompileException.class)
                .hasMessageContaining("the start function (function 0) must take no parameters and return no results");
        byte[] typeError = {
            0, 'a', 's', 'm', 1, 0, 0, 0,
            0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,                // types: () -> (i32)
            0x03, 0x02, 0x01, 0x00,                                  // one function of type 0
            0x0a, 0x06, 0x01, 0x04, 0x00, 0x42, 0x00, 0x0b           // code: i64.const 0, end
        };
        assertThatThrownBy(() -> engine.compile(typeError))
                .isInstanceOf(WasmCompileException.class)
                .hasMessage("invalid module: wasmtime: failed to compile wasm function 0 at offset 0x17");
        byte[] typeErrorWithMemory = {
            0, 'a', 's', 'm', 1, 0, 0, 0,
            0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
            0x03, 0x02, 0x01, 0x00,
            0x05, 0x03, 0x01, 0x00, 0x01,                            // memory: one of 1 page
            0x0a, 0x06, 0x01, 0x04, 0x00, 0x42, 0x00, 0x0b
        };
        assertThatThrownBy(() -> engine.compile(typeErrorWithMemory))
                .as("the offset is the module's own, though the engine compiles a rewritten module")
                .isInstanceOf(WasmCompileException.class)
                .hasMessage("invalid module: wasmtime: failed to compile wasm function 0 at offset 0x1c");
    }

    @Test
    void corruptedModulesAreJudgedAsWasmtimeJudgesThemAndFailOnlyWithEngineExceptions() {
        // Random byte flips of a module that exercises every rewriting. The engine must accept
        // exactly what Wasmtime accepts of the bytes as they are (so the rewriting never makes an
        // invalid module valid, nor the other way round), and whatever runs may only fail with
        // the SPI's exceptions.
        byte[] original = Wat.compile("""
                (module
                  (import "env" "tick" (func $tick))
                  (type $ret (func (result i32)))
                  (memory (export "memory") 1 4)
                  (table $t 2 funcref)
                  (global $g (export "g") (mut i32) (i32.const 1))
                  (global $h (export "h") f64 (f64.const 2.5))
                  (data (i32.const 8) "abcdefgh")
                  (elem (i32.const 0) $one $two)
                  (func $one (result i32) i32.const 1)
                  (func $two (result i32) (call $tick) (global.get $g))
                  (func $init (global.set $g (i32.const 3)))
                  (func (export "run") (result i32)
                    (drop (memory.grow (i32.const 1)))
                    (i32.add (call_indirect (type $ret) (i32.const 0)) (call_indirect (type $ret) (i32.const 1))))
                  (func (export "load") (param i32) (result i32) local.get 0 i32.load8_u)
                  (start $init))
                """);
        Imports imports = Imports.of(List.of(host("tick", VOID, (m, a) -> new long[0])));
        InstanceLimits limits = new InstanceLimits(1 << 20, Duration.ofMillis(100), 0);
        Random random = new Random(11);
        io.github.kawamuray.wasmtime.Engine plain = new io.github.kawamuray.wasmtime.Engine();
        int compiled = 0;
        try {
            for (int i = 0; i < 600; i++) {
                byte[] bytes = original.clone();
                for (int flips = 1 + random.nextInt(2); flips > 0; flips--) {
                    bytes[8 + random.nextInt(bytes.length - 8)] = (byte) random.nextInt(256);
                }
                String wasmtimeSays = null;
                try {
                    io.github.kawamuray.wasmtime.Module.fromBinary(plain, bytes).dispose();
                } catch (io.github.kawamuray.wasmtime.WasmtimeException e) {
                    wasmtimeSays = e.getMessage();
                }
                boolean wasmtimeAccepts = wasmtimeSays == null;
                WasmModule m;
                try {
                    m = engine.compile(bytes);
                } catch (WasmCompileException refused) {
                    assertThat(wasmtimeAccepts).as("mutation %d: the engine refused what wasmtime accepts: %s", i,
                            refused.getMessage()).isFalse();
                    continue;
                }
                assertThat(wasmtimeAccepts).as("mutation %d: the engine accepted what wasmtime refuses (%s): %s", i,
                        wasmtimeSays, java.util.HexFormat.of().formatHex(bytes)).isTrue();
                compiled++;
                try (WasmInstance inst = m.instantiate(imports, limits)) {
                    for (String name : List.of("run", "load")) {
                        if (inst.exportedFunction(name).map(t -> t.params().size()).orElse(-1) == (name.equals("run") ? 0 : 1)) {
                            Throwable t = catchThrowable(() -> inst.call(name, name.equals("run") ? new long[0] : new long[] {8}));
                            assertThat(t).as("mutation %d, %s", i, name).satisfiesAnyOf(
                                    x -> assertThat(x).isNull(),
                                    x -> assertThat(x).isInstanceOf(WasmException.class));
                        }
                    }
                } catch (WasmException | IllegalArgumentException | IllegalStateException expected) {
                    // Linking or the start function failed: contained, as it must be.
                }
            }
        } finally {
            plain.dispose();
        }
        assertThat(compiled).as("some mutations still compile and run").isGreaterThan(10);
    }

    // ------------------------------------------------------------------ what the rewriting stands in for

    @Test
    void theStartFunctionMayCallTheHostAndItsFailureKeepsTheCause() throws ReflectiveOperationException {
        WasmModule m = module("""
                (module
                  (import "env" "boot" (func $boot (param i32)))
                  (global $g (export "g") (mut i32) (i32.const 0))
                  (func $start (global.set $g (i32.const 5)) (call $boot (i32.const 42)))
                  (start $start))
                """);
        AtomicLong seen = new AtomicLong();
        FunctionType takesI32 = FunctionType.of(List.of(ValueType.I32), List.of());
        try (WasmInstance inst = m.instantiate(Imports.of(List.of(host("boot", takesI32, (mem, a) -> {
            seen.set(a[0]);
            return new long[0];
        }))), LIMITS)) {
            assertThat(seen.get()).isEqualTo(42);
            assertThat(inst.global("g")).isEqualTo(5);
        }
        int before = liveHostFunctions();
        IllegalStateException boom = new IllegalStateException("no boot today");
        WasmTrapException e = catchThrowableOfType(WasmTrapException.class, () -> m.instantiate(
                Imports.of(List.of(host("boot", takesI32, (mem, a) -> {
                    throw boom;
                }))), LIMITS));
        assertThat(e).hasMessage("the start function failed in host function env.boot: IllegalStateException:"
                + " no boot today");
        assertThat(e.getCause()).isSameAs(boom);
        assertThat(liveHostFunctions()).as("the failed instance's store is gone").isEqualTo(before);
    }

    @Test
    void exportedGlobalsOfEveryNumberTypeAreRead() {
        try (WasmInstance inst = module("""
                (module
                  (global (export "i32") i32 (i32.const -7))
                  (global (export "i64") i64 (i64.const 0x123456789abcdef0))
                  (global (export "f32") f32 (f32.const -nan:0x200001))
                  (global $f64 (export "f64") (mut f64) (f64.const -0.5))
                  (global (export "v128") v128 (v128.const i32x4 1 2 3 4))
                  (func (export "set") (param f64) local.get 0 global.set $f64))
                """).instantiate(Imports.NONE, LIMITS)) {
            assertThat(inst.global("i32")).isEqualTo(-7L);
            assertThat(inst.global("i64")).isEqualTo(0x123456789abcdef0L);
            assertThat(inst.global("f32")).isEqualTo((long) 0xFFA00001);
            assertThat(inst.global("f64")).isEqualTo(f64(-0.5));
            inst.call("set", f64(1e300));
            assertThat(inst.global("f64")).isEqualTo(f64(1e300));
            assertThatThrownBy(() -> inst.global("v128")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("global 'v128' holds a v128, which cannot be read as a number");
            assertThatThrownBy(() -> inst.global("set")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("the instance exports no global named 'set'");
        }
    }

    @Test
    void functionsReturningReferencesCanTrapButNotReturn() {
        try (WasmInstance inst = module("""
                (module
                  (table $t 1 externref)
                  (func (export "get") (param i32) (result externref) local.get 0 table.get $t)
                  (func (export "is_null") (param externref) (result i32) local.get 0 ref.is_null))
                """).instantiate(Imports.NONE, LIMITS)) {
            assertThatThrownBy(() -> inst.call("get", 5)).isInstanceOf(WasmTrapException.class)
                    .hasMessage("call to 'get' trapped: out of bounds table access");
            assertThatThrownBy(() -> inst.call("get", 0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("call to 'get' completed, but returned a value the wasmtime-java binding cannot hand"
                            + " back (only i32, i64, f32 and f64 cross it)");
            assertThatThrownBy(() -> inst.call("is_null", 0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("which this engine cannot call");
        }
    }

    @Test
    void theEnginesOwnExportsAndImportsStayHidden() {
        WasmModule m = module("""
                (module
                  (global $g (export "g") i32 (i32.const 3))
                  (func $init)
                  (start $init)
                  (func (export "caxton:wasmtime:global:g") (result i32) i32.const 7)
                  (memory (export "memory") 1))
                """);
        assertThat(m.imports()).isEmpty();
        assertThat(m.exports()).containsExactly(
                new ExportDescriptor("g", ExternKind.GLOBAL, null),
                new ExportDescriptor("caxton:wasmtime:global:g", ExternKind.FUNCTION,
                        FunctionType.of(List.of(), List.of(ValueType.I32))),
                new ExportDescriptor("memory", ExternKind.MEMORY, null));
        try (WasmInstance inst = m.instantiate(Imports.NONE, LIMITS)) {
            assertThat(inst.global("g")).isEqualTo(3);
            assertThat(inst.call("caxton:wasmtime:global:g")).as("the module's own export of that name").containsExactly(7);
            for (String hidden : List.of("caxton:wasmtime:start", "caxton:wasmtime:global:g#2")) {
                assertThat(inst.exportedFunction(hidden)).isEmpty();
                assertThatThrownBy(() -> inst.call(hidden)).isInstanceOf(IllegalArgumentException.class);
            }
        }
    }

    @Test
    void tablesCannotGrowPastTheCap() {
        WasmModule m = module("""
                (module
                  (table $t 1 funcref)
                  (func (export "grow") (param i32) (result i32) ref.null func local.get 0 table.grow $t)
                  (func (export "size") (result i32) table.size $t))
                """);
        // 64 MiB allows tables 2 million elements, so the engine's own cap is what stops growth here.
        InstanceLimits roomy = new InstanceLimits(64L << 20, Duration.ofSeconds(30), 0);
        try (WasmInstance inst = m.instantiate(Imports.NONE, roomy)) {
            assertThat(inst.call("grow", 0x7FFF_FFFF)).as("a huge growth fails instead of aborting the JVM").containsExactly(-1);
            assertThat(inst.call("grow", -1)).containsExactly(-1);
            assertThat(inst.call("grow", 9)).containsExactly(1);
            assertThat(inst.call("grow", ModuleRewriter.TABLE_CAP - 10)).containsExactly(10);
            assertThat(inst.call("size")).containsExactly(ModuleRewriter.TABLE_CAP);
            assertThat(inst.call("grow", 1)).containsExactly(-1);
        }
        assertThatThrownBy(() -> module("(module (table 2000000 funcref))"))
                .isInstanceOf(WasmCompileException.class)
                .hasMessage("table 0 starts with 2000000 elements, more than the 1048576 this engine allows a table");
    }

    @Test
    void anEmptyMemoryCanBeViewedAndGrown() {
        try (WasmInstance inst = module("""
                (module
                  (memory (export "memory") 0)
                  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))
                """).instantiate(Imports.NONE, LIMITS)) {
            GuestMemory memory = inst.memory();
            assertThat(memory.size()).isZero();
            assertThat(memory.read(0, 0)).isEmpty();
            assertThatThrownBy(() -> memory.read(0, 1)).isInstanceOf(dev.caxton.spi.engine.MemoryAccessException.class);
            assertThat(inst.call("grow", 1)).containsExactly(0);
            assertThat(memory.size()).as("a view fetched before the growth sees it").isEqualTo(InstanceLimits.PAGE_SIZE);
            memory.write(InstanceLimits.PAGE_SIZE - 1, new byte[] {9});
            assertThat(memory.read(InstanceLimits.PAGE_SIZE - 1, 1)).containsExactly(9);
        }
    }

    @Test
    void memoriesStopJustShortOfTwoGibibytes() {
        try (WasmInstance inst = module("""
                (module
                  (memory (export "memory") 1)
                  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))
                """).instantiate(Imports.NONE, InstanceLimits.UNLIMITED)) {
            assertThat(inst.call("grow", 40_000)).containsExactly(-1);
            assertThat(inst.call("grow", 32_766)).containsExactly(1);
            assertThat(inst.call("grow", 1)).containsExactly(-1);
            long size = inst.memory().size();
            assertThat(size).isEqualTo(32_767L * InstanceLimits.PAGE_SIZE);
            inst.memory().write(size - 2, new byte[] {5, 6});
            assertThat(inst.memory().read(size - 2, 2)).containsExactly(5, 6);
        }
        WasmModule big = module("(module (memory 40000))");
        assertThatThrownBy(() -> big.instantiate(Imports.NONE, InstanceLimits.UNLIMITED))
                .isInstanceOf(WasmLinkException.class)
                .hasMessage("the module's memory starts at 40000 pages, more than the 32767 pages (just under 2 GiB)"
                        + " this engine supports");
    }

    @Test
    void hostGlobalsAndTablesReachConstantExpressions() {
        WasmModule m = module("""
                (module
                  (import "env" "base" (global $base i32))
                  (import "env" "scale" (global $scale f64))
                  (import "env" "t" (table 4 funcref))
                  (type $ret (func (result i32)))
                  (memory (export "memory") 1)
                  (global $copy i32 (global.get $base))
                  (data (global.get $base) "hi")
                  (elem (global.get $base) $seven)
                  (func $seven (result i32) i32.const 7)
                  (func (export "copy") (result i32) global.get $copy)
                  (func (export "scale") (result f64) global.get $scale)
                  (func (export "call_at") (param i32) (result i32) local.get 0 call_indirect (type $ret))
                  (export "base" (global $base)))
                """);
        for (int base : new int[] {1, 2, 1}) {
            Imports imports = Imports.builder()
                    .global(new HostGlobal("env", "base", ValueType.I32, base, false))
                    .global(new HostGlobal("env", "scale", ValueType.F64, f64(0.25 * base), false))
                    .table(new HostTable("env", "t", 4, -1))
                    .build();
            try (WasmInstance inst = m.instantiate(imports, LIMITS)) {
                assertThat(inst.memory().read(base, 2)).as("data at base %d", base).containsExactly('h', 'i');
                assertThat(inst.call("call_at", base)).containsExactly(7);
                assertThatThrownBy(() -> inst.call("call_at", 3)).isInstanceOf(WasmTrapException.class)
                        .hasMessageContaining("uninitialized element");
                assertThat(inst.call("copy")).containsExactly(base);
                assertThat(inst.call("scale")).containsExactly(f64(0.25 * base));
                assertThat(inst.global("base")).isEqualTo(base);
            }
        }
        Imports smallTable = Imports.builder()
                .global(new HostGlobal("env", "base", ValueType.I32, 0, false))
                .global(new HostGlobal("env", "scale", ValueType.F64, 0, false))
                .table(new HostTable("env", "t", 3, -1))
                .build();
        assertThatThrownBy(() -> m.instantiate(smallTable, LIMITS))
                .isInstanceOf(WasmLinkException.class)
                .hasMessage("import env.t has the wrong type: the module expects table of funcref with at least 4"
                        + " elements, but the host offers a table of funcref with 3 elements that may grow to 1048576");
    }

    // ------------------------------------------------------------------ linking

    @Test
    void linkingWhatTheBindingCannotShareIsRefusedWithAReason() {
        WasmModule a = module("""
                (module
                  (global (export "g") (mut i32) (i32.const 1))
                  (table (export "t") 1 funcref)
                  (func (export "f")))
                """);
        try (WasmInstance one = a.instantiate(Imports.NONE, LIMITS);
             WasmInstance two = a.instantiate(Imports.NONE, LIMITS)) {
            Imports fromOne = Imports.builder().instance("a", one).build();
            assertThatThrownBy(() -> module("(module (import \"a\" \"g\" (global (mut i32))))").instantiate(fromOne, LIMITS))
                    .isInstanceOf(WasmLinkException.class)
                    .hasMessageStartingWith("import a.g: this engine cannot link a mutable global exported by another"
                            + " instance");
            assertThatThrownBy(() -> module("(module (import \"a\" \"t\" (table 1 funcref)))").instantiate(fromOne, LIMITS))
                    .isInstanceOf(WasmLinkException.class)
                    .hasMessageStartingWith("import a.t: this engine cannot link a table exported by another instance");
            Imports fromBoth = Imports.builder().instance("a", one).instance("b", two).build();
            assertThatThrownBy(() -> module("""
                    (module (import "a" "f" (func)) (import "b" "f" (func)))
                    """).instantiate(fromBoth, LIMITS))
                    .isInstanceOf(WasmLinkException.class)
                    .hasMessageContaining("different store");
        }
    }

    @Test
    void linkedInstancesShareAStoreAndOutliveEachOther() throws ReflectiveOperationException {
        int before = liveHostFunctions();
        AtomicLong ticks = new AtomicLong();
        WasmInstance a = module("""
                (module
                  (import "env" "tick" (func $tick))
                  (func (export "twice") (param i32) (result i32) call $tick local.get 0 i32.const 2 i32.mul))
                """).instantiate(Imports.of(List.of(host("tick", VOID, (m, x) -> {
                    ticks.incrementAndGet();
                    return new long[0];
                }))), LIMITS);
        WasmInstance b = module("""
                (module
                  (import "a" "twice" (func $twice (param i32) (result i32)))
                  (func (export "quad") (param i32) (result i32) local.get 0 call $twice call $twice))
                """).instantiate(Imports.builder().instance("a", a).build(), LIMITS);
        a.close();
        assertThatThrownBy(() -> a.call("twice", 1)).isInstanceOf(IllegalStateException.class);
        assertThat(b.call("quad", 3)).as("A's functions live on in the shared store").containsExactly(12);
        assertThat(ticks.get()).isEqualTo(2);
        assertThat(liveHostFunctions()).isEqualTo(before + 1);
        b.close();
        assertThat(liveHostFunctions()).as("the last instance out freed the store").isEqualTo(before);
    }

    // ------------------------------------------------------------------ native resources and threads

    @Test
    void closingDuringACallWaitsForTheCallNotTheCaller() throws Exception {
        int before = liveHostFunctions();
        WasmModule m = module(SPIN);
        WasmInstance inst = m.instantiate(Imports.of(List.of(host("tick", VOID, (mem, a) -> new long[0]))),
                new InstanceLimits(1 << 20, Duration.ofMillis(400), 0));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Throwable> spinning = pool.submit(() -> catchThrowable(() -> inst.call("spin")));
            Thread.sleep(100);
            long start = System.nanoTime();
            inst.close();
            assertThat((System.nanoTime() - start) / 1_000_000).as("close does not wait for the guest").isLessThan(200);
            assertThat(liveHostFunctions()).as("the store stays while the call runs").isEqualTo(before + 1);
            assertThat(spinning.get(10, TimeUnit.SECONDS)).isInstanceOf(WasmTimeoutException.class);
            assertThat(liveHostFunctions()).as("the call's end freed the store").isEqualTo(before);
            assertThatThrownBy(() -> inst.call("add", 1, 2)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(inst::memory).isInstanceOf(IllegalStateException.class);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void droppedInstancesAreFreedByTheCleaner() throws Exception {
        int before = liveHostFunctions();
        WasmModule m = module(SPIN);
        for (int i = 0; i < 20; i++) {
            WasmInstance dropped = m.instantiate(Imports.of(List.of(host("tick", VOID, (mem, a) -> new long[0]))), LIMITS);
            assertThat(dropped.call("add", i, 1)).containsExactly(i + 1);
        }
        assertThat(liveHostFunctions()).isEqualTo(before + 20);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (liveHostFunctions() > before && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(50);
        }
        assertThat(liveHostFunctions()).as("instances nobody closed are freed once unreachable").isEqualTo(before);
    }

    @Test
    void guestMemoryGivenToAHostFunctionOnlyLivesForTheCall() throws Exception {
        AtomicReference<GuestMemory> kept = new AtomicReference<>();
        AtomicReference<Throwable> fromOtherThread = new AtomicReference<>();
        WasmModule m = module("""
                (module
                  (import "env" "peek" (func $peek))
                  (memory (export "memory") 1)
                  (data (i32.const 0) "x")
                  (func (export "run") call $peek))
                """);
        HostFunction peek = host("peek", VOID, (memory, a) -> {
            assertThat(memory.read(0, 1)).containsExactly('x');
            kept.set(memory);
            Thread t = Thread.ofPlatform().start(() -> fromOtherThread.set(catchThrowable(() -> memory.read(0, 1))));
            try {
                t.join();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return new long[0];
        });
        try (WasmInstance inst = m.instantiate(Imports.of(List.of(peek)), LIMITS)) {
            inst.call("run");
            assertThat(fromOtherThread.get()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("on its own thread");
            assertThatThrownBy(() -> kept.get().read(0, 1)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("while it runs");
            assertThat(inst.memory().read(0, 1)).as("the instance's own view still works").containsExactly('x');
        }
    }

    @Test
    void aHostFunctionCallingBackIntoTheGuestKeepsTheOuterDeadline() {
        AtomicReference<WasmInstance> self = new AtomicReference<>();
        AtomicReference<Throwable> nested = new AtomicReference<>();
        AtomicLong nestedNanos = new AtomicLong();
        WasmModule m = module("""
                (module
                  (import "env" "back" (func $back (result i32)))
                  (func (export "outer") (result i32) (drop (call $back)) (loop $l (br $l)) i32.const 0)
                  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
                  (func (export "spin") (loop $l (br $l))))
                """);
        Duration limit = Duration.ofMillis(1500);
        HostFunction back = host("back", FunctionType.of(List.of(), List.of(ValueType.I32)), (memory, a) -> {
            long sum = self.get().call("add", 40, 2)[0];
            try {
                // Past the outer call's deadline before the nested call starts: the nested call
                // gets what is left of the outer call's time (nothing), not a timeout of its own.
                Thread.sleep(limit.toMillis() + 100);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            long start = System.nanoTime();
            nested.set(catchThrowable(() -> self.get().call("spin")));
            nestedNanos.set(System.nanoTime() - start);
            return new long[] {sum};
        });
        InstanceLimits limits = new InstanceLimits(1 << 20, limit, 0);
        try (WasmInstance inst = m.instantiate(Imports.of(List.of(back)), limits)) {
            self.set(inst);
            Throwable outer = catchThrowable(() -> inst.call("outer"));
            assertThat(nested.get()).isInstanceOf(WasmTimeoutException.class);
            assertThat(outer).as("the outer call's time is up, so its loop stops")
                    .isInstanceOf(WasmTimeoutException.class);
            // A deadline of its own can never fire before the whole limit has passed, so a nested
            // call stopped sooner than that was stopped by the outer deadline. The limit is long
            // enough that a busy machine delaying the epoch ticker does not blur the difference.
            assertThat(Duration.ofNanos(nestedNanos.get())).as("the nested call ran on the outer call's deadline")
                    .isLessThan(limit);
            assertThat(inst.call("add", 1, 2)).containsExactly(3);
        }
    }

    @Test
    void theTickerSleepsWhileNoTimedCallRuns() throws Exception {
        try (WasmInstance inst = module(SPIN).instantiate(Imports.of(List.of(host("tick", VOID, (m, a) -> new long[0]))),
                new InstanceLimits(1 << 20, Duration.ofMillis(50), 0))) {
            assertThatThrownBy(() -> inst.call("spin")).isInstanceOf(WasmTimeoutException.class);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (engine.ticker().threadState() != Thread.State.WAITING && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(engine.ticker().threadState()).as("parked without a deadline").isEqualTo(Thread.State.WAITING);
    }

    @Test
    void aClosedEngineRefusesWorkAndStopsItsTicker(@TempDir Path dataDir) throws Exception {
        WasmtimeEngine e = (WasmtimeEngine) new WasmtimeEngineProvider().create(ProviderContext.of(ProviderConfig.empty(), dataDir));
        byte[] spin = Wat.compile(SPIN);
        WasmModule m = e.compile(spin);
        WasmInstance inst = m.instantiate(Imports.of(List.of(host("tick", VOID, (x, a) -> new long[0]))), LIMITS);
        assertThat(inst.call("add", 2, 2)).containsExactly(4);
        e.close();
        e.close();
        assertThatThrownBy(() -> e.compile(spin)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> m.instantiate(Imports.NONE, LIMITS)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> inst.call("add", 2, 2)).isInstanceOf(IllegalStateException.class);
        inst.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!e.ticker().isStopped() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(e.ticker().isStopped()).isTrue();
    }

    @Test
    void manyThreadsCompileAndInstantiateAtOnce() throws Exception {
        byte[] bytes = Wat.compile(SPIN.replace("(func (export \"spin\")", "(func (export \"spin2\")"));
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<Long>> results = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                long n = i;
                results.add(pool.submit(() -> {
                    WasmModule m = engine.compile(bytes);
                    try (WasmInstance inst = m.instantiate(Imports.of(List.of(host("tick", VOID, (x, a) -> new long[0]))),
                            LIMITS)) {
                        return inst.call("add", n, n)[0];
                    }
                }));
            }
            for (int i = 0; i < results.size(); i++) {
                assertThat(results.get(i).get(60, TimeUnit.SECONDS)).isEqualTo(2L * i);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
