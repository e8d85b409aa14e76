package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.runtime.plugin.Spi;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.ValueType;
import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.spi.engine.WasmEngineProvider;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmModule;
import dev.caxton.spi.engine.WasmTrapException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Rust and AssemblyScript SDKs as an author uses them: each example is built by its own
 * {@code build.sh} with the real toolchains (Debian's rustc/cargo with the wasm32 target; npm and
 * the pinned AssemblyScript compiler), a project laid out by the {@code agent new} templates is built
 * the same way, every module passes {@code caxton agent check}, and all of them run on a node of the
 * built image on both engines.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SdkRustAsTest {

    /** name the agents are deployed under -> built module */
    private final Map<String, Path> modules = new LinkedHashMap<>();
    private final Map<String, Image.Server> servers = new LinkedHashMap<>();
    private Path work;

    @BeforeAll
    void buildAndDeploy() throws Exception {
        boolean rust = Files.isExecutable(Path.of("/usr/bin/cargo")) && Files.isDirectory(Path.of("/usr/lib/rustlib/wasm32-unknown-unknown"));
        Assumptions.assumeTrue(rust, "Rust for wasm32 is missing: .ci/run installs rustc, cargo and libstd-rust-dev-wasm32 with apt-get");
        Assumptions.assumeTrue(onPath("npm"), "npm is missing: .ci/run installs it with apt-get");
        work = Files.createTempDirectory("caxton-sdk");

        Path sdk = Image.ROOT.resolve("sdk");
        modules.put("rs-sum", build(sdk.resolve("rust/examples/running-sum"), "running-sum.wasm"));
        modules.put("rs-upper", build(sdk.resolve("rust/examples/capability-router"), "capability-router.wasm"));
        modules.put("as-sum", build(sdk.resolve("assemblyscript/examples/running-sum"), "running-sum.wasm"));
        modules.put("as-reverse", build(sdk.resolve("assemblyscript/examples/capability-router"), "capability-router.wasm"));
        modules.put("rs-new", build(newProject("rust", "rs-new"), "rs-new.wasm"));
        modules.put("as-new", build(newProject("assemblyscript", "as-new"), "as-new.wasm"));

        List<String> sizes = new ArrayList<>();
        for (Map.Entry<String, Path> m : modules.entrySet()) {
            sizes.add(m.getKey() + " " + Files.size(m.getValue()) + " bytes");
        }
        // A figure for the report (what the release profiles and presets achieve), never asserted.
        System.out.println("SDK module sizes: " + String.join(", ", sizes));

        for (String engine : List.of("chicory", "wasmtime")) {
            Image.Server server = startServer(engine);
            servers.put(engine, server);
            for (Map.Entry<String, Path> m : modules.entrySet()) {
                Image.Result r = server.cli("agent", "deploy", m.getValue().toString(), "--name", m.getKey());
                assertThat(r.exit()).as("deploy %s on %s: %s %s", m.getKey(), engine, r.out(), r.err()).isZero();
            }
            // The running sums once more, on a tight memory limit, for memoryStaysBounded.
            for (String sum : List.of("rs-sum", "as-sum")) {
                Image.Result r = server.cli("agent", "deploy", modules.get(sum).toString(), "--name", sum + "-1mb", "--memory", "1MB");
                assertThat(r.exit()).as("deploy %s-1mb on %s: %s %s", sum, engine, r.out(), r.err()).isZero();
            }
        }
    }

    @AfterAll
    void stop() throws Exception {
        for (Image.Server s : servers.values()) {
            s.close();
        }
    }

    /**
     * A node on free ports. The ports are chosen free but released before the node binds them, and
     * other processes on a busy machine may take one meanwhile: then try again on new ports.
     */
    private Image.Server startServer(String engine) throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            Path dir = Files.createDirectories(work.resolve("node-" + engine + "-" + attempt));
            try {
                return new Image.Server(dir, "runtime:\n  engine: " + engine + "\n");
            } catch (AssertionError e) {
                if (attempt == 3 || !String.valueOf(e.getMessage()).contains("Address already in use")) {
                    throw e;
                }
            }
        }
    }

    private static boolean onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, tool)));
    }

    /** Runs the project's own build script and returns the module it builds. */
    private Path build(Path project, String output) throws IOException, InterruptedException {
        Path log = work.resolve(project.getFileName() + "-build.log");
        Process p = new ProcessBuilder(project.resolve("build.sh").toString()).directory(project.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        // Generous: the first AssemblyScript build downloads the compiler from npm.
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(project + "/build.sh did not finish in 15 minutes:\n" + Files.readString(log));
        }
        assertThat(p.exitValue()).as("%s/build.sh:\n%s", project, Files.readString(log)).isZero();
        Path module = project.resolve(output);
        assertThat(module).as("built by %s/build.sh", project).isRegularFile();
        return module;
    }

    /** A project written by the image's own {@code caxton agent new}, as an author would start one. */
    private Path newProject(String lang, String name) {
        Path project = work.resolve(name);
        Image.Result r = Image.run("agent", "new", name, "--lang", lang, "--dir", project.toString());
        assertThat(r.exit()).as("agent new %s --lang %s: %s %s", name, lang, r.out(), r.err()).isZero();
        return project;
    }

    private JsonNode ask(String engine, String how, String to, String content) {
        Image.Result r = servers.get(engine).cli("message", "send", how, to, "--performative", "request",
                "--content", content, "--wait", "30s", "--output", "json");
        assertThat(r.exit()).as("send to %s %s on %s: %s %s", how, to, engine, r.out(), r.err()).isIn(0, 1);
        JsonNode reply = r.json().get("reply");
        assertThat(reply).as("a reply from %s on %s: %s", to, engine, r.out()).isNotNull();
        return reply;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chicory", "wasmtime"})
    @DisplayName("the running-sum examples (Rust and AssemblyScript) keep the total across messages")
    void runningSum(String engine) {
        for (String agent : List.of("rs-sum", "as-sum")) {
            JsonNode first = ask(engine, "--to", agent, "[1,2,3]");
            assertThat(first.get("performative").asText()).isEqualTo("inform");
            assertThat(first.get("sender").asText()).isEqualTo(agent);
            assertThat(first.at("/content/total").asDouble()).as(agent).isEqualTo(6.0);
            assertThat(first.at("/content/count").asInt()).isEqualTo(3);
            assertThat(ask(engine, "--to", agent, "4.5").at("/content/total").asDouble()).as(agent).isEqualTo(10.5);
            assertThat(ask(engine, "--to", agent, "[-0.5, 1e1]").at("/content/total").asDouble()).as(agent).isEqualTo(20.0);
            JsonNode last = ask(engine, "--to", agent, "[]");
            assertThat(last.at("/content/total").asDouble()).as(agent).isEqualTo(20.0);
            assertThat(last.at("/content/count").asInt()).isEqualTo(6);
            // Not a number: a not-understood that says what to send, and the total is untouched.
            JsonNode bad = ask(engine, "--to", agent, "{\"content\":\"[99]\",\"n\":\"x\"}");
            assertThat(bad.get("performative").asText()).isEqualTo("not-understood");
            assertThat(bad.at("/content/reason").asText()).contains("number");
            assertThat(ask(engine, "--to", agent, "0").at("/content/total").asDouble()).as(agent).isEqualTo(20.0);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chicory", "wasmtime"})
    @DisplayName("memory stays bounded: 60 messages of 28 KB through an agent limited to 1 MB (the arena and the collector reclaim each round)")
    void memoryStaysBounded(String engine) throws Exception {
        String numbers = "[" + String.join(",", java.util.Collections.nCopies(4000, "1234.5")) + "]";
        Image.Server server = servers.get(engine);
        for (String agent : List.of("rs-sum-1mb", "as-sum-1mb")) {
            JsonNode reply = null;
            for (int i = 1; i <= 60; i++) {
                String body = "{\"performative\":\"request\",\"receiver\":\"" + agent + "\",\"content\":" + numbers + ",\"wait_ms\":30000}";
                JsonNode r = Image.JSON.readTree(server.http("POST", "/api/v1/messages", body, server.token()).body());
                reply = r.get("reply");
                assertThat(reply).as("message %d to %s on %s: %s", i, agent, engine, r).isNotNull();
                assertThat(reply.get("performative").asText()).as("message %d to %s on %s: %s", i, agent, engine, reply).isEqualTo("inform");
            }
            assertThat(reply.at("/content/count").asLong()).as(agent).isEqualTo(60L * 4000);
            assertThat(reply.at("/content/total").asDouble()).as(agent).isEqualTo(60.0 * 4000 * 1234.5);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chicory", "wasmtime"})
    @DisplayName("the capability-routing examples answer requests addressed by capability")
    void capabilityRouting(String engine) {
        JsonNode upper = ask(engine, "--capability", "text.upper", "\"héllo \\\"world\\\"\"");
        assertThat(upper.get("sender").asText()).isEqualTo("rs-upper");
        assertThat(upper.at("/content/upper").asText()).isEqualTo("HÉLLO \"WORLD\"");
        assertThat(upper.at("/content/via").asText()).isEqualTo("text.upper");

        JsonNode reversed = ask(engine, "--capability", "text.reverse", "\"abc\\u00e9\\ud83d\\ude00\"");
        assertThat(reversed.get("sender").asText()).isEqualTo("as-reverse");
        assertThat(reversed.at("/content/reversed").asText()).isEqualTo("\uD83D\uDE00écba");

        JsonNode refused = ask(engine, "--capability", "text.upper", "42");
        assertThat(refused.get("performative").asText()).isEqualTo("refuse");
        assertThat(refused.at("/content/reason").asText()).contains("string");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chicory", "wasmtime"})
    @DisplayName("projects laid out by the rust and assemblyscript templates build and answer")
    void templates(String engine) throws IOException {
        for (String agent : List.of("rs-new", "as-new")) {
            JsonNode first = ask(engine, "--to", agent, "{\"hello\":\"world\",\"n\":[1,2]}");
            assertThat(first.at("/content/agent").asText()).isEqualTo(agent);
            assertThat(first.at("/content/received/hello").asText()).isEqualTo("world");
            assertThat(first.at("/content/received/n/1").asInt()).isEqualTo(2);
            int handled = first.at("/content/handled").asInt();
            assertThat(ask(engine, "--to", agent, "\"again\"").at("/content/handled").asInt()).isEqualTo(handled + 1);
        }
        assertThat(servers.get(engine).log()).contains("rs-new ready").contains("as-new ready");
    }

    @Test
    @DisplayName("the Rust SDK's own unit tests (JSON reader, envelope, message builders) pass")
    void rustSdkUnitTests() throws IOException, InterruptedException {
        Path crate = Image.ROOT.resolve("sdk/rust/caxton-agent");
        Path log = work.resolve("cargo-test.log");
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/cargo", "test", "--offline", "--quiet").directory(crate.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("RUSTC", "/usr/bin/rustc");
        pb.environment().put("CARGO_TARGET_DIR", work.resolve("cargo-test-target").toString());
        Process p = pb.start();
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("cargo test did not finish in 15 minutes:\n" + Files.readString(log));
        }
        String out = Files.readString(log);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("test result: ok");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chicory", "wasmtime"})
    @DisplayName("the SDKs' allocators free each message buffer once and trap on a second free (ABI v2 ownership)")
    void doubleFreeIsCaught(String engineName) throws Exception {
        PluginCatalog catalog = PluginCatalog.discover(null);
        WasmEngineProvider provider = catalog.select(Spi.ENGINE, engineName, WasmEngineProvider.class);
        Imports imports = Imports.of(List.of(
                new HostFunction("caxton", "log", FunctionType.of(List.of(ValueType.I32, ValueType.I32, ValueType.I32), List.of()),
                        (memory, args) -> new long[0]),
                new HostFunction("caxton", "register_capability",
                        FunctionType.of(List.of(ValueType.I32, ValueType.I32), List.of(ValueType.I32)), (memory, args) -> new long[] {0})));
        byte[] message = "{\"performative\":\"request\",\"content\":\"abc\"}".getBytes(StandardCharsets.UTF_8);
        try (WasmEngine engine = provider.create(ProviderContext.of(ProviderConfig.empty(), work.resolve("engine-" + engineName)))) {
            // rs-upper: the Rust SDK with its global allocator; as-reverse: AssemblyScript's runtime.
            for (String agent : List.of("rs-upper", "as-reverse")) {
                WasmModule module = engine.compile(Files.readAllBytes(modules.get(agent)));
                try (WasmInstance inst = module.instantiate(imports, new InstanceLimits(16L << 20, Duration.ofSeconds(30), 0))) {
                    long ptr = 0;
                    // What the node does under ABI v2, several times: the reply is never freed.
                    for (int round = 0; round < 5; round++) {
                        ptr = inst.call("alloc", message.length)[0];
                        inst.memory().write(ptr, message);
                        long reply = inst.call("handle_message", ptr, message.length)[0];
                        assertThat(reply).as("%s replies", agent).isPositive();
                        inst.call("dealloc", ptr, message.length);
                    }
                    long freed = ptr;
                    assertThatThrownBy(() -> inst.call("dealloc", freed, message.length))
                            .as("%s: the same buffer freed twice", agent).isInstanceOf(WasmTrapException.class);
                }
            }
        }
    }

    @Test
    @DisplayName("caxton agent check passes on every module the SDKs build, and sees ABI v2")
    void agentCheck() {
        for (Map.Entry<String, Path> m : modules.entrySet()) {
            for (String engine : List.of("chicory", "wasmtime")) {
                Image.Result r = Image.run("agent", "check", m.getValue().toString(), "--engine", engine);
                assertThat(r.exit()).as("check %s on %s: %s %s", m.getKey(), engine, r.out(), r.err()).isZero();
                assertThat(r.out()).as(m.getKey()).contains("ok").contains("ABI v2");
            }
        }
    }
}
