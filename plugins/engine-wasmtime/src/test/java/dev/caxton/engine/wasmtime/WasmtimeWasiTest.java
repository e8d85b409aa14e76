package dev.caxton.engine.wasmtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.WasiConfig;
import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.testkit.Wat;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * This engine offers WASI (the conformance suite checks what it does, on every engine that offers
 * it); here, that it says so, and that the many WASI functions a wasi-libc program imports link.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class WasmtimeWasiTest {

    /** The preview 1 imports a C reactor built with wasi-libc commonly has, with their signatures. */
    private static final String LIBC_IMPORTS = """
            (module
              (import "wasi_snapshot_preview1" "fd_close" (func (param i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_fdstat_get" (func (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_seek" (func (param i32 i64 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "environ_get" (func (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "environ_sizes_get" (func (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "poll_oneoff" (func (param i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "sock_recv" (func (param i32 i32 i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "path_filestat_set_times"
                (func (param i32 i32 i32 i32 i64 i64 i32) (result i32)))
              (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
              (memory (export "memory") 1)
              (data (i32.const 16) "linked\\n")
              (func (export "hello") (result i32)
                (i32.store (i32.const 0) (i32.const 16))
                (i32.store (i32.const 4) (i32.const 7))
                (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 64))))
            """;

    @Test
    void offersWasiAndLinksWhatWasiLibcImports(@TempDir Path dataDir) {
        ProviderConfig config = ProviderConfig.empty();
        try (WasmEngine engine = new WasmtimeEngineProvider().create(ProviderContext.of(config, dataDir))) {
            assertThat(engine.features().wasi()).isTrue();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            WasiConfig wasi = new WasiConfig(List.of(), Map.of(), out, OutputStream.nullOutputStream());
            InstanceLimits limits = new InstanceLimits(1 << 20, Duration.ofSeconds(30), 0);
            try (WasmInstance inst = engine.compile(Wat.compile(LIBC_IMPORTS)).instantiate(Imports.NONE, limits, wasi)) {
                assertThat(inst.call("hello")).containsExactly(0L);
            }
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("linked\n");
        }
    }
}
