package dev.caxton.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.runtime.plugin.Spi;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.ValueType;
import dev.caxton.spi.engine.WasiConfig;
import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.spi.engine.WasmEngineProvider;
import dev.caxton.spi.engine.WasmFuelExhaustedException;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmModule;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fuel budget means the same on both engines, on real compiled code: the calculator agent (C,
 * built with clang: loops, a JSON scanner, calls, switch tables) handles several messages on
 * Chicory and on Wasmtime, and the smallest budget each message needs, found by bisection, is the
 * same number on both. And a WASI agent (C with wasi-libc: printf, getenv, the WASI calls of its C
 * runtime) uses exactly the same fuel per call on both, each engine serving WASI its own way.
 */
class FuelParityTest {

    private static final List<String> MESSAGES = List.of(
            "{\"performative\":\"request\",\"content\":{\"op\":\"add\",\"a\":2,\"b\":40}}",
            "{\"performative\":\"request\",\"content\":{\"op\":\"div\",\"a\":-7000000000,\"b\":3}}",
            "{\"performative\":\"request\",\"content\":{\"op\":\"div\",\"a\":1,\"b\":0}}",
            "{\"performative\":\"request\",\"content\":{\"op\":\"pow\",\"a\":1,\"b\":2}}",
            "{\"performative\":\"request\",\"content\":\"not an object\"}");

    @TempDir
    Path data;

    @Test
    void theSmallestSufficientBudgetIsTheSameOnBothEngines() throws Exception {
        byte[] calculator = Files.readAllBytes(Image.example("c/calculator/calculator.wasm"));
        Map<String, List<Long>> costs = onEachEngine((engineName, engine) -> {
            WasmModule module = engine.compile(calculator);
            return MESSAGES.stream().map(m -> smallestBudget(module, m)).toList();
        });
        assertThat(costs.get("chicory")).allSatisfy(c -> assertThat(c).as("a real amount of work").isGreaterThan(200));
        assertThat(costs.get("wasmtime")).as("costs per message, Chicory's being %s", costs.get("chicory"))
                .isEqualTo(costs.get("chicory"));
    }

    /** Bisects the budget with which handle_message completes; every trial on a fresh instance. */
    private static long smallestBudget(WasmModule module, String message) {
        long low = 1;
        long high = 1 << 24;
        assertThat(handles(module, message, high)).as("%s completes with %d fuel", message, high).isTrue();
        while (low < high) {
            long mid = (low + high) >>> 1;
            if (handles(module, message, mid)) {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        return low;
    }

    private static boolean handles(WasmModule module, String message, long fuel) {
        Imports imports = Imports.of(List.of(
                new HostFunction("caxton", "log", FunctionType.of(List.of(ValueType.I32, ValueType.I32, ValueType.I32),
                        List.of()), (memory, args) -> new long[0]),
                new HostFunction("caxton", "register_capability",
                        FunctionType.of(List.of(ValueType.I32, ValueType.I32), List.of(ValueType.I32)),
                        (memory, args) -> new long[] {0})));
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        try (WasmInstance inst = module.instantiate(imports, new InstanceLimits(16L << 20, Duration.ofSeconds(30), fuel))) {
            long ptr;
            try {
                ptr = inst.call("alloc", bytes.length)[0];
            } catch (WasmFuelExhaustedException e) {
                // The budget is per call, and allocating costs far less than handling: too little
                // for alloc is too little for the message.
                return false;
            }
            inst.memory().write(ptr, bytes);
            try {
                long reply = inst.call("handle_message", ptr, bytes.length)[0];
                assertThat(reply).as("a reply to %s", message).isPositive();
                return true;
            } catch (WasmFuelExhaustedException e) {
                return false;
            }
        }
    }

    @Test
    void aWasiAgentUsesTheSameFuelPerCallOnBothEngines() throws Exception {
        byte[] agent = Files.readAllBytes(WasiAgentTest.build(data.resolve("wasi-agent.wasm")));
        // Its "args" answer depends on nothing but the arguments and environment, unlike its
        // clock and random answers, whose digits (and so whose fuel) change from call to call.
        byte[] message = "{\"performative\":\"request\",\"content\":\"args\"}".getBytes(StandardCharsets.UTF_8);
        Map<String, List<Long>> costs = onEachEngine((engineName, engine) -> {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            WasiConfig wasi = new WasiConfig(List.of("one", "two"), Map.of("CAXTON_GREETING", "hej"), out,
                    java.io.OutputStream.nullOutputStream());
            List<Long> perCall = new java.util.ArrayList<>();
            try (WasmInstance inst = engine.compile(agent).instantiate(Imports.NONE,
                    new InstanceLimits(16L << 20, Duration.ofSeconds(30), 1L << 30), wasi)) {
                inst.call("_initialize");
                perCall.add(inst.fuelUsed());
                inst.call("init");
                perCall.add(inst.fuelUsed());
                for (int i = 0; i < 3; i++) {
                    long ptr = inst.call("alloc", message.length)[0];
                    perCall.add(inst.fuelUsed());
                    inst.memory().write(ptr, message);
                    assertThat(inst.call("handle_message", ptr, message.length)[0]).isPositive();
                    perCall.add(inst.fuelUsed());
                }
            }
            assertThat(out.toString(StandardCharsets.UTF_8)).as("what it printed on %s", engineName)
                    .contains("wasi agent has 2 arguments [one|two], greeting hej");
            return perCall;
        });
        System.out.println("WASI agent, fuel per call (_initialize, init, 3 x alloc + handle_message): " + costs);
        assertThat(costs.get("chicory")).allSatisfy(c -> assertThat(c).as("fuel was metered").isPositive());
        assertThat(costs.get("wasmtime")).as("fuel per call (_initialize, init, then alloc and handle_message"
                + " three times), Chicory's being %s", costs.get("chicory")).isEqualTo(costs.get("chicory"));
    }

    /** What {@code measure} finds on each engine, by engine name, each engine with a data directory of its own. */
    private Map<String, List<Long>> onEachEngine(java.util.function.BiFunction<String, WasmEngine, List<Long>> measure) {
        Map<String, List<Long>> costs = new LinkedHashMap<>();
        PluginCatalog catalog = PluginCatalog.discover(null);
        for (String engineName : List.of("chicory", "wasmtime")) {
            WasmEngineProvider provider = catalog.select(Spi.ENGINE, engineName, WasmEngineProvider.class);
            try (WasmEngine engine = provider.create(ProviderContext.of(ProviderConfig.empty(),
                    data.resolve(engineName)))) {
                costs.put(engineName, measure.apply(engineName, engine));
            }
        }
        return costs;
    }
}
