package dev.caxton.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue 14, item 4, through the built image: a C agent built with Debian's wasi-libc as a WASI
 * reactor (tests/agents/wasi/agent.c) prints to the agent's log, reads the clock and random bytes,
 * and answers messages when deployed with {@code --wasi}; without the flag it is refused with a
 * message naming it, by the node and by {@code caxton agent check}; {@code proc_exit} is a fault
 * naming the exit code; and a restart keeps the flag.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WasiAgentTest {

    private Path dir;
    private Path wasm;
    private Image.Server server;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("caxton-wasi");
        server = new Image.Server(Files.createDirectories(dir.resolve("node")), "");
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            assertThat(server.terminate()).isZero();
        }
    }

    /** Builds the agent once; skips when the toolchain is missing (.ci/run installs it). */
    private Path agent() throws IOException, InterruptedException {
        if (wasm == null) {
            wasm = build(dir.resolve("wasi-agent.wasm"));
        }
        return wasm;
    }

    /**
     * Builds tests/agents/wasi/agent.c with wasi-libc as a reactor (FuelParityTest uses it too).
     *
     * @param out where the module goes
     * @return {@code out}
     */
    static Path build(Path out) throws IOException, InterruptedException {
        Assumptions.assumeTrue(Files.exists(Path.of("/usr/lib/wasm32-wasi/libc.a")) && onPath("clang") && onPath("wasm-ld")
                        && builtins(),
                "clang, lld and wasi-libc are not installed (apt-get install -y clang lld wasi-libc"
                        + " libclang-rt-14-dev-wasm32; .ci/run does it); the WASI agent tests are skipped");
        Process p = new ProcessBuilder("clang", "--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-mexec-model=reactor",
                "-Wl,--strip-all", "-o", out.toString(), Image.testAgent("wasi/agent.c").toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("clang finishes").isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        return out;
    }

    /** Whether clang finds its compiler-rt builtins for wasm32 (a package of their own on Debian). */
    private static boolean builtins() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("clang", "--target=wasm32-wasi", "-print-libgcc-file-name").redirectErrorStream(true).start();
        String path = new String(p.getInputStream().readAllBytes()).strip();
        return p.waitFor() == 0 && Files.exists(Path.of(path));
    }

    private static boolean onPath(String tool) {
        return Image.onPath(tool);
    }

    private JsonNode ask(String to, String contentJson) throws Exception {
        HttpResponse<String> r = server.http("POST", "/api/v1/messages", """
                {"performative":"request","receiver":"%s","content":%s,"wait_ms":30000}""".formatted(to, contentJson),
                server.token());
        assertThat(r.statusCode()).as(r.body()).isBetween(200, 299);
        return Image.JSON.readTree(r.body()).path("reply");
    }

    /** Waits for a line in the node's log (the agent's output is written there as it happens). */
    private void awaitLog(String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!server.log().contains(text)) {
            assertThat(System.nanoTime() < deadline).as("the node's log shows %s:%n%s", text, server.log()).isTrue();
            Thread.sleep(100);
        }
    }

    @Test
    @DisplayName("deployed with --wasi, the wasi-libc agent prints to its log, reads clock and entropy and answers, on both engines")
    void deployedWithWasi() throws Exception {
        Path module = agent();
        for (String engine : List.of("chicory", "wasmtime")) {
            String name = "wasi-" + engine;
            Image.Result d = server.cli("agent", "deploy", module.toString(), "--name", name, "--engine", engine, "--wasi");
            assertThat(d.exit()).as("deploy on %s: %s %s", engine, d.out(), d.err()).isZero();
            awaitLog("[" + name + "] wasi agent ready, base 1000");
            long before = System.currentTimeMillis() / 1000;
            JsonNode first = ask(name, "{\"n\":1}");
            assertThat(first.path("performative").asText()).as(first.toString()).isEqualTo("inform");
            assertThat(first.at("/content/count").asInt()).as("_initialize ran the constructors").isEqualTo(1001);
            assertThat(first.at("/content/seconds").asLong()).isBetween(before - 3600, before + 3600);
            JsonNode second = ask(name, "{\"n\":2}");
            assertThat(second.at("/content/count").asInt()).isEqualTo(1002);
            assertThat(second.at("/content/random")).as("random words differ between calls")
                    .isNotEqualTo(first.at("/content/random"));
            awaitLog("[" + name + "] wasi agent got message 2 of ");

            JsonNode exit = ask(name, "\"exit\"");
            assertThat(exit.path("performative").asText()).isEqualTo("failure");
            JsonNode info = server.api("GET", "/api/v1/agents/" + name, null);
            assertThat(info.at("/counters/faults").asLong()).isEqualTo(1);
            assertThat(info.path("last_fault").asText() + info.toString()).contains("exit code 7");
            // The instance is replaced after the fault and keeps working.
            assertThat(ask(name, "{\"n\":3}").path("performative").asText()).isEqualTo("inform");
        }
    }

    @Test
    @DisplayName("without --wasi the same module is refused by the node and by agent check, naming the flag")
    void refusedWithoutWasi() throws Exception {
        Path module = agent();
        Image.Result d = server.cli("agent", "deploy", module.toString(), "--name", "no-wasi");
        assertThat(d.exit()).isNotZero();
        assertThat(d.out() + d.err()).contains("wasi_snapshot_preview1.").contains("deploy with --wasi");

        Image.Result check = Image.run("agent", "check", module.toString());
        assertThat(check.exit()).isNotZero();
        assertThat(check.out() + check.err()).contains("wasi_snapshot_preview1.").contains("deploy with --wasi");
        Image.Result withFlag = Image.run("agent", "check", module.toString(), "--wasi");
        assertThat(withFlag.exit()).as(withFlag.out() + withFlag.err()).isZero();
        assertThat(withFlag.out()).contains("ok (ABI v2");
    }

    @Test
    @DisplayName("a restart brings a --wasi agent back with WASI, its arguments and its environment, on both engines")
    void restartKeepsTheFlag() throws Exception {
        Path module = agent();
        for (String engine : List.of("chicory", "wasmtime")) {
            Image.Result d = server.cli("agent", "deploy", module.toString(), "--name", "wasi-kept-" + engine, "--engine",
                    engine, "--wasi", "--wasi-arg", "first", "--wasi-arg", "second=2", "--wasi-env", "CAXTON_GREETING=hej");
            assertThat(d.exit()).as(d.out() + d.err()).isZero();
            awaitLog("[wasi-kept-" + engine + "] wasi agent has 2 arguments [first|second=2], greeting hej");
        }
        assertThat(server.terminate()).isZero();
        server = server.restart();
        for (String engine : List.of("chicory", "wasmtime")) {
            String name = "wasi-kept-" + engine;
            assertThat(server.api("GET", "/api/v1/agents/" + name, null).path("wasi").asBoolean()).isTrue();
            JsonNode r = ask(name, "{\"n\":1}");
            assertThat(r.path("performative").asText()).as(r.toString()).isEqualTo("inform");
            assertThat(r.at("/content/count").asInt()).isEqualTo(1001);
            JsonNode args = ask(name, "\"args\"");
            assertThat(args.at("/content/argc").asInt()).as(args.toString()).isEqualTo(2);
            assertThat(args.at("/content/args").asText()).isEqualTo("first|second=2");
            assertThat(args.at("/content/greeting").asText()).as("the restart kept the environment").isEqualTo("hej");
        }
    }

    @Test
    @DisplayName("without --wasi-arg or --wasi-env the agent sees no arguments and none of the host's environment")
    void noArgumentsOrEnvironmentUnlessGiven() throws Exception {
        Path module = agent();
        Image.Result d = server.cli("agent", "deploy", module.toString(), "--name", "wasi-bare", "--engine", "wasmtime",
                "--wasi");
        assertThat(d.exit()).as(d.out() + d.err()).isZero();
        JsonNode args = ask("wasi-bare", "\"args\"");
        assertThat(args.at("/content/argc").asInt()).as(args.toString()).isZero();
        assertThat(args.at("/content/greeting").asText()).isEmpty();
    }

    @Test
    @DisplayName("bad WASI arguments or environment get a clear error naming the field and the entry")
    void badArgumentsAreRefused() throws Exception {
        Path module = agent();
        Image.Result noFlag = server.cli("agent", "deploy", module.toString(), "--name", "wasi-bad", "--wasi-arg", "x");
        assertThat(noFlag.exit()).isNotZero();
        assertThat(noFlag.err()).contains("--wasi-arg").contains("add --wasi");
        Image.Result noEquals = server.cli("agent", "deploy", module.toString(), "--name", "wasi-bad", "--wasi",
                "--wasi-env", "JUSTANAME");
        assertThat(noEquals.exit()).isNotZero();
        assertThat(noEquals.err()).contains("--wasi-env: expected NAME=VALUE, got 'JUSTANAME'");

        String wasm = java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(module));
        HttpResponse<String> withoutWasi = server.http("POST", "/api/v1/agents", """
                {"name":"wasi-bad","wasm_module":"%s","wasi_env":{"A":"b"}}""".formatted(wasm), server.token());
        assertThat(withoutWasi.statusCode()).isEqualTo(400);
        assertThat(withoutWasi.body()).contains("wasi_env").contains("deploy with wasi");

        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 65; i++) {
            many.append(i == 0 ? "" : ",").append('"').append(i).append('"');
        }
        HttpResponse<String> tooMany = server.http("POST", "/api/v1/agents", """
                {"name":"wasi-bad","wasm_module":"%s","wasi":true,"wasi_args":[%s]}""".formatted(wasm, many), server.token());
        assertThat(tooMany.statusCode()).isEqualTo(400);
        assertThat(tooMany.body()).contains("field 'wasi_args' has 65 arguments; at most 64");

        HttpResponse<String> badName = server.http("POST", "/api/v1/agents", """
                {"name":"wasi-bad","wasm_module":"%s","wasi":true,"wasi_env":{"A=B":"c"}}""".formatted(wasm), server.token());
        assertThat(badName.statusCode()).isEqualTo(400);
        assertThat(badName.body()).contains("variable 'A=B'").contains("cannot contain '='");

        HttpResponse<String> notStrings = server.http("POST", "/api/v1/agents", """
                {"name":"wasi-bad","wasm_module":"%s","wasi":true,"wasi_env":{"A":1}}""".formatted(wasm), server.token());
        assertThat(notStrings.statusCode()).isEqualTo(400);
        assertThat(notStrings.body()).contains("field 'wasi_env' must be an object whose values are strings");
        assertThat(server.http("GET", "/api/v1/agents/wasi-bad", null, server.token()).statusCode()).isEqualTo(404);
    }
}
