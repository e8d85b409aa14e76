package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 14 for C authors, through the built image: the C SDK's examples and a project made by
 * {@code caxton agent new --lang c}, each built with clang by its own build script and run against a
 * real node on both engines; the buffer-ownership agents (the reply is the input buffer, or static
 * data) under caxton.h's allocator, which traps on a double free; and a {@code --lang wat} project,
 * which needs no toolchain.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentSdkCTest {

    private static final List<String> ENGINES = List.of("chicory", "wasmtime");

    private Path dir;
    private Image.Server server;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("caxton-sdk-c");
        server = new Image.Server(Files.createDirectories(dir.resolve("node")), "");
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            assertThat(server.terminate()).isZero();
        }
    }

    private static boolean clang() {
        try {
            return exec(List.of(), null, "clang", "--version").exit() == 0 && exec(List.of(), null, "wasm-ld", "--version").exit() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static void assumeClang() {
        Assumptions.assumeTrue(clang(), "clang and lld are not installed (apt-get install -y clang lld; .ci/run does it);"
                + " the C SDK tests are skipped");
    }

    private static Image.Result exec(List<String> env, Path cwd, String... cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (cwd != null) {
            pb.directory(cwd.toFile());
        }
        for (String kv : env) {
            int eq = kv.indexOf('=');
            pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        Path out = Files.createTempFile("sdk-out", ".txt");
        Path err = Files.createTempFile("sdk-err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        try {
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", cmd) + " did not finish within 300s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        Image.Result r = new Image.Result(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
        return r;
    }

    /** Builds the SDK's examples and test agents with sdk/c/build.sh into a folder of this test. */
    private Path buildSdk() throws IOException {
        Path out = dir.resolve("sdk-build");
        if (!Files.exists(out.resolve("selftest.wasm"))) {
            Image.Result b = exec(List.of(), null, "sh", Image.ROOT.resolve("sdk/c/build.sh").toString(), out.toString());
            assertThat(b.exit()).as(b.out() + b.err()).isZero();
        }
        return out;
    }

    private void deploy(Path module, String name, String engine) {
        Image.Result r = server.cli("agent", "deploy", module.toString(), "--name", name, "--engine", engine);
        assertThat(r.exit()).as("deploy %s: %s %s", name, r.out(), r.err()).isZero();
    }

    /** Sends a request with the API and waits for the reply. */
    private JsonNode ask(String field, String to, String contentJson) throws Exception {
        HttpResponse<String> r = server.http("POST", "/api/v1/messages", """
                {"performative":"request","%s":"%s","content":%s,"wait_ms":30000}""".formatted(field, to, contentJson),
                server.token());
        assertThat(r.statusCode()).as(r.body()).isBetween(200, 299);
        return Image.JSON.readTree(r.body()).path("reply");
    }

    private JsonNode agent(String name) throws Exception {
        return server.api("GET", "/api/v1/agents/" + name, null);
    }

    @Test
    @DisplayName("the running-sum example keeps its total across messages and reads JSON properly, on both engines")
    void runningSum() throws Exception {
        assumeClang();
        Path wasm = buildSdk().resolve("running-sum.wasm");
        for (String engine : ENGINES) {
            String name = "sum-" + engine;
            deploy(wasm, name, engine);
            assertThat(ask("receiver", name, "5").path("content").toString()).isEqualTo("{\"sum\":5,\"count\":1}");
            assertThat(ask("receiver", name, "[1, 2.5, -0.25]").path("content").toString())
                    .isEqualTo("{\"sum\":8.25,\"count\":4}");
            // "add" inside a string is not the key: only the real member counts.
            JsonNode r = ask("receiver", name, "{\"note\":\"\\\"add\\\":100\",\"add\":3}");
            assertThat(r.path("performative").asText()).isEqualTo("inform");
            assertThat(r.path("content").toString()).isEqualTo("{\"sum\":11.25,\"count\":5}");
            JsonNode bad = ask("receiver", name, "[1, \"two\"]");
            assertThat(bad.path("performative").asText()).isEqualTo("not-understood");
            assertThat(bad.at("/content/reason").asText()).isEqualTo("the array holds something other than numbers");
            assertThat(agent(name).at("/counters/faults").asLong()).isZero();
        }
    }

    @Test
    @DisplayName("caxton.h's JSON reader, writer and allocator pass their checks inside a module on both engines")
    void selftest() throws Exception {
        assumeClang();
        Path wasm = buildSdk().resolve("selftest.wasm");
        for (String engine : ENGINES) {
            // init runs the checks and returns the number of the first that fails: a failure refuses the module.
            Image.Result t = Image.run("agent", "test", wasm.toString(), "--engine", engine);
            assertThat(t.exit()).as(t.out() + t.err()).isZero();
            assertThat(t.out()).contains("message 1: inform \"selftest passed\"");
        }
    }

    @Test
    @DisplayName("the capability-routing example registers in init and answers requests routed by capability")
    void capabilityRouter() throws Exception {
        assumeClang();
        Path wasm = buildSdk().resolve("capability-router.wasm");
        for (String engine : ENGINES) {
            String name = "upper-" + engine;
            deploy(wasm, name, engine);
            JsonNode r = ask("capability", "text.upper", "\"h\\u00e9llo \\\"q\\\"\\n\"");
            assertThat(r.path("performative").asText()).isEqualTo("inform");
            assertThat(r.at("/content/upper").asText()).isEqualTo("HéLLO \"Q\"\n");
            assertThat(r.at("/content/for").asText()).startsWith("client-");
            assertThat(r.path("sender").asText()).startsWith("upper-");
            JsonNode refused = ask("receiver", name, "{\"not\":\"a string\"}");
            assertThat(refused.path("performative").asText()).isEqualTo("not-understood");
            assertThat(server.cli("agent", "undeploy", name).exit()).isZero();
        }
    }

    @Test
    @DisplayName("a reply that is the input buffer or static data is never freed twice under a trapping allocator (ABI v2)")
    void ownership() throws Exception {
        assumeClang();
        Path build = buildSdk();
        for (String engine : ENGINES) {
            deploy(build.resolve("echo-input.wasm"), "echo-input-" + engine, engine);
            deploy(build.resolve("echo-static.wasm"), "echo-static-" + engine, engine);
            for (int i = 0; i < 200; i++) {
                JsonNode echoed = ask("receiver", "echo-input-" + engine, "{\"i\":" + i + ",\"pad\":\"" + "x".repeat(i * 7) + "\"}");
                assertThat(echoed.at("/content/i").asInt()).as("echo %d on %s", i, engine).isEqualTo(i);
                JsonNode fixed = ask("receiver", "echo-static-" + engine, Integer.toString(i));
                assertThat(fixed.path("content").asText()).as("static %d on %s", i, engine).isEqualTo("static");
            }
            for (String agent : List.of("echo-input-" + engine, "echo-static-" + engine)) {
                JsonNode a = agent(agent);
                assertThat(a.at("/counters/faults").asLong()).as("%s faults", agent).isZero();
                assertThat(a.at("/counters/messages_handled").asLong()).as("%s handled", agent).isEqualTo(200);
            }
        }
        // The detector works: the same echo declaring ABI v1 is freed twice and its allocator traps.
        deploy(build.resolve("echo-input-v1.wasm"), "echo-v1", "chicory");
        JsonNode r = ask("receiver", "echo-v1", "1");
        assertThat(r.path("performative").asText()).isEqualTo("failure");
        assertThat(agent("echo-v1").at("/counters/faults").asLong()).isEqualTo(1);
    }

    @Test
    @DisplayName("caxton agent new --lang c writes a project whose build.sh builds an agent that runs on both engines")
    void newCProject() throws Exception {
        assumeClang();
        Path project = dir.resolve("greeter");
        Image.Result made = Image.run("agent", "new", "greeter", "--lang", "c", "--dir", project.toString());
        assertThat(made.exit()).as(made.err()).isZero();
        Image.Result built = exec(List.of(), project, "./build.sh");
        assertThat(built.exit()).as(built.out() + built.err()).isZero();
        Path wasm = project.resolve("greeter.wasm");
        for (String engine : ENGINES) {
            Image.Result t = Image.run("agent", "test", wasm.toString(), "--content", "\"Ada\"", "--repeat", "2",
                    "--engine", engine);
            assertThat(t.exit()).as(t.out() + t.err()).isZero();
            assertThat(t.out()).contains("init log info: greeter ready")
                    .contains("message 2: inform {\"greeting\":\"hello, Ada\",\"given\":2}")
                    .containsPattern("fuel max [1-9]");
            deploy(wasm, "greeter-" + engine, engine);
            assertThat(ask("receiver", "greeter-" + engine, "\"Bob\"").at("/content/greeting").asText()).isEqualTo("hello, Bob");
        }
    }

    @Test
    @DisplayName("caxton agent new --lang wat writes a project that checks, tests and deploys without any toolchain")
    void newWatProject() throws Exception {
        Path project = dir.resolve("counter");
        Image.Result made = Image.run("agent", "new", "counter", "--lang", "wat", "--dir", project.toString());
        assertThat(made.exit()).as(made.err()).isZero();
        Image.Result built = exec(List.of("CAXTON=" + Image.launcher()), project, "./build.sh");
        assertThat(built.exit()).as(built.out() + built.err()).isZero();
        assertThat(built.out()).contains(": ok (ABI v2");
        for (String engine : ENGINES) {
            Image.Result t = Image.run("agent", "test", project.resolve("counter.wat").toString(), "--content", "1",
                    "--repeat", "3", "--engine", engine);
            assertThat(t.exit()).as(t.out() + t.err()).isZero();
            assertThat(t.out()).contains("on " + engine).contains("message 3: inform {\"count\":3}");
        }
        Image.Result d = server.cli("agent", "deploy", project.resolve("counter.wat").toString(), "--name", "counter");
        assertThat(d.exit()).as(d.err()).isZero();
        assertThat(ask("receiver", "counter", "null").at("/content/count").asInt()).isEqualTo(1);
    }
}
