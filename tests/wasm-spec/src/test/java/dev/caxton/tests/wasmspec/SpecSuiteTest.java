package dev.caxton.tests.wasmspec;

import static dev.caxton.tests.wasmspec.SyntheticSuite.action;
import static dev.caxton.tests.wasmspec.SyntheticSuite.assertModule;
import static dev.caxton.tests.wasmspec.SyntheticSuite.assertReturn;
import static dev.caxton.tests.wasmspec.SyntheticSuite.assertTrap;
import static dev.caxton.tests.wasmspec.SyntheticSuite.invoke;
import static dev.caxton.tests.wasmspec.SyntheticSuite.invokeOn;
import static dev.caxton.tests.wasmspec.SyntheticSuite.module;
import static dev.caxton.tests.wasmspec.SyntheticSuite.register;
import static dev.caxton.tests.wasmspec.SyntheticSuite.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.EngineFeatures;
import dev.caxton.spi.engine.ExportDescriptor;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.ImportDescriptor;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.LinkingEngine;
import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.spi.engine.WasmEngineProvider;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmModule;
import dev.caxton.testkit.spec.CommandResult;
import dev.caxton.testkit.spec.Outcome;
import dev.caxton.testkit.spec.ScriptResult;
import dev.caxton.testkit.spec.SpecSuite;
import dev.caxton.testkit.spec.SuiteResult;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spec runner itself, on small suites whose right outcome is known: every command kind passes
 * when the engine behaves, wrong expectations fail with a reason that says what differed, values the
 * SPI cannot carry are skipped, and neither a hang nor a broken script stalls or aborts the run.
 */
class SpecSuiteTest {

    private static final String MODULE_A = """
            (module
              (import "spectest" "print_i32" (func $print (param i32)))
              (import "spectest" "global_i32" (global $g i32))
              (import "spectest" "memory" (memory 1 2))
              (import "spectest" "table" (table 10 20 funcref))
              (global $counter (export "counter") (mut i32) (i32.const 7))
              (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
              (func (export "g") (result i32) (global.get $g))
              (func (export "neg64") (param i64) (result i64) (i64.sub (i64.const 0) (local.get 0)))
              (func (export "fdiv") (param f32 f32) (result f32) (f32.div (local.get 0) (local.get 1)))
              (func (export "dsqrt") (param f64) (result f64) (f64.sqrt (local.get 0)))
              (func (export "bits32") (param i32) (result f32) (f32.reinterpret_i32 (local.get 0)))
              (func (export "bump") (global.set $counter (i32.add (global.get $counter) (i32.const 1))))
              (func (export "print") (call $print (i32.const 1)))
              (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
              (func $rec (export "recurse") (call $rec))
              (func (export "spin") (loop (br 0)))
              (func (export "pages") (result i32) (memory.size))
              (func (export "two") (result i32 i64) (i32.const 2) (i64.const -2))
              (func (export "\\c3\\a9t\\c3\\a9 \\"q\\"") (result i32) (i32.const 9)))
            """;

    private static final String MODULE_B = """
            (module
              (import "A" "add" (func $add (param i32 i32) (result i32)))
              (import "A" "counter" (global $c (mut i32)))
              (func (export "add_via_a") (param i32 i32) (result i32) (call $add (local.get 0) (local.get 1)))
              (func (export "counter_via_a") (result i32) (global.get $c)))
            """;

    /** A function body that returns nothing where its type promises an i32: decodes, fails validation. */
    private static final byte[] INVALID = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
        0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
        0x03, 0x02, 0x01, 0x00,
        0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b};

    /** A truncated header. */
    private static final byte[] MALFORMED = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00};

    @TempDir
    static Path scratch;

    private static WasmEngine engine;

    @BeforeAll
    static void createEngine() {
        WasmEngineProvider chicory = ServiceLoader.load(WasmEngineProvider.class).stream()
                .map(ServiceLoader.Provider::get).filter(p -> p.name().equals("chicory")).findFirst().orElseThrow();
        engine = chicory.create(ProviderContext.of(ProviderConfig.of("runtime.chicory", Map.of("mode", "interpreter")),
                scratch));
    }

    @AfterAll
    static void closeEngine() {
        engine.close();
    }

    @Test
    void anEngineThatDoesNotLinkIsRefusedSayingWhatItLacks(@TempDir Path dir) {
        // Links host functions only, as SPI 1.2 allows a third-party engine to.
        WasmEngine functionsOnly = new WasmEngine() {
            @Override
            public EngineFeatures features() {
                return new EngineFeatures(false, false, "functions-only test engine");
            }

            @Override
            public WasmModule compile(byte[] wasm) {
                return engine.compile(wasm);
            }

            @Override
            public void close() {
            }
        };

        assertThatThrownBy(() -> SpecSuite.builder(functionsOnly, dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("functions-only test engine")
                .hasMessageContaining("LinkingEngine");
    }

    @Test
    void everyCommandKindPassesOnABehavingEngine(@TempDir Path dir) {
        SyntheticSuite suite = new SyntheticSuite(dir)
                .wat("good", "a.wasm", MODULE_A)
                .wat("good", "b.wasm", MODULE_B)
                .wat("good", "unlinkable.wasm", "(module (import \"A\" \"nope\" (func)))")
                .wat("good", "trapping-start.wasm", "(module (func $s unreachable) (start $s))")
                .bytes("good", "invalid.wasm", INVALID)
                .bytes("good", "malformed.wasm", MALFORMED)
                .script("good", List.of(
                        module(1, "$A", "a.wasm"),
                        assertReturn(2, invoke("add", value("i32", "1"), value("i32", "4294967295")), value("i32", "0")),
                        assertReturn(3, invoke("g"), value("i32", "666")),
                        assertReturn(4, invoke("neg64", value("i64", "1")), value("i64", "18446744073709551615")),
                        assertReturn(5, invoke("fdiv", value("f32", "0"), value("f32", "0")), value("f32", "nan:canonical")),
                        assertReturn(6, invoke("dsqrt", value("f64", "13830554455654793216")), value("f64", "nan:arithmetic")),
                        assertReturn(7, invoke("fdiv", value("f32", "1065353216"), value("f32", "1073741824")),
                                value("f32", "1056964608")),
                        action(8, invoke("bump")),
                        assertReturn(9, "{\"type\": \"get\", \"field\": \"counter\"}", value("i32", "8")),
                        action(10, invoke("print")),
                        assertTrap("assert_trap", 11, invoke("div", value("i32", "1"), value("i32", "0")),
                                "integer divide by zero"),
                        assertTrap("assert_exhaustion", 12, invoke("recurse"), "call stack exhausted"),
                        assertReturn(13, invoke("pages"), value("i32", "1")),
                        assertReturn(14, invoke("two"), value("i32", "2"), value("i64", "18446744073709551614")),
                        assertReturn(15, invoke("\\u00e9t\\u00e9 \\u0022q\\\""), value("i32", "9")),
                        assertModule("assert_invalid", 16, "invalid.wasm", "type mismatch", "binary"),
                        assertModule("assert_malformed", 17, "malformed.wasm", "unexpected end", "binary"),
                        assertModule("assert_malformed", 18, "text.wat", "unknown operator", "text"),
                        register(19, "$A", "A"),
                        module(20, "$B", "b.wasm"),
                        assertReturn(21, invokeOn("$B", "add_via_a", value("i32", "2"), value("i32", "3")), value("i32", "5")),
                        assertReturn(22, invokeOn("$B", "counter_via_a"), value("i32", "8")),
                        assertReturn(22, invokeOn("$A", "add", value("i32", "2"), value("i32", "2")), value("i32", "4")),
                        assertModule("assert_unlinkable", 23, "unlinkable.wasm", "unknown import", "binary"),
                        assertModule("assert_uninstantiable", 24, "trapping-start.wasm", "unreachable", "binary"),
                        assertReturn(25, invokeOn("$A", "add", value("externref", "1"), value("i32", "2")),
                                value("i32", "3"))));

        SuiteResult result = SpecSuite.builder(engine, suite.root()).build().run();

        Map<String, CommandResult> r = byKey(result.script("good"));
        assertThat(r.values().stream().filter(c -> c.outcome() != Outcome.PASSED).map(CommandResult::key))
                .as(result.report())
                .containsExactlyInAnyOrder("18", "25");
        assertThat(r).containsKeys("22", "22#2");
        assertThat(r.get("18").outcome()).isEqualTo(Outcome.SKIPPED);
        assertThat(r.get("18").reason()).isEqualTo("text format");
        assertThat(r.get("25").outcome()).isEqualTo(Outcome.SKIPPED);
        assertThat(r.get("25").reason()).startsWith("externref value");
        assertThat(result.total(Outcome.PASSED)).isEqualTo(24);
        assertThat(result.summary()).startsWith("1 scripts, 26 commands: 24 passed, 0 failed, 2 skipped");
    }

    @Test
    void wrongExpectationsFailAndSayWhatDiffered(@TempDir Path dir) {
        SyntheticSuite suite = new SyntheticSuite(dir)
                .wat("bad", "a.wasm", MODULE_A)
                .wat("bad", "linkable.wasm", "(module (import \"spectest\" \"print\" (func)))")
                .wat("bad", "needs-g.wasm", "(module (import \"G\" \"f\" (func)))")
                .script("bad", List.of(
                        module(1, null, "a.wasm"),
                        assertReturn(2, invoke("add", value("i32", "1"), value("i32", "2")), value("i32", "4")),
                        // -0.0 is not +0.0: floats compare by bits.
                        assertReturn(3, invoke("fdiv", value("f32", "0"), value("f32", "3212836864")), value("f32", "0")),
                        // A quiet NaN with a payload is arithmetic but not canonical; a signalling one is neither.
                        assertReturn(4, invoke("bits32", value("i32", "2143289345")), value("f32", "nan:canonical")),
                        assertReturn(5, invoke("bits32", value("i32", "2143289345")), value("f32", "nan:arithmetic")),
                        assertReturn(6, invoke("bits32", value("i32", "2141192192")), value("f32", "nan:arithmetic")),
                        assertTrap("assert_trap", 7, invoke("add", value("i32", "1"), value("i32", "2")), "unreachable"),
                        assertReturn(8, invoke("missing"), value("i32", "1")),
                        assertReturn(9, invoke("add", value("i64", "1"), value("i64", "2")), value("i32", "3")),
                        assertReturn(10, invoke("add", value("i32", "1"), value("i32", "2")), value("i64", "3")),
                        assertReturn(11, invoke("div", value("i32", "1"), value("i32", "0")), value("i32", "0")),
                        assertModule("assert_invalid", 12, "a.wasm", "type mismatch", "binary"),
                        assertModule("assert_unlinkable", 13, "linkable.wasm", "unknown import", "binary"),
                        module(14, "$Gone", "no-such-file.wasm"),
                        assertReturn(15, invoke("add", value("i32", "1"), value("i32", "2")), value("i32", "3")),
                        assertReturn(16, invokeOn("$Nobody", "add"), value("i32", "3")),
                        register(17, "$Gone", "G"),
                        module(18, null, "needs-g.wasm"),
                        assertModule("assert_uninstantiable", 19, "needs-g.wasm", "unreachable", "binary"),
                        assertModule("assert_unlinkable", 20, "needs-g.wasm", "unknown import", "binary")));

        SuiteResult result = SpecSuite.builder(engine, suite.root()).build().run();

        Map<String, CommandResult> r = byKey(result.script("bad"));
        assertThat(r.get("1").outcome()).isEqualTo(Outcome.PASSED);
        assertThat(r.get("5").outcome()).isEqualTo(Outcome.PASSED);
        assertThat(r.get("20").outcome()).isEqualTo(Outcome.PASSED);
        assertThat(r.values().stream().filter(c -> c.outcome() == Outcome.FAILED).count()).as(result.report()).isEqualTo(17);
        assertThat(r.get("2").reason()).isEqualTo("expected i32 4 (0x4), got 3 (0x3)");
        assertThat(r.get("3").reason()).isEqualTo("expected f32 0x0 (0.0), got 0x80000000 (-0.0)");
        assertThat(r.get("4").reason()).isEqualTo("expected f32 nan:canonical, got 0x7fc00001 (NaN)");
        assertThat(r.get("6").reason()).isEqualTo("expected f32 nan:arithmetic, got 0x7fa00000 (NaN)");
        assertThat(r.get("7").reason()).isEqualTo("expected a trap (\"unreachable\"), but it returned [3 (0x3)]");
        assertThat(r.get("8").reason()).isEqualTo("the module exports no function named \"missing\"");
        assertThat(r.get("9").reason()).contains("has the signature (i32, i32) -> (i32)", "passes [I64, I64]");
        assertThat(r.get("10").reason()).contains("expects results [I64]");
        assertThat(r.get("11").reason()).startsWith("expected [i32 0 (0x0)], but got WasmTrapException");
        assertThat(r.get("12").reason()).isEqualTo(
                "expected the module to be rejected as invalid (\"type mismatch\"), but it compiled");
        assertThat(r.get("13").reason()).isEqualTo(
                "expected a link error (\"unknown import\"), but the module instantiated");
        assertThat(r.get("14").reason()).startsWith("cannot read the module file").contains("no-such-file.wasm");
        assertThat(r.get("15").reason()).isEqualTo("uses the module of line 14, which failed");
        assertThat(r.get("16").reason()).isEqualTo("no module named $Nobody has been defined");
        assertThat(r.get("17").reason()).isEqualTo("uses the module of line 14, which failed");
        assertThat(r.get("18").reason()).startsWith("did not instantiate (it imports from \"G\", which line 17 failed"
                + " to register): got WasmLinkException");
        assertThat(r.get("19").reason()).startsWith("expected a trap during instantiation (\"unreachable\") (it imports"
                + " from \"G\", which line 17 failed to register), but got WasmLinkException");
    }

    @Test
    void aFailureAfterASkippedStateChangeIsNotBlamedOnTheEngine(@TempDir Path dir) {
        SyntheticSuite suite = new SyntheticSuite(dir)
                .wat("refs", "t.wasm", """
                        (module
                          (table $t 2 externref)
                          (func (export "set") (param i32 externref) (table.set $t (local.get 0) (local.get 1)))
                          (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
                          (func (export "refused") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0)))))
                        """)
                .wat("refs", "other.wasm", "(module (func (export \"one\") (result i32) (i32.const 1)))")
                .script("refs", List.of(
                        module(1, "$T", "t.wasm"),
                        module(2, "$O", "other.wasm"),
                        action(3, invokeOn("$T", "set", value("i32", "0"), value("externref", "1"))),
                        assertReturn(4, invokeOn("$T", "is_null", value("i32", "0")), value("i32", "0")),
                        assertReturn(5, invokeOn("$T", "is_null", value("i32", "1")), value("i32", "1")),
                        assertReturn(6, invokeOn("$O", "one"), value("i32", "2")),
                        assertReturn(7, invokeOn("$T", "refused", value("i32", "0")), value("i32", "0"))));
        WasmEngine refusing = new InterceptingEngine(engine, (name, args) -> {
            if (name.equals("refused")) {
                throw new IllegalArgumentException("this engine cannot call 'refused'");
            }
            return null;
        });

        Map<String, CommandResult> r = byKey(SpecSuite.builder(refusing, suite.root()).build().run().script("refs"));

        assertThat(r.get("3").outcome()).isEqualTo(Outcome.SKIPPED);
        assertThat(r.get("4").outcome()).isEqualTo(Outcome.SKIPPED);
        assertThat(r.get("4").reason()).startsWith("outcome unreliable: the module's state depends on the skipped"
                + " command of line 3 (it failed: expected i32 0");
        assertThat(r.get("5").outcome()).isEqualTo(Outcome.PASSED);
        // Only the instance the skipped call used is in doubt.
        assertThat(r.get("6").outcome()).isEqualTo(Outcome.FAILED);
        // A call the engine refuses ran no guest code, so no state explains its failure.
        assertThat(r.get("7").outcome()).isEqualTo(Outcome.FAILED);
        assertThat(r.get("7").reason()).contains("IllegalArgumentException: this engine cannot call 'refused'");
    }

    @Test
    void theEnginesTimeoutEndsARunawayCommandAndTheScriptGoesOn(@TempDir Path dir) {
        SyntheticSuite suite = new SyntheticSuite(dir)
                .wat("spin", "a.wasm", MODULE_A)
                .script("spin", List.of(
                        module(1, null, "a.wasm"),
                        action(2, invoke("spin")),
                        module(3, null, "a.wasm"),
                        assertReturn(4, invoke("g"), value("i32", "666"))));

        SuiteResult result = SpecSuite.builder(engine, suite.root()).commandTimeout(Duration.ofMillis(300)).build().run();

        Map<String, CommandResult> r = byKey(result.script("spin"));
        assertThat(r.get("2").outcome()).isEqualTo(Outcome.FAILED);
        assertThat(r.get("2").reason()).startsWith("got WasmTimeoutException");
        assertThat(r.get("4").outcome()).isEqualTo(Outcome.PASSED);
    }

    @Test
    void aHangTheEngineDoesNotStopIsAbandonedWithoutStallingTheSuite(@TempDir Path dir) throws Exception {
        SyntheticSuite suite = new SyntheticSuite(dir)
                .wat("hang", "a.wasm", MODULE_A)
                .script("hang", List.of(
                        module(1, null, "a.wasm"),
                        action(2, invoke("spin")),
                        assertReturn(3, invoke("g"), value("i32", "666"))))
                .wat("later", "a.wasm", MODULE_A)
                .script("later", List.of(
                        module(1, null, "a.wasm"),
                        assertReturn(2, invoke("g"), value("i32", "666"))));
        CountDownLatch release = new CountDownLatch(1);
        try (WasmEngine deaf = new InterceptingEngine(engine, (name, args) -> name.equals("spin") ? hangUntil(release) : null)) {
            long start = System.nanoTime();
            SuiteResult result = SpecSuite.builder(deaf, suite.root()).commandTimeout(Duration.ofMillis(200)).build().run();
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            Map<String, CommandResult> hang = byKey(result.script("hang"));
            assertThat(hang.get("2").outcome()).isEqualTo(Outcome.FAILED);
            assertThat(hang.get("2").reason()).isEqualTo("did not finish within 1400 ms (the instances' execution"
                    + " timeout is 200 ms); the runner abandoned it");
            assertThat(hang.get("3").outcome()).isEqualTo(Outcome.FAILED);
            assertThat(hang.get("3").reason()).isEqualTo(
                    "not run: the command of line 2 hung and its thread was abandoned");
            assertThat(result.script("later").passed()).isEqualTo(2);
            assertThat(took).isLessThan(Duration.ofSeconds(10));
        } finally {
            release.countDown();
        }
    }

    @Test
    void aBrokenScriptFileIsOneFailureNotAnAbortedRun(@TempDir Path dir) {
        SyntheticSuite suite = new SyntheticSuite(dir)
                .json("broken", "{\"commands\": [\n  {\"type\": \"module\", \"line\": 1,, }]}")
                .json("nocommands", "{\"source_filename\": \"x.wast\"}")
                .json("badescape", "{\"commands\": [{\"type\": \"module\", \"line\": 1, \"filename\": \"a\\q\"}]}")
                .wat("fine", "a.wasm", "(module)")
                .script("fine", List.of(module(1, null, "a.wasm")));

        SuiteResult result = SpecSuite.builder(engine, suite.root()).build().run();

        assertThat(result.scripts()).extracting(ScriptResult::name)
                .containsExactly("badescape", "broken", "fine", "nocommands");
        assertThat(result.script("broken").commands()).singleElement().satisfies(c -> {
            assertThat(c.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(c.type()).isEqualTo("script");
            assertThat(c.reason()).contains("broken.json:2:32: malformed JSON: unexpected ',', expected a member name");
        });
        assertThat(result.script("nocommands").commands().getFirst().reason())
                .contains("expected an object with a \"commands\" array");
        assertThat(result.script("badescape").commands().getFirst().reason()).contains("invalid escape sequence \\q");
        assertThat(result.script("fine").passed()).isEqualTo(1);
        assertThat(result.report()).contains("broken.wast:0 script: cannot read");
    }

    @Test
    void refusesADirectoryThatIsNotASuiteAndUnknownScripts(@TempDir Path dir) {
        assertThatThrownBy(() -> SpecSuite.builder(engine, dir).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a spec suite directory: it has no json/ folder");
        new SyntheticSuite(dir).wat("one", "a.wasm", "(module)").script("one", List.of(module(1, null, "a.wasm")));
        assertThatThrownBy(() -> SpecSuite.builder(engine, dir).scripts(List.of("one", "two")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no such script(s)")
                .hasMessageContaining("[two]")
                .hasMessageContaining("available: [one]");
    }

    @Test
    void theReportListsFailuresAndGroupsSkipsByReason(@TempDir Path dir) throws Exception {
        SyntheticSuite suite = new SyntheticSuite(dir)
                .wat("mixed", "a.wasm", MODULE_A)
                .script("mixed", List.of(
                        module(1, null, "a.wasm"),
                        assertReturn(2, invoke("add", value("i32", "1"), value("i32", "2")), value("i32", "4")),
                        assertModule("assert_malformed", 3, "x.wat", "unknown operator", "text"),
                        assertModule("assert_malformed", 4, "y.wat", "unknown operator", "text")));

        SuiteResult result = SpecSuite.builder(engine, suite.root()).build().run();
        Path file = dir.resolve("out/report.txt");
        result.writeReport(file);

        String report = java.nio.file.Files.readString(file);
        assertThat(report).contains("total: 1 scripts, 4 commands: 1 passed, 1 failed, 2 skipped")
                .contains("mixed.wast:2 assert_return: expected i32 4 (0x4), got 3 (0x3)")
                .contains("    2  assert_malformed: text format\n         in mixed (2)");
    }

    private static Map<String, CommandResult> byKey(ScriptResult script) {
        return script.commands().stream().collect(Collectors.toMap(CommandResult::key, Function.identity()));
    }

    /** Replaces some calls of an intercepting engine's instances. */
    @FunctionalInterface
    private interface Interceptor {
        /**
         * @return the results, or null to let the real instance run the call
         */
        long[] call(String name, long[] args);
    }

    /**
     * An engine that wraps a real one but enforces no timeout, and lets a test replace calls: to
     * hang deaf to interrupts, as a broken engine would, or to refuse a call.
     */
    private record InterceptingEngine(WasmEngine inner, Interceptor interceptor) implements LinkingEngine {
        @Override
        public EngineFeatures features() {
            return new EngineFeatures(false, false, "intercepting test engine");
        }

        @Override
        public WasmModule compile(byte[] wasm) {
            WasmModule m = inner.compile(wasm);
            return new WasmModule() {
                @Override
                public List<ImportDescriptor> imports() {
                    return m.imports();
                }

                @Override
                public List<ExportDescriptor> exports() {
                    return m.exports();
                }

                @Override
                public WasmInstance instantiate(Imports imports, InstanceLimits limits) {
                    return new InterceptedInstance(m.instantiate(imports, InstanceLimits.UNLIMITED), interceptor);
                }
            };
        }

        @Override
        public void close() {
        }
    }

    private record InterceptedInstance(WasmInstance inner, Interceptor interceptor) implements WasmInstance {
        @Override
        public Optional<FunctionType> exportedFunction(String name) {
            return inner.exportedFunction(name);
        }

        @Override
        public long[] call(String name, long... args) {
            long[] replaced = interceptor.call(name, args);
            return replaced != null ? replaced : inner.call(name, args);
        }

        @Override
        public GuestMemory memory() {
            return inner.memory();
        }

        @Override
        public long global(String name) {
            return inner.global(name);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    /** Blocks until released, ignoring interrupts. */
    private static long[] hangUntil(CountDownLatch release) {
        boolean interrupted = false;
        while (release.getCount() > 0) {
            try {
                release.await();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return new long[0];
    }
}
