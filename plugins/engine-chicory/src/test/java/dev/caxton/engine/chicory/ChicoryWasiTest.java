package dev.caxton.engine.chicory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.WasiConfig;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmLinkException;
import dev.caxton.spi.engine.WasmModule;
import dev.caxton.spi.engine.WasmTrapException;
import dev.caxton.testkit.Wat;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Chicory's WASI preview 1 as the engine offers it: output to the given streams, working clocks and
 * random numbers, nothing of the host (no directories, no environment, empty stdin), and
 * {@code proc_exit} as a trap naming the exit code.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ChicoryWasiTest {

    private static final InstanceLimits LIMITS = new InstanceLimits(16L << 20, Duration.ofSeconds(30), 0);

    /** Memory layout: an iovec at 0 (pointer, length), the text at 16, results from 64. */
    static final String PROBE = """
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
              (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
              (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
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
              (func (export "random") (result i64)
                (drop (call $random (i32.const 64) (i32.const 16)))
                (i64.or (i64.load (i32.const 64)) (i64.load (i32.const 72))))
              (func (export "env") (result i32)
                (drop (call $env_sizes (i32.const 64) (i32.const 68)))
                (i32.load (i32.const 64)))
              (func (export "preopen") (result i32)
                (call $prestat (i32.const 3) (i32.const 64)))
              (func (export "exit") (param i32) (call $exit (local.get 0))))
            """;

    private static ChicoryEngine engine(Path dataDir, String mode) {
        ProviderConfig config = ProviderConfig.of("runtime.chicory", Map.of("mode", mode));
        return (ChicoryEngine) new ChicoryEngineProvider().create(ProviderContext.of(config, dataDir));
    }

    @ParameterizedTest
    @ValueSource(strings = {"interpreter", "compiler"})
    void aSandboxedWasiWritesToTheGivenStreamsAndGivesNothingOfTheHost(String mode, @TempDir Path dataDir) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (ChicoryEngine engine = engine(dataDir, mode)) {
            assertThat(engine.features().wasi()).isTrue();
            WasmModule module = engine.compile(Wat.compile(PROBE));
            try (WasmInstance inst = module.instantiate(Imports.NONE, LIMITS, new WasiConfig(List.of(), Map.of(), out, err))) {
                assertThat(inst.call("write", 1)[0]).isZero();
                assertThat(inst.call("write", 2)[0]).isZero();
                assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("hello wasi\n");
                assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("hello wasi\n");
                assertThat(inst.call("read")[0]).as("bytes read from stdin").isZero();

                long now = inst.call("now")[0];
                assertThat(now / 1_000_000).isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(3_600_000L));
                assertThat(inst.call("random")[0]).as("16 random bytes are not all zero").isNotZero();
                assertThat(inst.call("env")[0]).as("environment variables").isZero();
                assertThat(inst.call("preopen")[0]).as("errno of fd_prestat_get(3): EBADF, no preopened directory").isEqualTo(8);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3})
    void procExitEndsTheCallWithTheExitCode(int code, @TempDir Path dataDir) {
        try (ChicoryEngine engine = engine(dataDir, "compiler")) {
            WasmModule module = engine.compile(Wat.compile(PROBE));
            WasiConfig wasi = new WasiConfig(List.of(), Map.of(), new ByteArrayOutputStream(), new ByteArrayOutputStream());
            try (WasmInstance inst = module.instantiate(Imports.NONE, LIMITS, wasi)) {
                assertThatThrownBy(() -> inst.call("exit", code))
                        .isInstanceOf(WasmTrapException.class)
                        .hasMessageContaining("proc_exit with exit code " + code);
            }
        }
    }

    @Test
    void withoutWasiTheImportsDoNotLink(@TempDir Path dataDir) {
        try (ChicoryEngine engine = engine(dataDir, "compiler")) {
            WasmModule module = engine.compile(Wat.compile(PROBE));
            assertThatThrownBy(() -> module.instantiate(Imports.NONE, LIMITS))
                    .isInstanceOf(WasmLinkException.class)
                    .hasMessageContaining("wasi_snapshot_preview1.fd_write");
        }
    }
}
