package dev.caxton.cli;

import dev.caxton.testkit.Wat;
import dev.caxton.testkit.WatAgents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code caxton agent check}: offline, with the real Chicory engine on the test class path. */
class AgentCheckTest {

    @TempDir
    Path dir;

    /** Runs the check with a configuration naming providers on the test class path. */
    private Cli.Result check(String... args) throws Exception {
        Path config = dir.resolve("caxton.yaml");
        if (!Files.exists(config)) {
            Files.writeString(config, LocalCommandTest.testConfig(0, dir.resolve("data")));
        }
        String[] all = new String[args.length + 4];
        all[0] = "agent";
        all[1] = "check";
        System.arraycopy(args, 0, all, 2, args.length);
        all[args.length + 2] = "--config";
        all[args.length + 3] = config.toString();
        return Cli.run(all);
    }

    private Path wasm(String name, String wat) throws Exception {
        return Files.write(dir.resolve(name + ".wasm"), Wat.compile(wat));
    }

    @Test
    void aGoodModuleIsOkWithItsAbiVersion() throws Exception {
        Cli.Result r = check(wasm("echo", WatAgents.ECHO).toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("echo.wasm: ok (ABI v1, engine chicory, imports: none)");

        Path v2 = wasm("v2", WatAgents.ECHO.replace("(memory (export \"memory\") 1)",
                "(memory (export \"memory\") 1) (func (export \"caxton_abi_version\") (result i32) (i32.const 2))"));
        assertThat(check(v2.toString()).out()).contains("ok (ABI v2");
    }

    @Test
    void everyProblemIsListedAtOnceWithHowToFixTheForeignOnes() throws Exception {
        Path bad = wasm("bad", """
                (module
                  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
                  (import "env" "abort" (func (param i32 i32 i32 i32)))
                  (import "caxton" "log" (func (param i32)))
                  (memory (export "memory") 1)
                  (func (export "alloc") (param i32) (result i32) (i32.const 0))
                  (func (export "dealloc") (param i32)))
                """);
        Cli.Result r = check(bad.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("bad.wasm: 5 problems")
                .contains("Missing required export: 'handle_message'")
                .contains("Export 'dealloc' has signature")
                .contains("Forbidden import: 'wasi_snapshot_preview1.fd_write'").contains("This is a WASI module")
                .contains("Forbidden import: 'env.abort'").contains("--use abort=")
                .contains("Import 'caxton.log' has signature");
    }

    @Test
    void aWasiModuleIsToldTheFlagAndPassesWithIt() throws Exception {
        Path wasi = wasm("wasi", WatAgents.ECHO.replace("(memory (export \"memory\") 1)",
                "(import \"wasi_snapshot_preview1\" \"fd_write\" (func (param i32 i32 i32 i32) (result i32)))"
                        + " (memory (export \"memory\") 1)"));
        Cli.Result without = check(wasi.toString());
        assertThat(without.code()).isEqualTo(1);
        assertThat(without.out()).contains("wasi_snapshot_preview1.fd_write").contains("deploy with --wasi");
        Cli.Result with = check(wasi.toString(), "--wasi");
        assertThat(with.code()).as(with.out() + with.err()).isZero();
        assertThat(with.out()).contains("wasi.wasm: ok (ABI v1, engine chicory, imports: wasi_snapshot_preview1.fd_write)");
    }

    @Test
    void anExtismPluginIsNamedAsOne() throws Exception {
        Path plugin = wasm("plugin", """
                (module
                  (import "extism:host/env" "input_length" (func (result i64)))
                  (memory (export "memory") 1)
                  (func (export "greet") (result i32) (i32.const 0)))
                """);
        Cli.Result r = check(plugin.toString(), "--output", "json");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("\"ok\" : false").contains("This is an Extism plugin (it imports extism:host/env.input_length)")
                .contains("--extism-function NAME").contains("it exports greet")
                // The demands of Caxton's own ABI are noise for a plugin of another host.
                .doesNotContain("Missing required export: 'alloc'");
        Cli.Result ok = check(plugin.toString(), "--extism-function", "greet");
        assertThat(ok.code()).as(ok.out() + ok.err()).isZero();
        assertThat(ok.out()).contains("ok (Extism plugin, function greet").contains("--extism-function greet");
        Cli.Result wrong = check(plugin.toString(), "--extism-function", "nope");
        assertThat(wrong.code()).isEqualTo(1);
        assertThat(wrong.out()).contains("--extism-function 'nope': the plugin exports no function of that name; it exports greet");
        Path odd = wasm("odd", """
                (module
                  (import "extism:host/env" "alloc" (func (param i32) (result i32)))
                  (import "extism:host/user" "teleport" (func (param i64) (result i64)))
                  (func (export "greet") (result i32) (i32.const 0)))
                """);
        Cli.Result all = check(odd.toString(), "--extism-function", "greet");
        assertThat(all.out()).as("every problem at once").contains("3 problems").contains("'memory'")
                .contains("extism:host/env.alloc' has signature").contains("extism:host/user.teleport");
    }

    @Test
    void anExtismPluginThatMakesHttpRequestsIsToldTheAllowHostFlag() throws Exception {
        Path fetcher = wasm("fetcher", """
                (module
                  (import "extism:host/env" "http_request" (func (param i64 i64) (result i64)))
                  (memory (export "memory") 1)
                  (func (export "fetch") (result i32) (i32.const 0)))
                """);
        Cli.Result r = check(fetcher.toString(), "--extism-function", "fetch");
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("--extism-function fetch [--extism-config KEY=VALUE]... [--extism-allow-host HOST]...")
                .contains("note: it imports http_request: every request is refused unless it is deployed with --extism-allow-host HOST");
        Cli.Result json = check(fetcher.toString(), "--extism-function", "fetch", "--output", "json");
        assertThat(json.out()).contains("\"notes\"").contains("--extism-allow-host HOST");
        Path quiet = wasm("quiet", """
                (module
                  (import "extism:host/env" "input_length" (func (result i64)))
                  (memory (export "memory") 1)
                  (func (export "greet") (result i32) (i32.const 0)))
                """);
        assertThat(check(quiet.toString(), "--extism-function", "greet").out()).as("no HTTP, no note")
                .doesNotContain("--extism-allow-host");
    }

    @Test
    void watSyntaxErrorsNameTheLineAndColumnAndAnUnknownVersionIsAProblem() throws Exception {
        Path wat = Files.writeString(dir.resolve("broken.wat"), "(module\n  (memory (export \"memory\") 1)\n  (func (export \"alloc\" (param i32))\n");
        Cli.Result r = check(wat.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).containsPattern("wat_module\\.wat:\\d+:\\d+");

        Path v9 = wasm("v9", WatAgents.ECHO.replace("(memory (export \"memory\") 1)",
                "(memory (export \"memory\") 1) (func (export \"caxton_abi_version\") (result i32) (i32.const 9))"));
        assertThat(check(v9.toString()).out()).contains("declares ABI version 9");
    }

    @Test
    void memoryBeyondTheDefaultLimitIsAProblem() throws Exception {
        Path big = wasm("big", WatAgents.ECHO.replace("(memory (export \"memory\") 1)", "(memory (export \"memory\") 400)"));
        Cli.Result r = check(big.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("cannot be instantiated under the default limits");
    }
}
