package dev.caxton.wasm.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.ValType;
import dev.caxton.testkit.Wat;
import dev.caxton.wasm.metering.FuelMetering.Counter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The fuel counter kept in a function's local against the one kept in the global alone: the same
 * modules, run side by side on Chicory's interpreter with the same budgets, must use the same fuel,
 * run out at the same instruction (the same fuel left, below zero, after the trap), and show host
 * functions the same fuel left at every host call.
 */
class FuelCounterTest {

    /** How much one call may use in the corpus runs: enough for every spec export, bounded for runaways. */
    private static final long BUDGET = 50_000;

    private static final String PROGRAMS = """
            (module
              (import "env" "peek" (func $peek (result i64)))
              (import "env" "reenter" (func $reenter))
              (memory (export "memory") 1)
              (table 2 funcref)
              (elem (i32.const 0) $double $leaf)
              (type $unary (func (param i32) (result i32)))
              (func $double (type $unary) (i32.mul (local.get 0) (i32.const 2)))
              (func $leaf (export "leaf") (param i32) (result i32)
                (local.get 0) (i32.const 1) (i32.add))
              ;; a loop that asks the host for the fuel left on every turn, and stores what it saw
              (func (export "peeks") (param $n i32) (result i64) (local $sum i64)
                (block $done
                  (loop $again
                    (br_if $done (i32.eqz (local.get $n)))
                    (i64.store (i32.shl (local.get $n) (i32.const 3)) (call $peek))
                    (local.set $sum (i64.add (local.get $sum) (i64.load (i32.shl (local.get $n) (i32.const 3)))))
                    (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                    (br $again)))
                (local.get $sum))
              ;; the host calls back into the instance, which spends fuel in there
              (func (export "reenters") (param $n i32) (result i32)
                (loop $again
                  (call $reenter)
                  (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                  (br_if $again (i32.gt_s (local.get $n) (i32.const 0))))
                (local.get $n))
              (func $fib (export "fib") (param $n i32) (result i32)
                (if (result i32) (i32.lt_s (local.get $n) (i32.const 2))
                  (then (local.get $n))
                  (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                                 (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
              (func (export "indirect") (param $n i32) (result i32) (local $acc i32)
                (loop $again
                  (local.set $acc (i32.add (local.get $acc)
                    (call_indirect (type $unary) (local.get $n) (i32.and (local.get $n) (i32.const 1)))))
                  (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                  (br_if $again (i32.gt_s (local.get $n) (i32.const 0))))
                (local.get $acc))
              ;; traps on turn $n with a division by zero, after storing every turn
              (func (export "trapsMidLoop") (param $n i32) (result i32) (local $i i32)
                (loop $again
                  (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $i))
                  (drop (i32.div_u (i32.const 1) (i32.sub (local.get $n) (local.get $i))))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br $again))
                (i32.const 0))
              ;; a callee that runs out in its own loop, called from a loop
              (func $spin (param $n i32) (result i32)
                (loop $again
                  (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                  (br_if $again (i32.gt_s (local.get $n) (i32.const 0))))
                (local.get $n))
              (func (export "callsSpinner") (param $n i32) (result i32) (local $acc i32)
                (loop $again
                  (local.set $acc (i32.add (local.get $acc) (call $spin (local.get $n))))
                  (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                  (br_if $again (i32.gt_s (local.get $n) (i32.const 0))))
                (local.get $acc))
              ;; leaves by return from inside a loop, and by branches to the function's own label
              (func (export "leaves") (param $n i32) (result i32)
                (loop $again
                  (if (i32.gt_s (local.get $n) (i32.const 40)) (then (return (local.get $n))))
                  (br_if 1 (i32.const 7) (i32.eq (local.get $n) (i32.const 13)))
                  (local.set $n (i32.add (local.get $n) (i32.const 3)))
                  (br $again))
                (i32.const -1))
              (func (export "leavesByTable") (param $n i32)
                (loop $again
                  (i32.store (i32.const 0) (local.get $n))
                  (local.set $n (i32.add (local.get $n) (i32.const 1)))
                  (br_table $again 1 (i32.and (local.get $n) (i32.const 3))))))
            """;

    @Test
    void theGlobalIsTouchedOnlyAtEntryExitsCallsAndTheFuelTrap() {
        byte[] wasm = Wat.compile("""
                (module
                  (func (export "count") (param $n i32) (result i32)
                    (loop $again
                      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                      (br_if $again (i32.gt_s (local.get $n) (i32.const 0))))
                    (local.get $n)))
                """);
        // Three runs (before the loop, the loop's body, after it). With the counter in the global,
        // each charge reads it twice and writes it once; with it in a local, the global is read on
        // entry and written before the end and in each charge's trap, which runs once at most.
        assertThat(globalAccesses(FuelMetering.instrument(wasm, Counter.IN_GLOBAL))).isEqualTo(9);
        assertThat(globalAccesses(FuelMetering.instrument(wasm, Counter.IN_LOCAL))).isEqualTo(5);
        assertThat(globalAccesses(FuelMetering.instrument(wasm))).as("the default").isEqualTo(5);
    }

    @Test
    void hostsSeeTheFuelLeftAtEveryCallAsWithTheGlobalAlone() {
        Subject local = new Subject(Wat.compile(PROGRAMS), Counter.IN_LOCAL);
        Subject global = new Subject(Wat.compile(PROGRAMS), Counter.IN_GLOBAL);
        Observation seen = local.call("peeks", 1_000, 5);
        assertThat(seen).isEqualTo(global.call("peeks", 1_000, 5));
        // The host saw the fuel go down from call to call: had the local not been written back
        // before each call, it would have seen the budget every time.
        assertThat(seen.seen()).hasSize(5).doesNotHaveDuplicates().allMatch(left -> left < 1_000);
        // What the guest stored of it, turn by turn, is the same too.
        assertThat(local.instance.memory().readLong(8)).isEqualTo(global.instance.memory().readLong(8));
    }

    @Test
    void handWrittenProgramsUseTheSameFuelAndRunOutAtTheSameInstruction() {
        byte[] wasm = Wat.compile(PROGRAMS);
        Object[][] calls = {
            {"peeks", 20}, {"reenters", 6}, {"fib", 7}, {"indirect", 9}, {"trapsMidLoop", 5},
            {"callsSpinner", 12}, {"leaves", 0}, {"leaves", 1}, {"leaves", 2}, {"leaves", 10}, {"leaf", 4},
            {"leavesByTable", 1}, {"leavesByTable", 2},
        };
        for (Object[] call : calls) {
            String export = (String) call[0];
            long[] args = {((Integer) call[1]).longValue()};
            compareEveryBudget(wasm, export, args);
        }
    }

    @Test
    void theSpecSuiteModulesCountAlike() throws IOException {
        String property = System.getProperty("caxton.wasmSpec");
        Path json = property == null ? null : Path.of(property, "json");
        assumeTrue(json != null && Files.isDirectory(json), "the WebAssembly spec suite is not beside the project");
        List<Path> modules;
        try (Stream<Path> files = Files.walk(json)) {
            modules = files.filter(p -> p.toString().endsWith(".wasm")).sorted().toList();
        }
        int compared = compareCorpus(modules);
        // Most of the files are modules the spec expects to be refused; several hundred are not.
        assertThat(compared).as("spec modules run under both counters").isGreaterThan(300);
    }

    @Test
    void theTestAgentsCountAlike() throws IOException {
        Path agents = Path.of(System.getProperty("caxton.agents", "../../tests/agents"));
        assumeTrue(Files.isDirectory(agents), "tests/agents is not there");
        List<Path> modules;
        try (Stream<Path> files = Files.walk(agents)) {
            modules = files.filter(p -> p.toString().endsWith(".wasm")).sorted().toList();
        }
        assertThat(compareCorpus(modules)).as("agents run under both counters").isGreaterThanOrEqualTo(10);
    }

    /**
     * Runs every export of every module that both forms can instantiate (numeric parameters, zero
     * arguments) under both counters in lockstep, with the corpus budget and then with budgets
     * that run out part of the way.
     *
     * @return how many modules were compared
     */
    private static int compareCorpus(List<Path> files) throws IOException {
        int compared = 0;
        for (Path file : files) {
            byte[] wasm = Files.readAllBytes(file);
            Subject local;
            Subject global;
            try {
                Parser.parse(wasm);   // the suite's malformed and invalid modules stop here
                local = new Subject(wasm, Counter.IN_LOCAL);
                global = new Subject(wasm, Counter.IN_GLOBAL);
            } catch (RuntimeException | StackOverflowError e) {
                continue;
            }
            compared++;
            for (String export : local.numericExports()) {
                long[] args = new long[local.instance.exportType(export).params().size()];
                String what = file.getFileName() + " " + export;
                Observation full = local.call(export, BUDGET, args);
                assertThat(full).as(what).isEqualTo(global.call(export, BUDGET, args));
                long used = BUDGET - full.left();
                if (full.outcome().startsWith("ok") && used > 0) {
                    for (long budget : new long[] {used - 1, used / 2}) {
                        assertThat(local.call(export, budget, args)).as("%s with %d", what, budget)
                                .isEqualTo(global.call(export, budget, args));
                    }
                }
            }
        }
        return compared;
    }

    /**
     * Calls one export on both forms with every budget from zero to what the call uses, and checks
     * both behave alike each time. (The programs' results do not depend on what earlier calls left
     * in memory, so the two instances serve every budget.)
     */
    private static void compareEveryBudget(byte[] wasm, String export, long[] args) {
        Subject inLocal = new Subject(wasm, Counter.IN_LOCAL);
        Subject inGlobal = new Subject(wasm, Counter.IN_GLOBAL);
        Observation full = inLocal.call(export, BUDGET, args);
        assertThat(full).as(export).isEqualTo(inGlobal.call(export, BUDGET, args));
        long used = BUDGET - full.left();
        if (!full.outcome().startsWith("ok")) {
            return;
        }
        for (long budget = 0; budget <= used; budget++) {
            Observation local = inLocal.call(export, budget, args);
            assertThat(local).as("%s%s with %d", export, Arrays.toString(args), budget)
                    .isEqualTo(inGlobal.call(export, budget, args));
            assertThat(local.outcome()).as("%s with %d", export, budget)
                    .startsWith(budget < used ? "out of fuel" : "ok");
        }
    }

    /** How many global.get and global.set of the fuel global the metered module's code holds. */
    private static int globalAccesses(FuelMetering.Metered metered) {
        byte[] bytes = metered.bytes();
        ModuleLayout layout = ModuleLayout.of(bytes);
        Section code = layout.section(ModuleLayout.CODE);
        WasmReader r = new WasmReader(bytes, code.entriesStart(), code.end());
        int count = 0;
        for (int k = 0; k < code.count(); k++) {
            int size = r.u32Int("a body size");
            int end = r.pos() + size;
            long groups = r.u32("groups");
            for (long g = 0; g < groups; g++) {
                r.u32("count");
                r.u8("type");
            }
            while (r.pos() < end) {
                int op = r.u8("an opcode");
                if (op == 0x23 || op == 0x24) {
                    count += r.u32("a global") == metered.fuelGlobal() ? 1 : 0;
                } else if (op == Instructions.BLOCK || op == Instructions.LOOP || op == Instructions.IF) {
                    Instructions.blockType(r);
                } else {
                    Instructions.skipImmediates(r, op);
                }
            }
        }
        return count;
    }

    /**
     * What one call did: its results or how it failed, the fuel left after it (for a call that
     * returned or ran out of fuel), and the fuel left each host function saw.
     */
    record Observation(String outcome, long left, List<Long> seen) {
    }

    /**
     * One instance of a module metered one way. Its imported functions record the fuel left when
     * called and return zeros, except {@code env.peek}, which returns the fuel left, and
     * {@code env.reenter}, which calls the instance's {@code leaf} export.
     */
    private static final class Subject {
        final WasmModule module;
        final Instance instance;
        final GlobalInstance fuel;
        final List<Long> seen = new ArrayList<>();

        Subject(byte[] wasm, Counter counter) {
            FuelMetering.Metered metered = FuelMetering.instrument(wasm, counter);
            this.module = Parser.parse(metered.bytes());
            ImportValues.Builder imports = ImportValues.builder();
            int count = module.importSection().importCount();
            for (int i = 0; i < count; i++) {
                Import imp = module.importSection().getImport(i);
                if (!(imp instanceof FunctionImport f)) {
                    throw new IllegalArgumentException("only imported functions are stubbed: " + imp);
                }
                FunctionType type = module.typeSection().getType(f.typeIndex());
                imports.addFunction(new HostFunction(imp.module(), imp.name(), type, host(imp.name(), type, metered)));
            }
            // The start function would run before any budget is set, in either form alike.
            // Memory is capped at 4 MiB past what the module starts with (the same cap for both
            // forms, so growing fails at the same point), or the memory bomb agent takes minutes.
            this.instance = Instance.builder(module).withImportValues(imports.build()).withStart(false)
                    .withMemoryFactory(limits -> new ByteArrayMemory(new MemoryLimits(limits.initialPages(),
                            Math.min(limits.maximumPages(), limits.initialPages() + 64))))
                    .build();
            this.fuel = instance.global(metered.fuelGlobal());
        }

        private WasmFunctionHandle host(String name, FunctionType type, FuelMetering.Metered metered) {
            return (inst, args) -> {
                long left = inst.global(metered.fuelGlobal()).getValue();
                seen.add(left);
                long[] out = new long[type.returns().size()];
                if (name.equals("peek") && out.length == 1) {
                    out[0] = left;
                } else if (name.equals("reenter")) {
                    inst.export("leaf").apply(left & 7);
                }
                return out;
            };
        }

        List<String> numericExports() {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < module.exportSection().exportCount(); i++) {
                Export e = module.exportSection().getExport(i);
                if (e.exportType() == ExternalType.FUNCTION
                        && instance.exportType(e.name()).params().stream().allMatch(FuelCounterTest::numeric)) {
                    names.add(e.name());
                }
            }
            return names;
        }

        Observation call(String export, long budget, long... args) {
            seen.clear();
            fuel.setValue(budget);
            String outcome;
            try {
                outcome = "ok " + Arrays.toString(instance.export(export).apply(args));
            } catch (RuntimeException | StackOverflowError e) {
                long left = fuel.getValue();
                if (left < 0) {
                    outcome = "out of fuel";
                } else {
                    // Another trap: a local counter leaves the global where it last stored it, so
                    // only the kind of failure is compared (and it must not look like running out).
                    return new Observation("trap " + e.getClass().getSimpleName() + ": " + e.getMessage(), -1,
                            List.copyOf(seen));
                }
            }
            return new Observation(outcome, fuel.getValue(), List.copyOf(seen));
        }
    }

    private static boolean numeric(ValType t) {
        return t.equals(ValType.I32) || t.equals(ValType.I64) || t.equals(ValType.F32) || t.equals(ValType.F64);
    }
}
