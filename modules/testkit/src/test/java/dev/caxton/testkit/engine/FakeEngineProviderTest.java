package dev.caxton.testkit.engine;

import static dev.caxton.spi.engine.ValueType.I32;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.MemoryAccessException;
import dev.caxton.spi.engine.WasmCompileException;
import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmLinkException;
import dev.caxton.spi.engine.WasmModule;
import dev.caxton.spi.engine.WasmTrapException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scripted engine behaves like an engine where the code under test can tell. */
class FakeEngineProviderTest {

    private static final FunctionType LOG = FunctionType.of(List.of(I32, I32, I32), List.of());
    private static final FunctionType ADD = FunctionType.of(List.of(I32, I32), List.of(I32));

    @TempDir
    Path dir;

    private final FakeEngineProvider provider = new FakeEngineProvider();

    private WasmEngine engine() {
        return provider.create(new ProviderContext(ProviderConfig.empty(), dir, "n1"));
    }

    private byte[] module() {
        return provider.define("hello", FakeEngineProvider.Script.builder()
                .memoryPages(1)
                .imports("caxton", "log", LOG)
                .function("add", ADD, (call, args) -> new long[] {args[0] + args[1]})
                .function("hello", FunctionType.of(List.of(), List.of()), (call, args) -> {
                    call.memory().write(8, "hello".getBytes(StandardCharsets.UTF_8));
                    return call.host("caxton", "log", 2, 8, 5);
                })
                .function("boom", FunctionType.of(List.of(), List.of()), (call, args) -> {
                    throw new IllegalStateException("scripted failure");
                })
                .global("answer", 42)
                .build());
    }

    @Test
    void runsScriptedExportsWithMemoryAndHostFunctions() {
        List<String> logged = new ArrayList<>();
        HostFunction log = new HostFunction("caxton", "log", LOG, (memory, args) -> {
            logged.add(new String(memory.read(args[1], (int) args[2]), StandardCharsets.UTF_8));
            return new long[0];
        });
        WasmModule m = engine().compile(module());
        assertThat(m.imports()).singleElement().satisfies(i -> assertThat(i.name()).isEqualTo("log"));
        assertThat(m.export("memory")).isPresent();
        try (WasmInstance i = m.instantiate(Imports.of(List.of(log)), new InstanceLimits(1 << 20, Duration.ZERO, 0))) {
            assertThat(i.call("add", 2, 3)).containsExactly(5);
            i.call("hello");
            assertThat(logged).containsExactly("hello");
            assertThat(i.global("answer")).isEqualTo(42);
            assertThat(i.memory().grow(1)).isEqualTo(1);
            assertThat(i.memory().size()).isEqualTo(2 * InstanceLimits.PAGE_SIZE);
            assertThatThrownBy(() -> i.memory().read(i.memory().size() - 1, 2)).isInstanceOf(MemoryAccessException.class);
            assertThatThrownBy(() -> i.call("boom")).isInstanceOf(WasmTrapException.class).hasMessageContaining("scripted failure");
        }
    }

    @Test
    void refusesWhatARealEngineWouldRefuse() {
        WasmEngine e = engine();
        assertThatThrownBy(() -> e.compile(new byte[] {0, 'a', 's', 'm'})).isInstanceOf(WasmCompileException.class);
        WasmModule m = e.compile(module());
        assertThatThrownBy(() -> m.instantiate(Imports.NONE, InstanceLimits.UNLIMITED))
                .isInstanceOf(WasmLinkException.class).hasMessageContaining("caxton.log");
        HostFunction wrongType = new HostFunction("caxton", "log", ADD, (memory, args) -> new long[] {0});
        assertThatThrownBy(() -> m.instantiate(Imports.of(List.of(wrongType)), InstanceLimits.UNLIMITED))
                .isInstanceOf(WasmLinkException.class);
        HostFunction log = new HostFunction("caxton", "log", LOG, (memory, args) -> new long[0]);
        assertThatThrownBy(() -> m.instantiate(Imports.of(List.of(log)), new InstanceLimits(1024, Duration.ZERO, 0)))
                .isInstanceOf(WasmLinkException.class).hasMessageContaining("pages");
    }
}
