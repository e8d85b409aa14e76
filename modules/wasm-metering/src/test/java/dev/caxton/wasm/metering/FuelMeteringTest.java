package dev.caxton.wasm.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import dev.caxton.testkit.Wat;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The library on its own: what a metered module looks like, and that it counts its own fuel when
 * run (on Chicory's interpreter, which knows nothing of the metering).
 */
class FuelMeteringTest {

    private static final String MODULE = """
            (module
              (global $g (mut i32) (i32.const 7))
              (global $h i64 (i64.const 1))
              (func (export "sum") (param $n i32) (result i32) (local $total i32)
                (loop $again
                  (local.set $total (i32.add (local.get $total) (local.get $n)))
                  (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                  (br_if $again (i32.ge_s (local.get $n) (i32.const 1))))
                (local.get $total))
              (func (export "get") (result i32) global.get $g)
              (export "g" (global $g)))
            """;

    @Test
    void theFuelGlobalAndTheHelpersComeAfterEverythingTheModuleHas() {
        byte[] wasm = Wat.compile(MODULE);
        ModuleLayout before = ModuleLayout.of(wasm);

        FuelMetering.Metered metered = FuelMetering.instrument(wasm, "test:");
        ModuleLayout after = ModuleLayout.of(metered.bytes());

        assertThat(metered.fuelGlobal()).isEqualTo(before.globalCount()).isEqualTo(2);
        assertThat(after.globalCount()).isEqualTo(3);
        assertThat(metered.calls()).containsOnlyKeys("sum", "get").containsEntry("sum", "test:fuel:sum");
        assertThat(after.exports).extracting(ModuleLayout.Export::name)
                .containsSubsequence("sum", "get", "g", "test:fuel:sum", "test:fuel:get", metered.left(), metered.refill());
        assertThat(after.functions.subList(0, before.functions.size())).isEqualTo(before.functions);
    }

    @Test
    void withoutAPrefixOnlyTheGlobalIsAdded() {
        byte[] wasm = Wat.compile(MODULE);
        ModuleLayout before = ModuleLayout.of(wasm);
        FuelMetering.Metered metered = FuelMetering.instrument(wasm);
        ModuleLayout after = ModuleLayout.of(metered.bytes());
        assertThat(after.exports).isEqualTo(before.exports);
        assertThat(after.functions).isEqualTo(before.functions);
        assertThat(after.globalCount()).isEqualTo(before.globalCount() + 1);
        assertThat(metered.calls()).isEmpty();
        assertThat(metered.left()).isNull();
    }

    @Test
    void unwrappedExportsGetNoWrapper() {
        FuelMetering.Metered metered = FuelMetering.instrument(Wat.compile(MODULE), "test:", Set.of("get"), Integer.MAX_VALUE);
        assertThat(metered.calls()).containsOnlyKeys("sum");
    }

    @Test
    void aMeteredModuleCountsOneUnitPerInstructionExecuted() {
        FuelMetering.Metered metered = FuelMetering.instrument(Wat.compile(MODULE));
        Instance instance = Instance.builder(Parser.parse(metered.bytes())).build();
        for (int n : new int[] {1, 2, 10}) {
            instance.global(metered.fuelGlobal()).setValue(1_000);
            assertThat(instance.export("sum").apply(n)[0]).isEqualTo(n * (n + 1) / 2);
            // 12 per turn around the loop (the branch back does not count the loop again); the
            // loop, its end, local.get and the function's end once.
            long used = 1_000 - instance.global(metered.fuelGlobal()).getValue();
            assertThat(used).as("sum(%d)", n).isEqualTo(4 + 12L * n);
        }
        instance.global(metered.fuelGlobal()).setValue(20);
        assertThatThrownBy(() -> instance.export("sum").apply(10)).hasMessageContaining("unreachable");
        assertThat(instance.global(metered.fuelGlobal()).getValue()).as("below zero after running out").isNegative();
    }

    @Test
    void bytesItCannotStepOverAreRefusedWithTheirOffset() {
        byte[] wasm = Wat.compile(MODULE);
        assertThatThrownBy(() -> FuelMetering.instrument(new byte[] {1, 2, 3}, "test:"))
                .isInstanceOf(WasmReader.MalformedException.class).hasMessageContaining("byte offset 0x0");
        byte[] truncated = java.util.Arrays.copyOf(wasm, wasm.length - 3);
        assertThatThrownBy(() -> FuelMetering.instrument(truncated, "test:"))
                .isInstanceOf(WasmReader.MalformedException.class).hasMessageContaining("byte offset");
    }
}
