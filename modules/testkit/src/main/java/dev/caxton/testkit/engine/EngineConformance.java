package dev.caxton.testkit.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.ExportDescriptor;
import dev.caxton.spi.engine.ExternKind;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.HostGlobal;
import dev.caxton.spi.engine.HostMemory;
import dev.caxton.spi.engine.HostTable;
import dev.caxton.spi.engine.ImportDescriptor;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.LinkingEngine;
import dev.caxton.spi.engine.MemoryAccessException;
import dev.caxton.spi.engine.ValueType;
import dev.caxton.spi.engine.WasiConfig;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link WasmEngineProvider} must do, whoever wrote it. A provider's test extends this
 * class and says which provider (and, optionally, which configuration) to test:
 *
 * <pre>{@code
 * class MyEngineTest extends EngineConformance {
 *     protected WasmEngineProvider provider() { return new MyEngineProvider(); }
 * }
 * }</pre>
 *
 * <p>One engine is created per test class and shared by its tests, as the runtime shares one
 * engine between all agents; compiled modules are cached per class too, because compiling engines
 * pay most of their cost there. Every guest is a WAT module in this file, compiled with
 * {@link Wat#compile(String)} (binaries are cached across classes).
 *
 * <p>Covered: refusal of malformed and invalid bytes; import and export listings; argument and
 * result encoding of every number type, NaN payloads included; state kept across calls; host
 * functions with arguments, results and guest memory access, and the trap a bad guest pointer
 * causes; guest traps; execution timeouts (platform and virtual threads, no interrupt leaking into
 * the next call); stack exhaustion; the memory limit, both for growth and at instantiation; linking
 * errors; start functions; large memory transfers; many independent instances; concurrent use;
 * linking against other instances, host globals, memories and tables, and exported globals read by
 * name, for a {@link LinkingEngine} (an engine that is not one must refuse such imports with a
 * {@code WasmLinkException} naming the import); fuel, for engines that meter it; and snapshots of an instance's state (memory read into a caller's array, host-side
 * growth, mutable globals read from one instance and restored into another), for engines that
 * take them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
public abstract class EngineConformance {
    // Tests whose guest never ends unless the engine stops it run on a separate thread, so that an
    // engine that fails to stop it fails the test instead of hanging the build.


    /** The limits most tests instantiate with: 16 MiB, a 30 s safety timeout, no fuel limit. */
    protected static final InstanceLimits DEFAULT_LIMITS = new InstanceLimits(16L << 20, Duration.ofSeconds(30), 0);

    /** WAT text to binary, shared by every subclass in the JVM: wabt is slow on first use. */
    private static final Map<String, byte[]> BINARIES = new ConcurrentHashMap<>();

    private final Map<String, WasmModule> modules = new ConcurrentHashMap<>();

    /** The engine under test, created before the first test of the class and closed after the last. */
    protected WasmEngine engine;

    /**
     * The provider under test.
     *
     * @return the provider
     */
    protected abstract WasmEngineProvider provider();

    /**
     * The configuration the engine is created with; an empty section (every option at its default)
     * unless overridden.
     *
     * @return the provider's configuration section
     */
    protected ProviderConfig config() {
        return ProviderConfig.empty();
    }

    @BeforeAll
    void createEngine(@TempDir Path dataDir) {
        engine = provider().create(ProviderContext.of(config(), dataDir));
    }

    @AfterAll
    void closeEngine() {
        if (engine != null) {
            engine.close();
        }
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Compiles WAT to a binary module, once per text.
     *
     * @param wat the module text
     * @return the binary
     */
    protected static byte[] wasm(String wat) {
        return BINARIES.computeIfAbsent(wat, Wat::compile).clone();
    }

    /**
     * Compiles WAT with the engine under test, once per text and class.
     *
     * @param wat the module text
     * @return the compiled module
     */
    protected WasmModule module(String wat) {
        return modules.computeIfAbsent(wat, w -> engine.compile(wasm(w)));
    }

    /**
     * Instantiates WAT without imports under {@link #DEFAULT_LIMITS}.
     *
     * @param wat the module text
     * @return a new instance, which the caller closes
     */
    protected WasmInstance instantiate(String wat) {
        return module(wat).instantiate(Imports.NONE, DEFAULT_LIMITS);
    }

    /**
     * Limits with the given memory and timeout and no fuel limit.
     *
     * @param memoryBytes the memory limit
     * @param timeout     the execution timeout
     * @return the limits
     */
    protected static InstanceLimits limits(long memoryBytes, Duration timeout) {
        return new InstanceLimits(memoryBytes, timeout, 0);
    }

    /**
     * Limits with a fuel budget (and 1 MiB, a 30 s safety timeout).
     *
     * @param fuel the budget per call
     * @return the limits
     */
    protected static InstanceLimits withFuel(long fuel) {
        return new InstanceLimits(1 << 20, Duration.ofSeconds(30), fuel);
    }

    private static long f32(float f) {
        return Float.floatToRawIntBits(f);
    }

    private static long f64(double d) {
        return Double.doubleToRawLongBits(d);
    }

    private static FunctionType sig(List<ValueType> params, List<ValueType> results) {
        return FunctionType.of(params, results);
    }

    // ------------------------------------------------------------------ modules

    private static final String ARITH = """
            (module
              (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
              (func (export "add_i64") (param i64 i64) (result i64) local.get 0 local.get 1 i64.add)
              (func (export "add_f32") (param f32 f32) (result f32) local.get 0 local.get 1 f32.add)
              (func (export "mul_f64") (param f64 f64) (result f64) local.get 0 local.get 1 f64.mul)
              (func (export "id_i64") (param i64) (result i64) local.get 0)
              (func (export "id_f32") (param f32) (result f32) local.get 0)
              (func (export "id_f64") (param f64) (result f64) local.get 0)
              (func (export "i32_min") (result i32) i32.const 0x80000000)
              (func (export "minus_one") (result i32) i32.const -1)
              (func (export "neg_nan_f32") (result f32) f32.const -nan:0x400123)
              (func (export "nan_f64") (result f64) f64.const nan:0x8000000000abc)
              (func (export "pair") (param i32) (result i32 i64)
                local.get 0 local.get 0 i64.extend_i32_s i64.const 1 i64.add)
              (func (export "nothing")))
            """;

    private static final String COUNTER = """
            (module
              (global $count (mut i32) (i32.const 0))
              (memory (export "memory") 1)
              (func (export "inc") (result i32)
                (global.set $count (i32.add (global.get $count) (i32.const 1)))
                (global.get $count))
              (func (export "bump_mem") (result i32)
                (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
                (i32.load (i32.const 0)))
              (func (export "load8") (param i32) (result i32) local.get 0 i32.load8_u)
              (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
              (export "count" (global $count)))
            """;

    private static final String TRAPS = """
            (module
              (memory 1)
              (func (export "unreachable") unreachable)
              (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
              (func (export "load") (param i32) (result i32) local.get 0 i32.load)
              (func (export "ok") (result i32) i32.const 7))
            """;

    private static final String SPIN = """
            (module
              (func (export "spin_br") (loop $l (br $l)))
              (func (export "spin_br_if") (loop $l (br_if $l (i32.const 1))))
              (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
              (func (export "burn") (param i32) (result i32) (local $acc i32)
                (block $done
                  (loop $l
                    (br_if $done (i32.eqz (local.get 0)))
                    (local.set $acc (i32.add (local.get $acc) (local.get 0)))
                    (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
                    (br $l)))
                local.get $acc))
            """;

    /** Small functions whose exact fuel cost the fuel tests know; see {@link InstanceLimits#fuel()}. */
    private static final String FUEL_COSTS = """
            (module
              (type $r2 (func (result i32 i32)))
              (table funcref (elem $seven))
              (func $seven (result i32) i32.const 7)
              (func (export "nothing"))
              (func (export "const") (result i32) i32.const 1)
              (func (export "block") (result i32) (block (result i32) i32.const 1))
              (func (export "br_block") (result i32) (block (result i32) i32.const 1 br 0))
              (func (export "if_else") (param i32) (result i32)
                (if (result i32) (local.get 0) (then i32.const 1) (else i32.const 2)))
              (func (export "if") (param i32) (if (local.get 0) (then nop)))
              (func (export "call") (result i32) call $seven)
              (func (export "call_indirect") (result i32) (call_indirect (result i32) (i32.const 0)))
              (func (export "return") (result i32) i32.const 1 return)
              (func (export "br_function") (result i32) i32.const 1 br 0)
              (func (export "br_if_function") (result i32) i32.const 7 i32.const 1 br_if 0)
              (func (export "br_multi") (type $r2) i32.const 1 i32.const 2 br 0)
              (func (export "br_table") (param i32) (result i32)
                (block (block (br_table 0 1 (local.get 0))) (return (i32.const 1))) i32.const 2)
              (func (export "loop") (loop nop))
              (func (export "nested") (param i32) (result i32) (block (block (br_if 1 (local.get 0)))) i32.const 3))
            """;

    private static final String RECURSION = """
            (module
              (func $down (export "down") (param i32) (result i32)
                (call $down (i32.add (local.get 0) (i32.const 1))))
              (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
            """;

    private static final String GROW = """
            (module
              (memory (export "memory") 1)
              (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
              (func (export "pages") (result i32) memory.size)
              (func (export "store_at") (param i32 i32) local.get 0 local.get 1 i32.store))
            """;

    private static final String LOGGER = """
            (module
              (import "caxton" "log" (func $log (param i32 i32 i32)))
              (memory (export "memory") 1)
              (data (i32.const 16) "hello, host")
              (func (export "run") i32.const 2 i32.const 16 i32.const 11 call $log)
              (func (export "bad_pointer") i32.const 2 i32.const -16 i32.const 100 call $log)
              (func (export "bad_length") i32.const 2 i32.const 65530 i32.const 7 call $log))
            """;

    private static final HostFunction.Body IGNORE = (memory, args) -> new long[0];

    private static final FunctionType LOG_TYPE =
            sig(List.of(ValueType.I32, ValueType.I32, ValueType.I32), List.of());

    // ------------------------------------------------------------------ compile

    @Test
    void garbageBytesAreRefused() {
        byte[] garbage = "this is not a WebAssembly module".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> engine.compile(garbage))
                .isInstanceOf(WasmCompileException.class)
                .satisfies(e -> assertThat(e.getMessage()).isNotBlank());
    }

    @Test
    void emptyBytesAreRefused() {
        assertThatThrownBy(() -> engine.compile(new byte[0]))
                .isInstanceOf(WasmCompileException.class)
                .satisfies(e -> assertThat(e.getMessage()).isNotBlank());
    }

    @Test
    void truncatedModulesAreRefused() {
        byte[] whole = wasm(COUNTER);
        // Cuts inside sections only: a cut at a section boundary (or after the 8-byte header alone)
        // leaves a shorter valid module.
        List<Integer> boundaries = sectionBoundaries(whole);
        List<Integer> cuts = new ArrayList<>();
        for (int length : new int[] {9, 10, whole.length / 3, whole.length / 2, whole.length - 3, whole.length - 1}) {
            if (!boundaries.contains(length) && !cuts.contains(length)) {
                cuts.add(length);
            }
        }
        assertThat(cuts).hasSizeGreaterThanOrEqualTo(4);
        for (int length : cuts) {
            byte[] cut = Arrays.copyOf(whole, length);
            assertThatThrownBy(() -> engine.compile(cut))
                    .as("module cut to %d of %d bytes", length, whole.length)
                    .isInstanceOf(WasmCompileException.class);
        }
    }

    /** The offsets at which a section ends, read from the binary's section headers. */
    private static List<Integer> sectionBoundaries(byte[] module) {
        List<Integer> ends = new ArrayList<>();
        int pos = 8;
        ends.add(pos);
        while (pos < module.length) {
            pos++; // section id
            long size = 0;
            int shift = 0;
            int b;
            do {
                b = module[pos++] & 0xFF;
                size |= (long) (b & 0x7F) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            pos += (int) size;
            ends.add(pos);
        }
        return ends;
    }

    @Test
    void headerOnlyIsAnEmptyModule() {
        WasmModule empty = engine.compile(new byte[] {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00});
        assertThat(empty.imports()).isEmpty();
        assertThat(empty.exports()).isEmpty();
    }

    @Test
    void invalidModulesAreRefused() {
        // Hand-assembled, since wabt validates what it assembles: a function declared to return an
        // i32 whose body leaves an i64 (type mismatch).
        byte[] typeError = {
            0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,          // header
            0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,                // types: () -> (i32)
            0x03, 0x02, 0x01, 0x00,                                  // functions: one of type 0
            0x0a, 0x06, 0x01, 0x04, 0x00, 0x42, 0x00, 0x0b           // code: i64.const 0, end
        };
        assertThatThrownBy(() -> engine.compile(typeError))
                .isInstanceOf(WasmCompileException.class)
                .satisfies(e -> assertThat(e.getMessage()).isNotBlank());
    }

    @Test
    void modulesCompileConcurrently() throws Exception {
        byte[] bytes = wasm(ARITH);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Long>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> {
                    WasmModule m = engine.compile(bytes);
                    try (WasmInstance inst = m.instantiate(Imports.NONE, DEFAULT_LIMITS)) {
                        return inst.call("add", 40, 2)[0];
                    }
                }));
            }
            for (Future<Long> f : results) {
                assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(42L);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ shape

    @Test
    void importsAndExportsAreListedWithKindsAndSignatures() {
        WasmModule m = module("""
                (module
                  (import "env" "f" (func (param i32 i64) (result f32)))
                  (import "env" "mem" (memory 1))
                  (import "env" "tab" (table 1 funcref))
                  (import "env" "g" (global i32))
                  (func $run (param f64) (result i64 i32) i64.const 0 i32.const 0)
                  (global $answer i32 (i32.const 42))
                  (export "run" (func $run))
                  (export "memory" (memory 0))
                  (export "table" (table 0))
                  (export "answer" (global $answer))
                  (export "f_again" (func 0)))
                """);
        assertThat(m.imports()).containsExactly(
                new ImportDescriptor("env", "f", ExternKind.FUNCTION,
                        sig(List.of(ValueType.I32, ValueType.I64), List.of(ValueType.F32))),
                new ImportDescriptor("env", "mem", ExternKind.MEMORY, null),
                new ImportDescriptor("env", "tab", ExternKind.TABLE, null),
                new ImportDescriptor("env", "g", ExternKind.GLOBAL, null));
        assertThat(m.exports()).containsExactly(
                new ExportDescriptor("run", ExternKind.FUNCTION,
                        sig(List.of(ValueType.F64), List.of(ValueType.I64, ValueType.I32))),
                new ExportDescriptor("memory", ExternKind.MEMORY, null),
                new ExportDescriptor("table", ExternKind.TABLE, null),
                new ExportDescriptor("answer", ExternKind.GLOBAL, null),
                new ExportDescriptor("f_again", ExternKind.FUNCTION,
                        sig(List.of(ValueType.I32, ValueType.I64), List.of(ValueType.F32))));
        assertThat(m.export("answer")).map(ExportDescriptor::kind).contains(ExternKind.GLOBAL);
        assertThat(m.export("absent")).isEmpty();
    }

    @Test
    void instancesDescribeTheirExportedFunctions() {
        try (WasmInstance inst = instantiate(ARITH)) {
            assertThat(inst.exportedFunction("add"))
                    .contains(sig(List.of(ValueType.I32, ValueType.I32), List.of(ValueType.I32)));
            assertThat(inst.exportedFunction("nothing")).contains(sig(List.of(), List.of()));
            assertThat(inst.exportedFunction("absent")).isEmpty();
        }
    }

    // ------------------------------------------------------------------ calls and values

    @Test
    void addsTwoI32s() {
        try (WasmInstance inst = instantiate(ARITH)) {
            assertThat(inst.call("add", 2, 3)).containsExactly(5L);
            assertThat(inst.call("add", -7, 2)).as("i32 results are sign-extended").containsExactly(-5L);
            assertThat(inst.call("add", 0xFFFF_FFFFL, 1)).as("only the low 32 bits of an i32 count").containsExactly(0L);
            assertThat(inst.call("add", Integer.MAX_VALUE, 1)).as("wraps").containsExactly((long) Integer.MIN_VALUE);
            assertThat(inst.call("i32_min")).containsExactly((long) Integer.MIN_VALUE);
            assertThat(inst.call("minus_one")).containsExactly(-1L);
            assertThat(inst.call("nothing")).isEmpty();
        }
    }

    @Test
    void i64AndFloatValuesCrossExactly() {
        try (WasmInstance inst = instantiate(ARITH)) {
            assertThat(inst.call("add_i64", Long.MAX_VALUE, 1)).containsExactly(Long.MIN_VALUE);
            assertThat(inst.call("id_i64", 0x0123_4567_89AB_CDEFL)).containsExactly(0x0123_4567_89AB_CDEFL);
            assertThat(inst.call("add_f32", f32(1.5f), f32(2.25f))).containsExactly(f32(3.75f));
            assertThat(inst.call("add_f32", f32(-1.5f), f32(0.25f)))
                    .as("f32 results are the raw bits, widened like an int").containsExactly(f32(-1.25f));
            assertThat(inst.call("mul_f64", f64(-2.5), f64(4.0))).containsExactly(f64(-10.0));
            assertThat(inst.call("id_f64", f64(Double.MIN_VALUE))).containsExactly(f64(Double.MIN_VALUE));
            assertThat(inst.call("pair", -3)).containsExactly(-3L, -2L);
        }
    }

    @Test
    void nanPayloadsSurvive() {
        try (WasmInstance inst = instantiate(ARITH)) {
            long quietNanF32 = 0x7FC0_0001;
            // Negative f32 bit patterns are negative ints, widened with their sign like any int.
            long negativeNanF32 = 0xFFC0_0ABC;
            long nanF64 = 0x7FF8_0000_0000_0001L;
            long negativeNanF64 = 0xFFF8_0000_0000_0ABCL;
            assertThat(inst.call("id_f32", quietNanF32)).containsExactly(quietNanF32);
            assertThat(inst.call("id_f32", negativeNanF32)).containsExactly(negativeNanF32);
            assertThat(inst.call("id_f64", nanF64)).containsExactly(nanF64);
            assertThat(inst.call("id_f64", negativeNanF64)).containsExactly(negativeNanF64);
            assertThat(inst.call("neg_nan_f32")).containsExactly((long) 0xFFC0_0123);
            assertThat(inst.call("nan_f64")).containsExactly(0x7FF8_0000_0000_0ABCL);
        }
    }

    @Test
    void badCallsAreIllegalArguments() {
        try (WasmInstance inst = instantiate(ARITH)) {
            assertThatThrownBy(() -> inst.call("absent")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> inst.call("add", 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> inst.call("add", 1, 2, 3)).isInstanceOf(IllegalArgumentException.class);
            if (linking()) {
                assertThatThrownBy(() -> inst.global("absent")).isInstanceOf(IllegalArgumentException.class);
            }
            assertThatThrownBy(inst::memory).as("no memory exported").isInstanceOf(IllegalStateException.class);
            assertThat(inst.call("add", 1, 2)).as("still usable").containsExactly(3L);
        }
    }

    @Test
    void stateSurvivesAcrossCalls() {
        try (WasmInstance inst = instantiate(COUNTER)) {
            assertThat(inst.call("inc")).containsExactly(1L);
            assertThat(inst.call("inc")).containsExactly(2L);
            assertThat(inst.call("inc")).containsExactly(3L);
            if (linking()) {
                assertThat(inst.global("count")).isEqualTo(3L);
            }
            assertThat(inst.call("bump_mem")).containsExactly(1L);
            assertThat(inst.call("bump_mem")).containsExactly(2L);
            assertThat(inst.memory().read(0, 4)).containsExactly(2, 0, 0, 0);
        }
    }

    @Test
    void closedInstancesRunNothing() {
        WasmInstance inst = instantiate(COUNTER);
        assertThat(inst.call("inc")).containsExactly(1L);
        inst.close();
        assertThatThrownBy(() -> inst.call("inc")).isInstanceOf(RuntimeException.class);
    }

    // ------------------------------------------------------------------ host functions

    @Test
    void hostFunctionsReceiveArgumentsAndReturnResults() {
        AtomicReference<long[]> seen = new AtomicReference<>();
        AtomicReference<Long> memorySize = new AtomicReference<>();
        HostFunction combine = new HostFunction("env", "combine",
                sig(List.of(ValueType.I32, ValueType.I64, ValueType.F32, ValueType.F64), List.of(ValueType.I64)),
                (memory, args) -> {
                    seen.set(args.clone());
                    memorySize.set(memory.size());
                    return new long[] {1_234_567_890_123L};
                });
        WasmModule m = module("""
                (module
                  (import "env" "combine" (func $combine (param i32 i64 f32 f64) (result i64)))
                  (func (export "run") (result i64)
                    i32.const -1 i64.const 0x100000000 f32.const 1.5 f64.const -2.25 call $combine)
                  (func (export "twice") (result i64)
                    i32.const 1 i64.const 2 f32.const 3 f64.const 4 call $combine
                    i32.const 1 i64.const 2 f32.const 3 f64.const 4 call $combine
                    i64.add))
                """);
        try (WasmInstance inst = m.instantiate(Imports.of(List.of(combine)), DEFAULT_LIMITS)) {
            assertThat(inst.call("run")).containsExactly(1_234_567_890_123L);
            assertThat(seen.get()).containsExactly(-1L, 0x1_0000_0000L, f32(1.5f), f64(-2.25));
            assertThat(memorySize.get()).as("a caller without memory gets an empty one").isZero();
            assertThat(inst.call("twice")).containsExactly(2 * 1_234_567_890_123L);
        }
    }

    @Test
    void aCallerWithoutMemoryGetsAMemoryThatRefusesAccess() {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        HostFunction peek = new HostFunction("env", "peek", sig(List.of(), List.of()), (memory, args) -> {
            try {
                memory.read(0, 1);
            } catch (RuntimeException e) {
                thrown.set(e);
            }
            return new long[0];
        });
        WasmModule m = module("""
                (module
                  (import "env" "peek" (func $peek))
                  (func (export "run") call $peek))
                """);
        try (WasmInstance inst = m.instantiate(Imports.of(List.of(peek)), DEFAULT_LIMITS)) {
            inst.call("run");
            assertThat(thrown.get()).isInstanceOf(MemoryAccessException.class);
        }
    }

    @Test
    void hostFunctionsReadGuestMemory() {
        List<String> lines = new CopyOnWriteArrayList<>();
        HostFunction log = new HostFunction("caxton", "log", LOG_TYPE, (memory, args) -> {
            long ptr = Integer.toUnsignedLong((int) args[1]);
            int len = (int) args[2];
            lines.add(args[0] + ":" + new String(memory.read(ptr, len), StandardCharsets.UTF_8));
            return new long[0];
        });
        try (WasmInstance inst = module(LOGGER).instantiate(Imports.of(List.of(log)), DEFAULT_LIMITS)) {
            inst.call("run");
            inst.call("run");
            assertThat(lines).containsExactly("2:hello, host", "2:hello, host");
        }
    }

    @Test
    void aBadGuestPointerTrapsWithTheHostsMemoryAccessException() {
        HostFunction log = new HostFunction("caxton", "log", LOG_TYPE, (memory, args) -> {
            memory.read(Integer.toUnsignedLong((int) args[1]), (int) args[2]);
            return new long[0];
        });
        Imports imports = Imports.of(List.of(log));
        WasmModule m = module(LOGGER);
        for (String export : List.of("bad_pointer", "bad_length")) {
            try (WasmInstance inst = m.instantiate(imports, DEFAULT_LIMITS)) {
                WasmTrapException e = catchThrowableOfType(WasmTrapException.class, () -> inst.call(export));
                assertThat(e).as(export).isNotNull();
                assertThat(e.getCause()).as(export).isInstanceOf(MemoryAccessException.class);
            }
        }
        try (WasmInstance inst = m.instantiate(imports, DEFAULT_LIMITS)) {
            assertThat(inst.call("run")).as("the engine stays usable").isEmpty();
        }
    }

    @Test
    void anyHostExceptionBecomesTheTrapsCause() {
        IllegalStateException boom = new IllegalStateException("host gave up");
        HostFunction failing = new HostFunction("env", "fail", sig(List.of(), List.of(ValueType.I32)),
                (memory, args) -> {
                    throw boom;
                });
        WasmModule m = module("""
                (module
                  (import "env" "fail" (func $fail (result i32)))
                  (func (export "run") (result i32) call $fail)
                  (func (export "ok") (result i32) i32.const 1))
                """);
        try (WasmInstance inst = m.instantiate(Imports.of(List.of(failing)), DEFAULT_LIMITS)) {
            WasmTrapException e = catchThrowableOfType(WasmTrapException.class, () -> inst.call("run"));
            assertThat(e).isNotNull();
            assertThat(e.getCause()).isSameAs(boom);
        }
        try (WasmInstance inst = m.instantiate(Imports.of(List.of(failing)), DEFAULT_LIMITS)) {
            assertThat(inst.call("ok")).containsExactly(1L);
        }
    }

    // ------------------------------------------------------------------ traps

    @Test
    void guestTrapsAreTrapExceptions() {
        try (WasmInstance inst = instantiate(TRAPS)) {
            assertThatThrownBy(() -> inst.call("unreachable"))
                    .isInstanceOf(WasmTrapException.class)
                    .hasMessageContainingAll("unreachable");
        }
        try (WasmInstance inst = instantiate(TRAPS)) {
            assertThatThrownBy(() -> inst.call("div", 1, 0))
                    .isInstanceOf(WasmTrapException.class)
                    .satisfies(e -> assertThat(e.getMessage()).containsIgnoringCase("divide by zero"));
        }
        try (WasmInstance inst = instantiate(TRAPS)) {
            assertThatThrownBy(() -> inst.call("div", Integer.MIN_VALUE, -1))
                    .isInstanceOf(WasmTrapException.class)
                    .satisfies(e -> assertThat(e.getMessage()).containsIgnoringCase("overflow"));
        }
        try (WasmInstance inst = instantiate(TRAPS)) {
            assertThatThrownBy(() -> inst.call("load", 65534))
                    .isInstanceOf(WasmTrapException.class)
                    .satisfies(e -> assertThat(e.getMessage()).containsIgnoringCase("out of bounds"));
        }
        try (WasmInstance inst = instantiate(TRAPS)) {
            assertThat(inst.call("ok")).as("a fresh instance is fine").containsExactly(7L);
        }
    }

    @Test
    void infiniteRecursionTrapsAndTheThreadLivesOn() {
        try (WasmInstance inst = instantiate(RECURSION)) {
            assertThatThrownBy(() -> inst.call("down", 0))
                    .isInstanceOf(WasmTrapException.class)
                    .satisfies(e -> assertThat(e.getMessage()).containsIgnoringCase("stack"));
        }
        try (WasmInstance inst = instantiate(RECURSION)) {
            assertThat(inst.call("add", 1, 2)).containsExactly(3L);
        }
    }

    @Test
    void theStartFunctionRunsAtInstantiation() {
        try (WasmInstance inst = instantiate("""
                (module
                  (global $g (mut i32) (i32.const 0))
                  (func $init (global.set $g (i32.const 7)))
                  (func (export "get_g") (result i32) global.get $g)
                  (start $init)
                  (export "g" (global $g)))
                """)) {
            assertThat(inst.call("get_g")).containsExactly(7L);
            if (linking()) {
                assertThat(inst.global("g")).isEqualTo(7L);
            }
        }
    }

    @Test
    void aTrappingStartFunctionFailsInstantiation() {
        WasmModule m = module("""
                (module
                  (func $init unreachable)
                  (start $init))
                """);
        assertThatThrownBy(() -> m.instantiate(Imports.NONE, DEFAULT_LIMITS)).isInstanceOf(WasmTrapException.class);
    }

    // ------------------------------------------------------------------ timeouts

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aStartFunctionThatNeverEndsTimesOut() {
        assumeTimeouts();
        WasmModule m = module("""
                (module
                  (func $init (loop $l (br_if $l (i32.const 1))))
                  (start $init))
                """);
        assertThatThrownBy(() -> m.instantiate(Imports.NONE, limits(1 << 20, Duration.ofMillis(200))))
                .isInstanceOf(WasmTimeoutException.class);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }


    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void infiniteLoopsTimeOutAndTheThreadStaysClean() {
        assumeTimeouts();
        InstanceLimits limits = limits(1 << 20, Duration.ofMillis(200));
        for (String loop : List.of("spin_br", "spin_br_if")) {
            try (WasmInstance inst = module(SPIN).instantiate(Imports.NONE, limits)) {
                long start = System.nanoTime();
                assertThatThrownBy(() -> inst.call(loop)).as(loop).isInstanceOf(WasmTimeoutException.class);
                long elapsedMs = (System.nanoTime() - start) / 1_000_000;
                assertThat(elapsedMs).as("%s stopped promptly", loop).isLessThan(5_000);
                assertThat(Thread.currentThread().isInterrupted()).as("no interrupt leaks to the caller").isFalse();
            }
            try (WasmInstance fresh = module(SPIN).instantiate(Imports.NONE, limits)) {
                assertThat(fresh.call("add", 20, 22)).as("the same thread calls again at once").containsExactly(42L);
                assertThat(fresh.call("burn", 1000)).containsExactly(500_500L);
            }
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aDeadlineFiringAroundCompletionIsHarmless() {
        assumeTimeouts();
        // Calls that take about as long as their timeout: each either returns the right result or
        // times out, and no interrupt is ever left behind for the next call.
        int n = calibrateBurn(Duration.ofMillis(2));
        long expected = (long) n * (n + 1) / 2;
        int expectedI32 = (int) expected;
        InstanceLimits tight = limits(1 << 20, Duration.ofMillis(2));
        int timeouts = 0;
        for (int i = 0; i < 100; i++) {
            try (WasmInstance inst = module(SPIN).instantiate(Imports.NONE, tight)) {
                try {
                    assertThat(inst.call("burn", n)).containsExactly((long) expectedI32);
                } catch (WasmTimeoutException e) {
                    timeouts++;
                }
                assertThat(Thread.currentThread().isInterrupted()).as("call %d left an interrupt", i).isFalse();
            }
        }
        try (WasmInstance inst = module(SPIN).instantiate(Imports.NONE, DEFAULT_LIMITS)) {
            assertThat(inst.call("burn", n)).as("after %d timeouts", timeouts).containsExactly((long) expectedI32);
        }
    }

    /** Finds a loop count that takes roughly the given time on this engine and machine. */
    private int calibrateBurn(Duration target) {
        try (WasmInstance inst = module(SPIN).instantiate(Imports.NONE, DEFAULT_LIMITS)) {
            int n = 1_000;
            for (int round = 0; round < 30; round++) {
                long start = System.nanoTime();
                inst.call("burn", n);
                long took = System.nanoTime() - start;
                if (took >= target.toNanos() || n >= 1 << 28) {
                    break;
                }
                n *= 2;
            }
            return n;
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void virtualThreadsTimeOutToo() throws Exception {
        assumeTimeouts();
        InstanceLimits limits = limits(1 << 20, Duration.ofMillis(200));
        WasmModule spin = module(SPIN);
        WasmModule recursion = module(RECURSION);
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            threads.add(Thread.ofVirtual().name("engine-conformance-", i).start(() -> {
                try {
                    try (WasmInstance inst = spin.instantiate(Imports.NONE, limits)) {
                        assertThatThrownBy(() -> inst.call("spin_br_if")).isInstanceOf(WasmTimeoutException.class);
                    }
                    assertThat(Thread.currentThread().isInterrupted()).isFalse();
                    try (WasmInstance inst = spin.instantiate(Imports.NONE, limits)) {
                        assertThat(inst.call("add", 1, 2)).containsExactly(3L);
                    }
                    try (WasmInstance inst = recursion.instantiate(Imports.NONE, limits)) {
                        assertThatThrownBy(() -> inst.call("down", 0)).isInstanceOf(WasmTrapException.class);
                    }
                    try (WasmInstance inst = recursion.instantiate(Imports.NONE, limits)) {
                        assertThat(inst.call("add", 2, 2)).containsExactly(4L);
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        for (Thread t : threads) {
            assertThat(t.join(Duration.ofSeconds(20))).as("%s finished", t.getName()).isTrue();
        }
        assertThat(failures).isEmpty();
    }

    // ------------------------------------------------------------------ memory limits

    @Test
    void growthPastTheLimitReturnsMinusOne() {
        InstanceLimits twoPages = limits(2 * InstanceLimits.PAGE_SIZE, Duration.ofSeconds(30));
        try (WasmInstance inst = module(GROW).instantiate(Imports.NONE, twoPages)) {
            assertThat(inst.call("grow", 1)).as("within the limit").containsExactly(1L);
            assertThat(inst.call("grow", 1)).as("past the limit").containsExactly(-1L);
            assertThat(inst.call("grow", 0x10000)).containsExactly(-1L);
            assertThat(inst.call("pages")).containsExactly(2L);
            assertThat(inst.memory().size()).isEqualTo(2 * InstanceLimits.PAGE_SIZE);
            inst.call("store_at", 2 * InstanceLimits.PAGE_SIZE - 4, 99);
            assertThat(inst.memory().read(2 * InstanceLimits.PAGE_SIZE - 4, 4)).containsExactly(99, 0, 0, 0);
        }
        InstanceLimits notAPageMultiple = limits(3 * InstanceLimits.PAGE_SIZE - 1, Duration.ofSeconds(30));
        try (WasmInstance inst = module(GROW).instantiate(Imports.NONE, notAPageMultiple)) {
            assertThat(inst.call("grow", 2)).as("3 pages would pass the limit").containsExactly(-1L);
            assertThat(inst.call("grow", 1)).containsExactly(1L);
        }
    }

    @Test
    void tablesStartingPastTheAllowanceAreRefused() {
        // 64 KiB allows a quarter of itself in tables at 8 bytes an element: 2,048 elements.
        InstanceLimits onePage = limits(InstanceLimits.PAGE_SIZE, Duration.ofSeconds(30));
        assertThat(onePage.maxTableElements()).isEqualTo(2048);
        WasmModule big = module("""
                (module
                  (table 100000 funcref))
                """);
        assertThatThrownBy(() -> big.instantiate(Imports.NONE, onePage))
                .isInstanceOf(WasmLinkException.class)
                .hasMessageContaining("100000 elements")
                .hasMessageContaining("2048");
        WasmModule two = module("""
                (module
                  (table 1500 funcref)
                  (table 1000 externref))
                """);
        assertThatThrownBy(() -> two.instantiate(Imports.NONE, onePage))
                .as("the tables of a module count together")
                .isInstanceOf(WasmLinkException.class)
                .hasMessageContaining("2500 elements");
        // A limit whose quarter holds the table lets the same module in.
        try (WasmInstance inst = big.instantiate(Imports.NONE, limits(4L << 20, Duration.ofSeconds(30)))) {
            assertThat(inst).isNotNull();
        }
    }

    @Test
    void tableGrowthPastTheAllowanceReturnsMinusOne() {
        InstanceLimits onePage = limits(InstanceLimits.PAGE_SIZE, Duration.ofSeconds(30));
        try (WasmInstance inst = module("""
                (module
                  (table 2 funcref)
                  (func (export "grow") (param i32) (result i32) ref.null func local.get 0 table.grow 0)
                  (func (export "size") (result i32) table.size 0))
                """).instantiate(Imports.NONE, onePage)) {
            assertThat(inst.call("grow", 2046)).as("up to the allowance").containsExactly(2L);
            assertThat(inst.call("grow", 1)).as("past the allowance").containsExactly(-1L);
            assertThat(inst.call("grow", 10_000_000)).containsExactly(-1L);
            assertThat(inst.call("size")).containsExactly(2048L);
        }
    }

    @Test
    void theModulesOwnMaximumStillHolds() {
        try (WasmInstance inst = instantiate("""
                (module
                  (memory 1 3)
                  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))
                """)) {
            assertThat(inst.call("grow", 2)).containsExactly(1L);
            assertThat(inst.call("grow", 1)).containsExactly(-1L);
        }
    }

    @Test
    void aModuleStartingAboveTheLimitIsRefused() {
        WasmModule m = module("""
                (module
                  (memory (export "memory") 4))
                """);
        assertThatThrownBy(() -> m.instantiate(Imports.NONE, limits(2 * InstanceLimits.PAGE_SIZE, Duration.ZERO)))
                .isInstanceOf(WasmException.class)
                .satisfies(e -> assertThat(e.getMessage()).containsIgnoringCase("memory"));
        try (WasmInstance inst = m.instantiate(Imports.NONE, limits(4 * InstanceLimits.PAGE_SIZE, Duration.ZERO))) {
            assertThat(inst.memory().size()).isEqualTo(4 * InstanceLimits.PAGE_SIZE);
        }
    }

    @Test
    void guestMemoryMovesAMegabyteBothWays() {
        byte[] data = new byte[1 << 20];
        new Random(42).nextBytes(data);
        try (WasmInstance inst = instantiate(COUNTER.replace("(memory (export \"memory\") 1)",
                "(memory (export \"memory\") 32)"))) {
            GuestMemory memory = inst.memory();
            assertThat(memory.size()).isEqualTo(32 * InstanceLimits.PAGE_SIZE);
            memory.write(4096, data);
            assertThat(memory.read(4096, data.length)).isEqualTo(data);
            for (int offset : new int[] {0, 1, 65535, 65536, data.length - 1}) {
                assertThat(inst.call("load8", 4096 + offset)).as("guest sees byte %d", offset)
                        .containsExactly((long) (data[offset] & 0xFF));
            }
        }
    }

    @Test
    void guestMemoryChecksEveryRange() {
        try (WasmInstance inst = instantiate(COUNTER)) {
            GuestMemory memory = inst.memory();
            long size = memory.size();
            memory.write(size - 4, new byte[] {1, 2, 3, 4});
            assertThat(memory.read(size - 4, 4)).containsExactly(1, 2, 3, 4);
            assertThat(memory.read(size, 0)).isEmpty();
            assertThatThrownBy(() -> memory.write(size - 2, new byte[] {9, 9, 9, 9}))
                    .isInstanceOf(MemoryAccessException.class);
            assertThat(memory.read(size - 4, 4)).as("a refused write touches nothing").containsExactly(1, 2, 3, 4);
            assertThatThrownBy(() -> memory.read(size - 3, 4)).isInstanceOf(MemoryAccessException.class);
            assertThatThrownBy(() -> memory.read(-1, 1)).isInstanceOf(MemoryAccessException.class);
            assertThatThrownBy(() -> memory.read(0, -1)).isInstanceOf(MemoryAccessException.class);
            assertThatThrownBy(() -> memory.read(Long.MAX_VALUE, 2)).isInstanceOf(MemoryAccessException.class);
            assertThatThrownBy(() -> memory.read(0xFFFF_FFF0L, 100)).isInstanceOf(MemoryAccessException.class);
            assertThatThrownBy(() -> memory.checkBounds(size - 1, 2)).isInstanceOf(MemoryAccessException.class);
        }
    }

    // ------------------------------------------------------------------ linking

    /** Whether the engine links more than host functions (an optional interface since SPI 1.2). */
    private boolean linking() {
        return engine instanceof LinkingEngine;
    }

    private void assumeLinking() {
        assumeThat(linking()).as("the engine is a LinkingEngine").isTrue();
    }

    /** COUNTER's count: the exported global where the engine reads globals, else one more {@code inc} less one. */
    private long count(WasmInstance inst) {
        return linking() ? inst.global("count") : inst.call("inc")[0] - 1;
    }

    @Test
    void anEngineThatDoesNotLinkRefusesAllButHostFunctionsNamingTheImport() {
        assumeThat(linking()).as("the engine links host functions only").isFalse();
        WasmModule m = module("""
                (module
                  (import "env" "base" (global $base i32))
                  (func (export "get") (result i32) global.get $base))
                """);
        Imports global = Imports.builder().global(new HostGlobal("env", "base", ValueType.I32, 1, false)).build();
        assertThatThrownBy(() -> m.instantiate(global, DEFAULT_LIMITS))
                .isInstanceOf(WasmLinkException.class)
                .hasMessageContaining("env.base");
        try (WasmInstance inst = instantiate(COUNTER)) {
            assertThatThrownBy(() -> inst.global("count")).isInstanceOf(UnsupportedOperationException.class);
        }
    }

    @Test
    void aMissingImportIsNamed() {
        WasmModule m = module("""
                (module
                  (import "env" "missing_fn" (func (param i32) (result i32))))
                """);
        assertThatThrownBy(() -> m.instantiate(Imports.NONE, DEFAULT_LIMITS))
                .isInstanceOf(WasmLinkException.class)
                .hasMessageContaining("env.missing_fn");
        HostFunction other = new HostFunction("env", "other", sig(List.of(), List.of()), IGNORE);
        assertThatThrownBy(() -> m.instantiate(Imports.of(List.of(other)), DEFAULT_LIMITS))
                .isInstanceOf(WasmLinkException.class)
                .hasMessageContaining("env.missing_fn");
    }

    @Test
    void anImportOfTheWrongTypeIsNamed() {
        WasmModule m = module("""
                (module
                  (import "env" "f" (func (param i32) (result i32))))
                """);
        HostFunction wrong = new HostFunction("env", "f", sig(List.of(ValueType.I64), List.of()), IGNORE);
        assertThatThrownBy(() -> m.instantiate(Imports.of(List.of(wrong)), DEFAULT_LIMITS))
                .isInstanceOf(WasmLinkException.class)
                .hasMessageContaining("env.f");
        Imports global = Imports.builder().global(new HostGlobal("env", "f", ValueType.I32, 1, false)).build();
        assertThatThrownBy(() -> m.instantiate(global, DEFAULT_LIMITS))
                .as("a global where a function is expected")
                .isInstanceOf(WasmLinkException.class)
                .hasMessageContaining("env.f");
    }

    @Test
    void hostGlobalsAreReadByTheGuest() {
        assumeLinking();
        WasmModule m = module("""
                (module
                  (import "env" "base" (global $base i32))
                  (import "env" "big" (global $big i64))
                  (import "env" "ratio" (global $ratio f64))
                  (import "env" "counter" (global $counter (mut i32)))
                  (func (export "base") (result i32) global.get $base)
                  (func (export "big") (result i64) global.get $big)
                  (func (export "ratio") (result f64) global.get $ratio)
                  (func (export "bump") (result i32)
                    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
                    global.get $counter)
                  (export "counter" (global $counter)))
                """);
        Imports imports = Imports.builder()
                .global(new HostGlobal("env", "base", ValueType.I32, -42, false))
                .global(new HostGlobal("env", "big", ValueType.I64, Long.MIN_VALUE, false))
                .global(new HostGlobal("env", "ratio", ValueType.F64, f64(2.5), false))
                .global(new HostGlobal("env", "counter", ValueType.I32, 7, true))
                .build();
        try (WasmInstance inst = m.instantiate(imports, DEFAULT_LIMITS)) {
            assertThat(inst.call("base")).containsExactly(-42L);
            assertThat(inst.call("big")).containsExactly(Long.MIN_VALUE);
            assertThat(inst.call("ratio")).containsExactly(f64(2.5));
            assertThat(inst.call("bump")).containsExactly(8L);
            assertThat(inst.global("counter")).isEqualTo(8L);
        }
        Imports mutableMismatch = Imports.builder()
                .global(new HostGlobal("env", "base", ValueType.I32, 1, true))
                .global(new HostGlobal("env", "big", ValueType.I64, 1, false))
                .global(new HostGlobal("env", "ratio", ValueType.F64, 1, false))
                .global(new HostGlobal("env", "counter", ValueType.I32, 7, true))
                .build();
        assertThatThrownBy(() -> m.instantiate(mutableMismatch, DEFAULT_LIMITS))
                .as("a mutable global where a constant one is expected")
                .isInstanceOf(WasmLinkException.class)
                .hasMessageContaining("env.base");
    }

    @Test
    void hostMemoriesAndTablesCanBeImported() {
        assumeLinking();
        WasmModule m = module("""
                (module
                  (import "env" "memory" (memory 1 2))
                  (import "env" "table" (table 2 funcref))
                  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
                  (func (export "table_size") (result i32) table.size 0)
                  (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store8)
                  (export "memory" (memory 0)))
                """);
        Imports imports = Imports.builder()
                .memory(new HostMemory("env", "memory", 1, 2))
                .table(new HostTable("env", "table", 2, 10))
                .build();
        try (WasmInstance inst = m.instantiate(imports, DEFAULT_LIMITS)) {
            assertThat(inst.memory().size()).isEqualTo(InstanceLimits.PAGE_SIZE);
            inst.call("store", 5, 200);
            assertThat(inst.memory().read(5, 1)).containsExactly((byte) 200);
            assertThat(inst.call("grow", 1)).containsExactly(1L);
            assertThat(inst.call("grow", 1)).as("the host memory's maximum").containsExactly(-1L);
            assertThat(inst.call("table_size")).containsExactly(2L);
        }
        Imports tooSmall = Imports.builder()
                .memory(new HostMemory("env", "memory", 0, 2))
                .table(new HostTable("env", "table", 2, 10))
                .build();
        assertThatThrownBy(() -> m.instantiate(tooSmall, DEFAULT_LIMITS))
                .isInstanceOf(WasmLinkException.class)
                .hasMessageContaining("env.memory");
    }

    @Test
    void modulesLinkAgainstOtherInstances() {
        assumeLinking();
        WasmModule a = module("""
                (module
                  (memory (export "mem") 1)
                  (global (export "base") i32 (i32.const 100))
                  (func (export "double") (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
                  (func (export "peek") (param i32) (result i32) local.get 0 i32.load8_u))
                """);
        WasmModule b = module("""
                (module
                  (import "a" "double" (func $double (param i32) (result i32)))
                  (import "a" "mem" (memory 1))
                  (import "a" "base" (global $base i32))
                  (func (export "quad") (param i32) (result i32) local.get 0 call $double call $double)
                  (func (export "poke") (param i32 i32) global.get $base local.get 0 i32.add local.get 1 i32.store8))
                """);
        try (WasmInstance instA = a.instantiate(Imports.NONE, DEFAULT_LIMITS);
             WasmInstance instB = b.instantiate(Imports.builder().instance("a", instA).build(), DEFAULT_LIMITS)) {
            assertThat(instB.call("quad", 5)).containsExactly(20L);
            instB.call("poke", 3, 77);
            assertThat(instA.call("peek", 103)).as("B wrote into A's memory").containsExactly(77L);
        }
        WasmModule c = module("""
                (module
                  (import "a" "nothing_here" (func)))
                """);
        try (WasmInstance instA = a.instantiate(Imports.NONE, DEFAULT_LIMITS)) {
            assertThatThrownBy(() -> c.instantiate(Imports.builder().instance("a", instA).build(), DEFAULT_LIMITS))
                    .isInstanceOf(WasmLinkException.class)
                    .hasMessageContaining("a.nothing_here");
        }
    }

    // ------------------------------------------------------------------ scale and threads

    @Test
    void manyInstancesOfOneModuleAreIndependent() {
        WasmModule m = module(COUNTER);
        List<WasmInstance> instances = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                instances.add(m.instantiate(Imports.NONE, DEFAULT_LIMITS));
            }
            for (int i = 0; i < instances.size(); i++) {
                for (int k = 0; k <= i % 7; k++) {
                    instances.get(i).call("inc");
                }
            }
            instances.get(0).memory().write(100, new byte[] {42});
            for (int i = 0; i < instances.size(); i++) {
                assertThat(count(instances.get(i))).as("instance %d", i).isEqualTo(i % 7 + 1);
                assertThat(instances.get(i).call("load8", 100)).containsExactly(i == 0 ? 42L : 0L);
            }
        } finally {
            instances.forEach(WasmInstance::close);
        }
    }

    @Test
    void separateInstancesRunConcurrently() throws Exception {
        WasmModule m = module(COUNTER);
        int threads = 8;
        int calls = 2_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Callable<Long>> tasks = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int seed = t;
                tasks.add(() -> {
                    try (WasmInstance inst = m.instantiate(Imports.NONE, DEFAULT_LIMITS)) {
                        for (int i = 0; i < calls; i++) {
                            long sum = inst.call("add", seed, i)[0];
                            if (sum != seed + i) {
                                throw new AssertionError("add(" + seed + ", " + i + ") = " + sum);
                            }
                            inst.call("inc");
                        }
                        return count(inst);
                    }
                });
            }
            for (Future<Long> f : pool.invokeAll(tasks, 60, TimeUnit.SECONDS)) {
                assertThat(f.get()).isEqualTo(calls);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ fuel

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void fuelRunsOut() {
        assumeThat(engine.features().fuel()).as("the engine meters fuel").isTrue();
        InstanceLimits fuel = withFuel(10_000);
        try (WasmInstance inst = module(SPIN).instantiate(Imports.NONE, fuel)) {
            assertThatThrownBy(() -> inst.call("spin_br")).isInstanceOf(WasmFuelExhaustedException.class);
        }
        try (WasmInstance inst = module(SPIN).instantiate(Imports.NONE, fuel)) {
            assertThat(inst.call("burn", 100)).containsExactly(5050L);
            assertThat(inst.call("burn", 100)).as("the budget is per call").containsExactly(5050L);
            assertThatThrownBy(() -> inst.call("burn", 100_000)).isInstanceOf(WasmFuelExhaustedException.class);
        }
        try (WasmInstance inst = module(SPIN).instantiate(Imports.NONE, fuel)) {
            assertThat(inst.call("burn", 100)).as("a fresh instance after exhaustion").containsExactly(5050L);
        }
    }

    /** Every instruction executed costs one unit, as {@link InstanceLimits#fuel()} defines it. */
    @Test
    void fuelCountsEveryInstructionExecuted() {
        assumeThat(engine.features().fuel()).as("the engine meters fuel").isTrue();
        record Cost(String function, long[] args, long fuel) {
        }
        List<Cost> costs = List.of(
                new Cost("nothing", new long[0], 1),                 // end
                new Cost("const", new long[0], 2),                   // i32.const end
                new Cost("block", new long[0], 4),                   // block i32.const end end
                new Cost("br_block", new long[0], 5),                // block i32.const br end end
                new Cost("if_else", new long[] {1}, 6),              // local.get if i32.const else end end
                new Cost("if_else", new long[] {0}, 5),              // local.get if i32.const end end
                new Cost("if", new long[] {0}, 4),                   // local.get if end end
                new Cost("if", new long[] {1}, 5),                   // local.get if nop end end
                new Cost("call", new long[0], 4),                    // call (i32.const end) end
                new Cost("call_indirect", new long[0], 5),           // i32.const call_indirect (i32.const end) end
                new Cost("return", new long[0], 2),                  // i32.const return
                new Cost("br_function", new long[0], 3),             // i32.const br end
                new Cost("br_if_function", new long[0], 4),          // i32.const i32.const br_if end
                new Cost("br_multi", new long[0], 4),                // i32.const i32.const br end
                new Cost("br_table", new long[] {0}, 7),             // block block local.get br_table end i32.const return
                new Cost("br_table", new long[] {1}, 7),             // block block local.get br_table end i32.const end
                new Cost("br_table", new long[] {9}, 7),             // the default label, as 1
                new Cost("loop", new long[0], 4),                    // loop nop end end
                new Cost("nested", new long[] {0}, 8),               // block block local.get br_if end end i32.const end
                new Cost("nested", new long[] {1}, 7));              // block block local.get br_if end i32.const end
        for (Cost c : costs) {
            String call = c.function() + Arrays.toString(c.args());
            try (WasmInstance inst = module(FUEL_COSTS).instantiate(Imports.NONE, withFuel(c.fuel()))) {
                assertThat(inst.fuelUsed()).as("before any call").isEqualTo(-1);
                assertThatCode(() -> inst.call(c.function(), c.args())).as("%s with %d fuel", call, c.fuel())
                        .doesNotThrowAnyException();
                assertThat(inst.fuelUsed()).as("%s reports what it used", call).isEqualTo(c.fuel());
            }
            if (c.fuel() > 1) {
                try (WasmInstance inst = module(FUEL_COSTS).instantiate(Imports.NONE, withFuel(c.fuel() - 1))) {
                    assertThatThrownBy(() -> inst.call(c.function(), c.args())).as("%s with %d fuel", call, c.fuel() - 1)
                            .isInstanceOf(WasmFuelExhaustedException.class);
                }
            }
        }
        // A loop: 8 instructions around it, 12 per iteration (the branch back does not count the loop again).
        try (WasmInstance inst = module(SPIN).instantiate(Imports.NONE, withFuel(100_000))) {
            assertThat(inst.call("burn", 100)).containsExactly(5050L);
            assertThat(inst.fuelUsed()).isEqualTo(8 + 12 * 100);
            inst.call("burn", 3);
            assertThat(inst.fuelUsed()).as("each call reports its own use").isEqualTo(8 + 12 * 3);
        }
        try (WasmInstance inst = module(SPIN).instantiate(Imports.NONE, withFuel(8 + 12 * 100))) {
            assertThat(inst.call("burn", 100)).containsExactly(5050L);
        }
        try (WasmInstance inst = module(SPIN).instantiate(Imports.NONE, DEFAULT_LIMITS)) {
            inst.call("burn", 3);
            assertThat(inst.fuelUsed()).as("an instance without a budget").isEqualTo(-1);
        }
        try (WasmInstance inst = module(SPIN).instantiate(Imports.NONE, withFuel(8 + 12 * 100 - 1))) {
            assertThatThrownBy(() -> inst.call("burn", 100)).isInstanceOf(WasmFuelExhaustedException.class);
        }
    }

    // ------------------------------------------------------------------ WASI preview 1

    /**
     * A probe of the sandboxed WASI: an iovec at 0 (pointer, length), the text at 16, results from
     * 64, argument and environment pointers from 128 and their strings from 256.
     */
    private static final String WASI_PROBE = """
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
              (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
              (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "args_get" (func $args (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "environ_get" (func $env (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "path_open"
                (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 16) "hello wasi\\n")
              (func (export "write") (param $fd i32) (result i32)
                (i32.store (i32.const 0) (i32.const 16))
                (i32.store (i32.const 4) (i32.const 11))
                (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 64)))
              (func (export "read") (result i32)
                (i32.store (i32.const 0) (i32.const 256))
                (i32.store (i32.const 4) (i32.const 64))
                (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 64)))
                (i32.load (i32.const 64)))
              (func (export "now") (result i64)
                (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 64)))
                (i64.load (i32.const 64)))
              (func (export "cputime") (result i32)
                (call $clock (i32.const 2) (i64.const 1) (i32.const 64)))
              (func (export "random") (result i64)
                (drop (call $random (i32.const 64) (i32.const 16)))
                (i64.or (i64.load (i32.const 64)) (i64.load (i32.const 72))))
              (func (export "args") (result i32)
                (drop (call $args_sizes (i32.const 64) (i32.const 68)))
                (drop (call $args (i32.const 128) (i32.const 256)))
                (i32.load (i32.const 64)))
              (func (export "env") (result i32)
                (drop (call $env_sizes (i32.const 64) (i32.const 68)))
                (drop (call $env (i32.const 128) (i32.const 256)))
                (i32.load (i32.const 64)))
              (func (export "string_bytes") (result i32) (i32.load (i32.const 68)))
              (func (export "preopen") (result i32)
                (call $prestat (i32.const 3) (i32.const 64)))
              (func (export "open") (result i32)
                (call $open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 0)
                  (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 64)))
              (func (export "exit") (param i32) (call $exit (local.get 0))))
            """;

    private WasmInstance wasiInstance(WasiConfig wasi, InstanceLimits limits) {
        assumeThat(engine.features().wasi()).as("the engine offers WASI").isTrue();
        return module(WASI_PROBE).instantiate(Imports.NONE, limits, wasi);
    }

    private static WasiConfig wasi(List<String> args, Map<String, String> env, java.io.OutputStream out,
                                   java.io.OutputStream err) {
        return new WasiConfig(args, env, out, err);
    }

    /** Output to the given streams, clocks and randomness, the given arguments and environment, nothing else. */
    @Test
    void wasiGivesTheSandboxAndNothingOfTheHost() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        try (WasmInstance inst = wasiInstance(wasi(List.of(), Map.of(), out, err), DEFAULT_LIMITS)) {
            assertThat(inst.call("write", 1)[0]).isZero();
            assertThat(inst.call("write", 2)[0]).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("hello wasi\n");
            assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("hello wasi\n");
            assertThat(inst.call("write", 5)[0]).as("errno of fd_write to a descriptor never opened: EBADF").isEqualTo(8);
            assertThat(inst.call("read")[0]).as("bytes read from stdin").isZero();
            long now = inst.call("now")[0];
            assertThat(now / 1_000_000).isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(3_600_000L));
            assertThat(inst.call("cputime")[0]).as("errno of the CPU-time clock: ENOTSUP").isEqualTo(58);
            assertThat(inst.call("random")[0]).as("16 random bytes are not all zero").isNotZero();
            assertThat(inst.call("args")[0]).as("arguments").isZero();
            assertThat(inst.call("env")[0]).as("environment variables").isZero();
            assertThat(inst.call("preopen")[0]).as("errno of fd_prestat_get(3): EBADF, no preopened directory").isEqualTo(8);
            assertThat(inst.call("open")[0]).as("errno of path_open in descriptor 3: EBADF").isEqualTo(8);
        }
    }

    /** The arguments and environment a deployer configured, NUL-terminated as C reads them. */
    @Test
    void wasiPassesTheConfiguredArgumentsAndEnvironment() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        WasiConfig config = wasi(List.of("agent", "--größe=3"), Map.of("MODE", "test"), out, out);
        try (WasmInstance inst = wasiInstance(config, DEFAULT_LIMITS)) {
            assertThat(inst.call("args")[0]).isEqualTo(2);
            byte[] argv = "agent\0--größe=3\0".getBytes(StandardCharsets.UTF_8);
            assertThat(inst.call("string_bytes")[0]).isEqualTo(argv.length);
            GuestMemory memory = inst.memory();
            assertThat(memory.read(256, argv.length)).isEqualTo(argv);
            assertThat(memory.read(128, 8)).as("argv[0] and argv[1]").isEqualTo(new byte[] {0, 1, 0, 0, 6, 1, 0, 0});

            assertThat(inst.call("env")[0]).isEqualTo(1);
            assertThat(inst.call("string_bytes")[0]).isEqualTo(10);
            assertThat(memory.read(256, 10)).isEqualTo("MODE=test\0".getBytes(StandardCharsets.UTF_8));
        }
    }

    /** {@code proc_exit}, 0 included, ends the call as a trap that names the exit code. */
    @Test
    void wasiProcExitEndsTheCallWithTheExitCode() {
        for (int code : new int[] {0, 3}) {
            WasiConfig config = wasi(List.of(), Map.of(), java.io.OutputStream.nullOutputStream(),
                    java.io.OutputStream.nullOutputStream());
            try (WasmInstance inst = wasiInstance(config, DEFAULT_LIMITS)) {
                assertThatThrownBy(() -> inst.call("exit", code))
                        .isInstanceOf(WasmTrapException.class)
                        .hasMessageContaining("proc_exit with exit code " + code);
            }
        }
    }

    /** Without a sandbox the same module does not link, and the error names the import. */
    @Test
    void withoutWasiItsImportsDoNotLink() {
        assertThatThrownBy(() -> module(WASI_PROBE).instantiate(Imports.NONE, DEFAULT_LIMITS))
                .isInstanceOf(WasmLinkException.class)
                .hasMessageContaining("wasi_snapshot_preview1.fd_write");
    }

    /** A WASI call costs the call instruction only, so fuel is the same on every engine. */
    @Test
    void wasiCallsCostOnlyTheirCallInstruction() {
        assumeThat(engine.features().fuel()).as("the engine meters fuel").isTrue();
        // i32.const i32.const i32.store, twice; local.get, three i32.const, call, end
        long cost = 12;
        WasiConfig config = wasi(List.of(), Map.of(), java.io.OutputStream.nullOutputStream(),
                java.io.OutputStream.nullOutputStream());
        try (WasmInstance inst = wasiInstance(config, withFuel(cost))) {
            assertThat(inst.call("write", 1)[0]).isZero();
            assertThat(inst.fuelUsed()).isEqualTo(cost);
        }
        try (WasmInstance inst = wasiInstance(config, withFuel(cost - 1))) {
            assertThatThrownBy(() -> inst.call("write", 1)).isInstanceOf(WasmFuelExhaustedException.class);
        }
    }

    // ------------------------------------------------------------------ snapshots (durable state)

    /**
     * A module whose state lives where compiled code keeps it: a stack pointer in a mutable global
     * nobody exports, a running total and a float beside it, and the linear memory.
     */
    private static final String STATEFUL = """
            (module
              (global $sp (mut i32) (i32.const 4096))
              (global $k i32 (i32.const 5))
              (global $total (mut i64) (i64.const 0))
              (global $seen (mut i32) (i32.const 0))
              (global $ratio (mut f64) (f64.const 0.5))
              (memory (export "memory") 1 8)
              (func (export "push") (param i32) (result i32)
                (global.set $sp (i32.sub (global.get $sp) (i32.const 16)))
                (i32.store (global.get $sp) (local.get 0))
                (global.set $total (i64.add (global.get $total) (i64.extend_i32_u (local.get 0))))
                (global.set $seen (i32.add (global.get $seen) (global.get $k)))
                (global.get $sp))
              (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
              (func (export "pages") (result i32) memory.size)
              (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
              (func (export "load8") (param i32) (result i32) local.get 0 i32.load8_u)
              (func (export "sp") (result i32) global.get $sp)
              (func (export "total") (result i64) global.get $total)
              (func (export "ratio") (result f64) global.get $ratio)
              (func (export "set_ratio") (param f64) local.get 0 global.set $ratio)
              (export "seen" (global $seen)))
            """;

    /** Mutable floats, read back as their bits so that nothing on the way can quiet a NaN. */
    private static final String FLOAT_STATE = """
            (module
              (global $f (mut f32) (f32.const 1.5))
              (global $d (mut f64) (f64.const 2.5))
              (func (export "f_bits") (result i32) global.get $f i32.reinterpret_f32)
              (func (export "d_bits") (result i64) global.get $d i64.reinterpret_f64)
              (func (export "set_f_bits") (param i32) local.get 0 f32.reinterpret_i32 global.set $f)
              (func (export "set_d_bits") (param i64) local.get 0 f64.reinterpret_i64 global.set $d))
            """;

    private void assumeSnapshots() {
        assumeThat(engine.features().snapshots()).as("the engine snapshots instances").isTrue();
    }

    /** The whole memory of an instance, read into one array. */
    private static byte[] wholeMemory(WasmInstance inst) {
        GuestMemory memory = inst.memory();
        byte[] bytes = new byte[Math.toIntExact(memory.size())];
        memory.read(0, bytes, 0, bytes.length);
        return bytes;
    }

    /** What the runtime does after a crash: a fresh instance, grown to size, given the bytes and the globals. */
    private static void restore(WasmInstance fresh, byte[] memoryBytes, long[] globals) {
        GuestMemory memory = fresh.memory();
        long missing = (memoryBytes.length - memory.size()) / InstanceLimits.PAGE_SIZE;
        if (missing > 0) {
            long pagesBefore = memory.size() / InstanceLimits.PAGE_SIZE;
            assertThat(memory.grow(missing)).as("growing the fresh instance to the snapshot's size")
                    .isEqualTo(pagesBefore);
        }
        memory.write(0, memoryBytes);
        fresh.restoreMutableGlobals(globals);
    }

    @Test
    void aSnapshotRestoredIntoAFreshInstanceCarriesMemoryAndInternalGlobals() {
        assumeSnapshots();
        WasmModule m = module(STATEFUL);
        assertThat(m.exports()).as("the engine's own helpers are not the module's exports")
                .extracting(ExportDescriptor::name)
                .containsExactlyInAnyOrder("memory", "push", "grow", "pages", "store", "load8", "sp", "total",
                        "ratio", "set_ratio", "seen");
        try (WasmInstance a = m.instantiate(Imports.NONE, DEFAULT_LIMITS);
             WasmInstance b = m.instantiate(Imports.NONE, DEFAULT_LIMITS)) {
            a.call("push", 7);
            a.call("push", 9);
            assertThat(a.call("grow", 2)).containsExactly(1L);
            a.call("store", 2 * (int) InstanceLimits.PAGE_SIZE + 100, 0x12345678);
            a.call("set_ratio", f64(-3.25));
            long sp = a.call("sp")[0];
            assertThat(sp).isEqualTo(4096 - 32);

            byte[] memoryBytes = wholeMemory(a);
            long[] globals = a.mutableGlobals();
            assertThat(memoryBytes).hasSize(3 * (int) InstanceLimits.PAGE_SIZE);
            assertThat(globals).as("sp, total, seen, ratio in index order; the constant is not state")
                    .containsExactly(sp, 16L, 10L, f64(-3.25));

            assertThat(b.call("sp")).as("a fresh instance starts from the module's values").containsExactly(4096L);
            restore(b, memoryBytes, globals);

            assertThat(wholeMemory(b)).as("memory byte for byte").isEqualTo(memoryBytes);
            assertThat(b.call("pages")).as("the guest sees the restored size").containsExactly(3L);
            assertThat(b.call("sp")).as("the non-exported global").containsExactly(sp);
            assertThat(b.call("total")).containsExactly(16L);
            assertThat(b.call("ratio")).containsExactly(f64(-3.25));
            if (linking()) {
                assertThat(b.global("seen")).as("an exported mutable global").isEqualTo(10L);
            }
            assertThat(b.call("load8", 2 * (int) InstanceLimits.PAGE_SIZE + 100)).containsExactly(0x78L);
            assertThat(b.mutableGlobals()).containsExactly(globals);

            // B carries on where A stopped, and the two stay independent.
            assertThat(b.call("push", 1)).containsExactly(sp - 16);
            assertThat(a.call("sp")).containsExactly(sp);
            assertThat(a.mutableGlobals()).containsExactly(globals);
        }
    }

    @Test
    void aThousandMutableGlobalsOfEveryNumberTypeRoundTrip() {
        assumeSnapshots();
        String[] kinds = {"i32", "i64", "f32", "f64"};
        StringBuilder wat = new StringBuilder("(module\n");
        int count = 1100;
        for (int i = 0; i < count; i++) {
            String k = kinds[i % 4];
            wat.append("  (global (mut ").append(k).append(") (").append(k).append(".const 0))\n");
        }
        wat.append("  (func (export \"g1097\") (result i64) global.get 1097))\n");
        WasmModule m = module(wat.toString());
        Random random = new Random(7);
        long[] values = new long[count];
        for (int i = 0; i < count; i++) {
            long v = random.nextLong();
            values[i] = i % 2 == 0 ? (long) (int) v : v;  // i32 and f32 values are sign-extended
        }
        try (WasmInstance a = m.instantiate(Imports.NONE, DEFAULT_LIMITS);
             WasmInstance b = m.instantiate(Imports.NONE, DEFAULT_LIMITS)) {
            assertThat(a.mutableGlobals()).hasSize(count).containsOnly(0L);
            a.restoreMutableGlobals(values);
            assertThat(a.mutableGlobals()).containsExactly(values);
            b.restoreMutableGlobals(a.mutableGlobals());
            assertThat(b.call("g1097")).containsExactly(values[1097]);
            assertThat(b.mutableGlobals()).containsExactly(values);
        }
    }

    @Test
    void aModuleWithoutMutableGlobalsHasAnEmptySnapshot() {
        assumeSnapshots();
        try (WasmInstance inst = instantiate("""
                (module
                  (global $k i32 (i32.const 1))
                  (memory (export "memory") 1)
                  (func (export "k") (result i32) global.get $k))
                """)) {
            assertThat(inst.mutableGlobals()).isEmpty();
            inst.restoreMutableGlobals(new long[0]);
            assertThatThrownBy(() -> inst.restoreMutableGlobals(new long[1]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("expected 0")
                    .hasMessageContaining("got 1");
        }
    }

    @Test
    void restoringTheWrongNumberOfGlobalsIsRefusedAndChangesNothing() {
        assumeSnapshots();
        try (WasmInstance inst = instantiate(STATEFUL)) {
            inst.call("push", 3);
            long[] before = inst.mutableGlobals();
            assertThat(before).hasSize(4);
            assertThatThrownBy(() -> inst.restoreMutableGlobals(new long[] {1, 2}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("expected 4")
                    .hasMessageContaining("got 2");
            assertThatThrownBy(() -> inst.restoreMutableGlobals(new long[5]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("expected 4")
                    .hasMessageContaining("got 5");
            assertThat(inst.mutableGlobals()).containsExactly(before);
        }
    }

    @Test
    void importedGlobalsAreNotPartOfTheSnapshot() {
        assumeLinking();
        assumeSnapshots();
        WasmModule m = module("""
                (module
                  (import "env" "counter" (global $counter (mut i32)))
                  (import "env" "base" (global $base i64))
                  (global $own (mut i64) (i64.const 40))
                  (func (export "bump") (result i64)
                    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
                    (global.set $own (i64.add (global.get $own) (global.get $base)))
                    global.get $own)
                  (func (export "own") (result i64) global.get $own))
                """);
        Imports imports = Imports.builder()
                .global(new HostGlobal("env", "counter", ValueType.I32, 7, true))
                .global(new HostGlobal("env", "base", ValueType.I64, 2, false))
                .build();
        try (WasmInstance a = m.instantiate(imports, DEFAULT_LIMITS);
             WasmInstance b = m.instantiate(imports, DEFAULT_LIMITS)) {
            assertThat(a.call("bump")).containsExactly(42L);
            assertThat(a.mutableGlobals()).as("only the global the module defines").containsExactly(42L);
            b.restoreMutableGlobals(a.mutableGlobals());
            assertThat(b.call("own")).containsExactly(42L);
        }
    }

    @Test
    void floatGlobalsKeepTheirNanPayloadsThroughASnapshot() {
        assumeSnapshots();
        long quietF32 = (int) 0xFFC00123;                 // -nan:0x400123
        long signallingF32 = 0x7F800001L;                  // nan:0x1, quieted by any float arithmetic
        long quietF64 = 0x7FF8_0000_000A_BCDEL;
        long signallingF64 = 0xFFF0_0000_0000_0001L;
        WasmModule m = module(FLOAT_STATE);
        try (WasmInstance a = m.instantiate(Imports.NONE, DEFAULT_LIMITS);
             WasmInstance b = m.instantiate(Imports.NONE, DEFAULT_LIMITS)) {
            assertThat(a.mutableGlobals()).containsExactly(f32(1.5f), f64(2.5));
            a.call("set_f_bits", quietF32);
            a.call("set_d_bits", quietF64);
            long[] globals = a.mutableGlobals();
            assertThat(globals).as("f32 as its bits, sign-extended; f64 as its bits").containsExactly(quietF32, quietF64);
            b.restoreMutableGlobals(globals);
            assertThat(b.call("f_bits")).containsExactly(quietF32);
            assertThat(b.call("d_bits")).containsExactly(quietF64);

            b.restoreMutableGlobals(new long[] {signallingF32, signallingF64});
            assertThat(b.call("f_bits")).as("a signalling NaN is not quieted").containsExactly(signallingF32);
            assertThat(b.call("d_bits")).containsExactly(signallingF64);
            assertThat(b.mutableGlobals()).containsExactly(signallingF32, signallingF64);
        }
    }

    @Test
    void aV128GlobalCannotBeSnapshot() {
        assumeSnapshots();
        WasmModule m;
        try {
            m = engine.compile(wasm("""
                    (module
                      (global $n (mut i32) (i32.const 1))
                      (global $v (mut v128) (v128.const i64x2 1 2))
                      (func (export "n") (result i32) global.get $n))
                    """));
        } catch (WasmCompileException e) {
            assumeThat(e).as("the engine runs SIMD modules at all").isNull();
            return;
        }
        try (WasmInstance inst = m.instantiate(Imports.NONE, DEFAULT_LIMITS)) {
            assertGlobalOneRefused(inst, "v128");
        }
    }

    /** Global 1 of the instance cannot be carried: reading and restoring name it, and change nothing. */
    private static void assertGlobalOneRefused(WasmInstance inst, String type) {
        assertThatThrownBy(inst::mutableGlobals)
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("global 1")
                .hasMessageContaining(type);
        assertThatThrownBy(() -> inst.restoreMutableGlobals(new long[] {5, 0}))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("global 1");
        assertThat(inst.call("n")).as("nothing was changed").containsExactly(1L);
    }

    @Test
    void aReferenceGlobalCannotBeSnapshot() {
        assumeSnapshots();
        try (WasmInstance inst = instantiate("""
                (module
                  (global $n (mut i32) (i32.const 1))
                  (global $r (mut funcref) (ref.null func))
                  (func (export "n") (result i32) global.get $n))
                """)) {
            assertGlobalOneRefused(inst, "funcref");
        }
    }

    @Test
    void hostGrowthHonoursTheInstanceLimitAndTheModulesMaximum() {
        assumeSnapshots();
        InstanceLimits twoPages = limits(2 * InstanceLimits.PAGE_SIZE, Duration.ofSeconds(30));
        try (WasmInstance inst = module(STATEFUL).instantiate(Imports.NONE, twoPages)) {
            GuestMemory memory = inst.memory();
            assertThat(memory.grow(0)).as("growing by nothing reports the size").isEqualTo(1);
            assertThat(memory.grow(2)).as("past the instance's limit").isEqualTo(-1);
            assertThat(memory.size()).as("a refused growth changes nothing").isEqualTo(InstanceLimits.PAGE_SIZE);
            assertThat(memory.grow(1)).isEqualTo(1);
            assertThat(memory.size()).isEqualTo(2 * InstanceLimits.PAGE_SIZE);
            assertThat(memory.grow(1)).isEqualTo(-1);
            assertThat(memory.grow(1L << 40)).isEqualTo(-1);
            assertThat(memory.size()).isEqualTo(2 * InstanceLimits.PAGE_SIZE);
            assertThat(inst.call("pages")).as("the guest sees the host's growth").containsExactly(2L);
            memory.write(2 * InstanceLimits.PAGE_SIZE - 1, new byte[] {42});
            assertThat(inst.call("load8", 2 * InstanceLimits.PAGE_SIZE - 1)).containsExactly(42L);
            assertThat(inst.call("grow", 1)).as("the guest meets the same limit").containsExactly(-1L);
            assertThatThrownBy(() -> memory.grow(-1)).isInstanceOf(IllegalArgumentException.class);
        }
        try (WasmInstance inst = instantiate(STATEFUL)) {
            GuestMemory memory = inst.memory();
            assertThat(memory.grow(7)).as("up to the module's own maximum of 8 pages").isEqualTo(1);
            assertThat(memory.grow(1)).as("past the module's maximum").isEqualTo(-1);
            assertThat(memory.size()).isEqualTo(8 * InstanceLimits.PAGE_SIZE);
        }
    }

    @Test
    void readingIntoAnArrayChecksEveryRange() {
        assumeSnapshots();
        try (WasmInstance inst = instantiate(COUNTER)) {
            GuestMemory memory = inst.memory();
            long size = memory.size();
            byte[] pattern = new byte[21];
            for (int i = 0; i < pattern.length; i++) {
                pattern[i] = (byte) (i * 7 + 1);
            }
            memory.write(size - pattern.length, pattern);
            byte[] into = new byte[30];
            Arrays.fill(into, (byte) -1);
            memory.read(size - pattern.length, into, 4, pattern.length);
            assertThat(Arrays.copyOfRange(into, 4, 4 + pattern.length)).isEqualTo(pattern);
            assertThat(into[3]).as("bytes before the offset are untouched").isEqualTo((byte) -1);
            assertThat(into[4 + pattern.length]).as("bytes after the range are untouched").isEqualTo((byte) -1);
            memory.read(size, into, 0, 0);

            byte[] fresh = new byte[8];
            Arrays.fill(fresh, (byte) -1);
            assertThatThrownBy(() -> memory.read(size - 3, fresh, 0, 4)).isInstanceOf(MemoryAccessException.class);
            assertThatThrownBy(() -> memory.read(-1, fresh, 0, 1)).isInstanceOf(MemoryAccessException.class);
            assertThatThrownBy(() -> memory.read(0, fresh, 0, -1)).isInstanceOf(MemoryAccessException.class);
            assertThatThrownBy(() -> memory.read(Long.MAX_VALUE, fresh, 0, 2)).isInstanceOf(MemoryAccessException.class);
            assertThatThrownBy(() -> memory.read(0xFFFF_FFF0L, fresh, 0, 8)).isInstanceOf(MemoryAccessException.class);
            assertThat(fresh).as("a refused read writes nothing").containsOnly((byte) -1);
            assertThatThrownBy(() -> memory.read(0, fresh, 4, 5)).as("past the end of the array")
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> memory.read(0, fresh, -1, 2)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(fresh).containsOnly((byte) -1);
        }
    }

    @Test
    void writingFromPartOfAnArrayChecksEveryRange() {
        try (WasmInstance inst = instantiate(COUNTER)) {
            GuestMemory memory = inst.memory();
            long size = memory.size();
            byte[] source = new byte[30];
            for (int i = 0; i < source.length; i++) {
                source[i] = (byte) (i * 5 + 3);
            }
            byte[] blank = new byte[40];
            memory.write(size - blank.length, blank);
            memory.write(size - 21, source, 4, 21);
            assertThat(memory.read(size - 21, 21)).isEqualTo(Arrays.copyOfRange(source, 4, 25));
            assertThat(memory.read(size - 22, 1)).as("the byte before the range is untouched").containsExactly(0);
            memory.write(size, source, 0, 0);

            assertThatThrownBy(() -> memory.write(size - 3, source, 0, 4)).isInstanceOf(MemoryAccessException.class);
            assertThatThrownBy(() -> memory.write(-1, source, 0, 1)).isInstanceOf(MemoryAccessException.class);
            assertThatThrownBy(() -> memory.write(0xFFFF_FFF0L, source, 0, 8)).isInstanceOf(MemoryAccessException.class);
            assertThatThrownBy(() -> memory.write(0, source, 28, 5)).as("past the end of the array")
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> memory.write(0, source, -1, 2)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(memory.read(size - 21, 21)).as("a refused write writes nothing")
                    .isEqualTo(Arrays.copyOfRange(source, 4, 25));
        }
    }

    @Test
    void snapshotsDoNotTouchFuel() {
        assumeSnapshots();
        assumeThat(engine.features().fuel()).as("the engine meters fuel").isTrue();
        long used;
        long[] globals;
        try (WasmInstance a = module(STATEFUL).instantiate(Imports.NONE, withFuel(100_000))) {
            a.call("push", 5);
            used = a.fuelUsed();
            assertThat(used).isPositive();
            globals = a.mutableGlobals();
            a.restoreMutableGlobals(globals);
            assertThat(a.fuelUsed()).as("reading and restoring globals is not a call").isEqualTo(used);
            a.call("push", 5);
            assertThat(a.fuelUsed()).isEqualTo(used);
        }
        try (WasmInstance b = module(STATEFUL).instantiate(Imports.NONE, withFuel(used))) {
            b.restoreMutableGlobals(globals);
            b.mutableGlobals();
            assertThat(b.fuelUsed()).isEqualTo(-1);
            assertThat(b.call("push", 5)).as("the whole budget is left for the call")
                    .containsExactly(globals[0] - 16);
            assertThat(b.fuelUsed()).isEqualTo(used);
        }
    }

    /**
     * What a checkpoint costs: reading a 1 MiB and a 16 MiB memory into a buffer the host keeps,
     * and writing it back. Reported, never asserted: the figures depend on the machine and its load.
     */
    @Test
    void snapshotCostsAreReported() {
        assumeSnapshots();
        for (int mib : new int[] {1, 16}) {
            int pages = mib * 16;
            try (WasmInstance inst = module(STATEFUL.replace("(memory (export \"memory\") 1 8)",
                    "(memory (export \"memory\") " + pages + ")")).instantiate(Imports.NONE,
                    limits(32L << 20, Duration.ofSeconds(30)))) {
                GuestMemory memory = inst.memory();
                byte[] buffer = new byte[Math.toIntExact(memory.size())];
                new Random(mib).nextBytes(buffer);
                memory.write(0, buffer);
                int rounds = mib == 1 ? 200 : 20;
                long readNanos = Long.MAX_VALUE;
                long writeNanos = Long.MAX_VALUE;
                long globalsNanos = Long.MAX_VALUE;
                for (int r = 0; r < rounds; r++) {
                    long t0 = System.nanoTime();
                    memory.read(0, buffer, 0, buffer.length);
                    long t1 = System.nanoTime();
                    memory.write(0, buffer);
                    long t2 = System.nanoTime();
                    inst.restoreMutableGlobals(inst.mutableGlobals());
                    long t3 = System.nanoTime();
                    readNanos = Math.min(readNanos, t1 - t0);
                    writeNanos = Math.min(writeNanos, t2 - t1);
                    globalsNanos = Math.min(globalsNanos, t3 - t2);
                }
                System.out.printf(Locale.ROOT,
                        "snapshot cost [%s]: %d MiB memory: read into buffer %.3f ms, write back %.3f ms;"
                                + " 4 mutable globals read and restored %.1f us (best of %d)%n",
                        engine.features().description().split(" \\(|;")[0], mib, readNanos / 1e6, writeNanos / 1e6, globalsNanos / 1e3,
                        rounds);
                assertThat(wholeMemory(inst)).isEqualTo(buffer);
            }
        }
    }

    @Test
    void featuresDescribeTheEngine() {
        assertThat(engine.features()).isNotNull();
        assertThat(engine.features().description()).isNotBlank();
    }

    private void assumeTimeouts() {
        assumeThat(engine.features().executionTimeout()).as("the engine enforces execution timeouts").isTrue();
    }
}
