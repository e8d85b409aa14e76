package dev.caxton.engine.chicory;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.InterpreterMachine;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.ValueType;
import dev.caxton.spi.engine.WasmFuelExhaustedException;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmModule;
import dev.caxton.spi.engine.WasmTrapException;
import dev.caxton.testkit.Wat;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compiler mode meters fuel by running a rewritten module compiled, and the interpreter mode
 * counts the instructions it executes: for every budget from too little to plenty, both modes give
 * the same outcome (the same result, or running out of fuel) and report the same fuel used.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ChicoryFuelParityTest {

    private static final String PROGRAMS = """
            (module
              (import "host" "twice" (func $twice (param i32) (result i32)))
              (type $un (func (param i32) (result i32)))
              (table 2 funcref)
              (elem (i32.const 0) $sq $fact)
              (global $calls (mut i32) (i32.const 0))
              (memory (export "memory") 1)
              (func $sq (type $un) (i32.mul (local.get 0) (local.get 0)))
              (func $fact (export "fact") (type $un)
                (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
                (if (result i32) (i32.le_s (local.get 0) (i32.const 1))
                  (then (i32.const 1))
                  (else (i32.mul (local.get 0) (call $fact (i32.sub (local.get 0) (i32.const 1)))))))
              (func (export "odds") (param $n i32) (result i64) (local $k i64)
                (loop $next
                  (if (i32.and (local.get $n) (i32.const 1))
                    (then (local.set $k (i64.add (local.get $k) (i64.extend_i32_s (local.get $n))))))
                  (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
                  (br_if $next (i32.gt_s (i32.const 0)))
                  (drop (i32.const 0)))
                (local.get $k))
              (func (export "switch") (param i32) (result i32)
                (block $c (block $b (block $a
                  (br_table $a $b $c (local.get 0)))
                  (return (i32.const 10)))
                  (return (call_indirect (type $un) (i32.const 7) (i32.const 0))))
                (call $twice (i32.const 21)))
              (func (export "early") (param i32) (result i32)
                (loop $l
                  (if (i32.gt_s (local.get 0) (i32.const 5)) (then (br 2 (i32.const 99))))
                  (local.set 0 (i32.add (local.get 0) (i32.const 1)))
                  (br_if $l (i32.lt_s (local.get 0) (i32.const 100))))
                (i32.store (i32.const 0) (local.get 0))
                (i32.load (i32.const 0)))
              (export "calls" (global $calls)))
            """;

    /** A start function that does real work, so instantiation is metered too. */
    private static final String STARTS = """
            (module
              (global $g (mut i32) (i32.const 0))
              (func $init
                (loop $l
                  (global.set $g (i32.add (global.get $g) (i32.const 1)))
                  (br_if $l (i32.lt_s (global.get $g) (i32.const 20)))))
              (func (export "get") (result i32) global.get $g)
              (start $init))
            """;

    private ChicoryEngine interpreter;
    private ChicoryEngine compiler;

    @BeforeAll
    void createEngines(@TempDir Path dataDir) {
        interpreter = create(dataDir, "interpreter");
        compiler = create(dataDir, "compiler");
    }

    @AfterAll
    void closeEngines() {
        interpreter.close();
        compiler.close();
    }

    private static ChicoryEngine create(Path dataDir, String mode) {
        return (ChicoryEngine) new ChicoryEngineProvider().create(ProviderContext.of(
                ProviderConfig.of("runtime.chicory", Map.of("mode", mode)), dataDir));
    }

    private static Imports imports() {
        return Imports.of(List.of(new HostFunction("host", "twice",
                FunctionType.of(List.of(ValueType.I32), List.of(ValueType.I32)),
                (memory, args) -> new long[] {args[0] * 2})));
    }

    private static InstanceLimits fuel(long budget) {
        return new InstanceLimits(1 << 20, Duration.ofSeconds(30), budget);
    }

    @Test
    void everyBudgetGivesTheSameOutcomeInBothModes() {
        byte[] wasm = Wat.compile(PROGRAMS);
        WasmModule interpreted = interpreter.compile(wasm);
        WasmModule compiled = compiler.compile(wasm);
        List<String> calls = List.of("fact 0", "fact 1", "fact 6", "odds 0", "odds 25", "switch 0", "switch 1",
                "switch 2", "switch 7", "early 0", "early 6", "early -200");
        int compared = 0;
        for (String call : calls) {
            String[] parts = call.split(" ");
            long arg = Long.parseLong(parts[1]);
            String plenty = outcome(interpreted, parts[0], arg, 1_000_000);
            assertThat(plenty).as("%s completes with plenty of fuel", call).startsWith("returned");
            long needed = Long.parseLong(plenty.substring(plenty.lastIndexOf(' ') + 1));
            for (long budget = Math.max(1, needed - 40); budget <= needed + 3; budget++) {
                assertThat(outcome(compiled, parts[0], arg, budget)).as("%s with %d fuel", call, budget)
                        .isEqualTo(outcome(interpreted, parts[0], arg, budget));
                compared++;
            }
        }
        assertThat(compared).isGreaterThan(250);
    }

    @Test
    void aStartFunctionIsMeteredAlike() {
        byte[] wasm = Wat.compile(STARTS);
        List<String> interpreted = new ArrayList<>();
        List<String> compiled = new ArrayList<>();
        for (long budget = 1; budget <= 200; budget++) {
            interpreted.add(instantiation(interpreter.compile(wasm), budget));
            compiled.add(instantiation(compiler.compile(wasm), budget));
        }
        assertThat(compiled).isEqualTo(interpreted);
        assertThat(interpreted).contains("out of fuel").anyMatch(s -> s.startsWith("started"));
    }

    @Test
    void theRewrittenModuleKeepsTheOriginalsInterface() {
        byte[] wasm = Wat.compile(PROGRAMS);
        WasmModule m = compiler.compile(wasm);
        try (WasmInstance plain = m.instantiate(imports(), fuel(0));
             WasmInstance metered = m.instantiate(imports(), fuel(1_000_000))) {
            assertThat(machine(metered)).isNotInstanceOf(InterpreterMachine.class);
            assertThat(m.exports()).noneMatch(e -> e.name().startsWith("caxton:"));
            assertThat(metered.call("fact", 5)).containsExactly(120L);
            assertThat(metered.global("calls")).isEqualTo(5);
            assertThat(metered.mutableGlobals()).as("the fuel global is not part of a snapshot")
                    .hasSize(plain.mutableGlobals().length);
            long used = metered.fuelUsed();
            metered.restoreMutableGlobals(new long[] {0});
            assertThat(metered.call("fact", 5)).containsExactly(120L);
            assertThat(metered.fuelUsed()).as("restoring globals leaves the budget alone").isEqualTo(used);
        }
    }

    private static com.dylibso.chicory.runtime.Machine machine(WasmInstance inst) {
        return ((GuardedMachine) ((ChicoryInstance) inst).chicory().getMachine()).delegate();
    }

    /** Calls once on a fresh instance: what came back and the fuel used, or how it failed. */
    private static String outcome(WasmModule module, String function, long arg, long budget) {
        try (WasmInstance inst = module.instantiate(imports(), fuel(budget))) {
            try {
                long[] out = inst.call(function, arg);
                return "returned " + Arrays.toString(out) + " using " + inst.fuelUsed();
            } catch (WasmFuelExhaustedException e) {
                return "out of fuel: " + e.getMessage();
            } catch (WasmTrapException e) {
                return "trapped: " + e.getMessage();
            }
        }
    }

    private static String instantiation(WasmModule module, long budget) {
        try (WasmInstance inst = module.instantiate(Imports.NONE, fuel(budget))) {
            return "started " + Arrays.toString(inst.call("get")) + " using " + inst.fuelUsed();
        } catch (WasmFuelExhaustedException e) {
            return "out of fuel";
        }
    }
}
