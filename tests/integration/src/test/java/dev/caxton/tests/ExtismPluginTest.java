package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Extism plugins run unmodified as agents: one built with the Extism AssemblyScript PDK
 * ({@code @extism/as-pdk} 1.0.0 from npm) and one in C against the Extism imports (Debian's clang),
 * each deployed with {@code --extism-function} and {@code --extism-config} on a node of the built
 * image on both engines, answering messages, reading config, keeping a var counter across messages;
 * an error becomes a failure reply, a plugin that allocates without end faults at its memory limit,
 * a plugin deployed without the flag is refused with a message naming it, and {@code agent check}
 * lists a plugin's functions. The C plugin also reaches a loopback HTTP server of the test through
 * {@code http_request} when deployed with {@code --extism-allow-host 127.0.0.1}, and only then.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExtismPluginTest {

    private static final List<String> ENGINES = List.of("chicory", "wasmtime");

    /** name the plugins are deployed under -> built module */
    private final Map<String, Path> plugins = new LinkedHashMap<>();
    private final Map<String, Image.Server> servers = new LinkedHashMap<>();
    private Path work;
    /** The loopback HTTP server the C plugin's {@code http_request} calls reach. */
    private com.sun.net.httpserver.HttpServer web;
    private final java.util.concurrent.atomic.AtomicInteger helloHits = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger redirectTargetHits = new java.util.concurrent.atomic.AtomicInteger();

    @BeforeAll
    void buildAndDeploy() throws Exception {
        Assumptions.assumeTrue(onPath("clang") && onPath("wasm-ld"),
                "clang and lld are missing: .ci/run installs them with apt-get");
        Assumptions.assumeTrue(onPath("npm"), "npm is missing: .ci/run installs it with apt-get");
        work = Files.createTempDirectory("caxton-extism");
        startWeb();
        Path sources = Image.ROOT.resolve("tests/agents/extism");
        // Built from copies, so that node_modules and the modules never land in the source tree.
        plugins.put("c-counter", build(sources.resolve("c-counter"), "c-counter.wasm"));
        plugins.put("as-counter", build(sources.resolve("as-counter"), "as-counter.wasm"));
        for (String engine : ENGINES) {
            Image.Server server = new Image.Server(Files.createDirectories(work.resolve("node-" + engine)),
                    "runtime:\n  engine: " + engine + "\nmessaging:\n  enable_persistence: true\n");
            servers.put(engine, server);
            deploy(server, "c-counter", "--extism-config", "greeting=hello from C");
            deploy(server, "as-counter", "--extism-config", "greeting=bonjour");
            // The same plugin once more, durable: its vars are checkpointed with its memory.
            plugins.putIfAbsent("c-durable", plugins.get("c-counter"));
            deploy(server, "c-durable", "--extism-config", "greeting=kept", "--durable");
            // The same plugin twice more: once let through to the loopback server, once not.
            deployModule(server, "c-http", plugins.get("c-counter"), "--extism-allow-host", "127.0.0.1");
            deployModule(server, "c-nohttp", plugins.get("c-counter"));
        }
    }

    @AfterAll
    void stop() throws Exception {
        for (Image.Server s : servers.values()) {
            s.close();
        }
        if (web != null) {
            web.stop(0);
        }
    }

    /** /hello answers a line, /moved redirects to /target, /big is one byte over the kernel's response cap. */
    private void startWeb() throws IOException {
        web = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        web.createContext("/hello", x -> {
            helloHits.incrementAndGet();
            respond(x, 200, "greetings from \"loopback\"".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        });
        web.createContext("/moved", x -> {
            x.getResponseHeaders().add("Location", "/target");
            respond(x, 302, "moved".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        });
        web.createContext("/target", x -> {
            redirectTargetHits.incrementAndGet();
            respond(x, 200, "target".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        });
        web.createContext("/big", x -> respond(x, 200, new byte[1024 * 1024 + 1]));
        web.start();
    }

    private static void respond(com.sun.net.httpserver.HttpExchange x, int status, byte[] body) throws IOException {
        try (x) {
            x.getRequestBody().readAllBytes();
            x.sendResponseHeaders(status, body.length);
            x.getResponseBody().write(body);
        } catch (IOException e) {
            // The kernel stops reading an oversized body; the broken pipe is expected then.
        }
    }

    private String webUrl(String host, String path) {
        return "http://" + host + ":" + web.getAddress().getPort() + path;
    }

    private void deploy(Image.Server server, String name, String... more) {
        deployModule(server, name, plugins.get(name), more);
    }

    private static void deployModule(Image.Server server, String name, Path module, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("agent", "deploy", module.toString(), "--name", name,
                "--extism-function", "count"));
        args.addAll(List.of(more));
        Image.Result r = server.cli(args.toArray(String[]::new));
        assertThat(r.exit()).as("deploy %s: %s %s", name, r.out(), r.err()).isZero();
    }

    private static boolean onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, tool)));
    }

    /** Copies a plugin's project into this test's folder, runs its build script there, returns the module. */
    private Path build(Path project, String output) throws IOException, InterruptedException {
        Path copy = work.resolve(project.getFileName());
        try (Stream<Path> files = Files.walk(project)) {
            for (Path p : files.filter(p -> !p.toString().contains("node_modules")).toList()) {
                Path to = copy.resolve(project.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        Path log = work.resolve(project.getFileName() + "-build.log");
        Process p = new ProcessBuilder(copy.resolve("build.sh").toString()).directory(copy.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        // Generous: the first AssemblyScript build downloads the PDK and the compiler from npm.
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(project + "/build.sh did not finish in 15 minutes:\n" + Files.readString(log));
        }
        assertThat(p.exitValue()).as("%s/build.sh:\n%s", project, Files.readString(log)).isZero();
        Path module = copy.resolve(output);
        assertThat(module).as("built by %s/build.sh", project).isRegularFile();
        return module;
    }

    /** Sends a request with the API, content given as JSON, and returns the reply. */
    private static JsonNode ask(Image.Server server, String to, String contentJson) throws Exception {
        HttpResponse<String> r = server.http("POST", "/api/v1/messages", """
                {"performative":"request","receiver":"%s","conversation_id":"conv-%s","content":%s,"wait_ms":60000}"""
                .formatted(to, to, contentJson), server.token());
        assertThat(r.statusCode()).as(r.body()).isBetween(200, 299);
        JsonNode reply = Image.JSON.readTree(r.body()).path("reply");
        assertThat(reply.isMissingNode()).as("a reply from %s: %s", to, r.body()).isFalse();
        return reply;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chicory", "wasmtime"})
    @DisplayName("both plugins answer with their config and a var counter that persists across messages")
    void answersWithConfigAndVars(String engine) throws Exception {
        Image.Server server = servers.get(engine);
        for (String plugin : List.of("c-counter", "as-counter")) {
            String greeting = plugin.equals("c-counter") ? "hello from C" : "bonjour";
            JsonNode first = ask(server, plugin, "\"abc\"");
            assertThat(first.path("performative").asText()).as(plugin).isEqualTo("inform");
            assertThat(first.path("sender").asText()).isEqualTo(plugin);
            assertThat(first.path("conversation_id").asText()).isEqualTo("conv-" + plugin);
            assertThat(first.path("in_reply_to").asText()).as("answers the request it got").isNotEmpty();
            assertThat(first.at("/content/greeting").asText()).as(plugin).isEqualTo(greeting);
            // A string content is the input as it is: three bytes.
            assertThat(first.at("/content/length").asInt()).as(plugin).isEqualTo(3);
            int count = first.at("/content/count").asInt();
            // Any other content is its JSON text.
            JsonNode second = ask(server, plugin, "{\"x\":[1,2]}");
            assertThat(second.at("/content/length").asInt()).as(plugin).isEqualTo("{\"x\":[1,2]}".length());
            assertThat(second.at("/content/count").asInt()).as("%s keeps its var between messages", plugin).isEqualTo(count + 1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chicory", "wasmtime"})
    @DisplayName("a plugin sends messages and registers capabilities through Caxton's host functions (extism:host/user)")
    void caxtonHostFunctions(String engine) throws Exception {
        Image.Server server = servers.get(engine);
        int before = ask(server, "as-counter", "\"x\"").at("/content/count").asInt();
        JsonNode sent = ask(server, "c-counter", "\"send:as-counter\"");
        assertThat(sent.at("/content/sent").asInt()).as("send_message status: %s", sent).isZero();
        // as-counter handles the inform the plugin sent (and answers nothing: it asked for no reply);
        // each ask below counts one more, so the count runs one ahead once the inform is in.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int asks = 0;
        int count;
        do {
            count = ask(server, "as-counter", "\"x\"").at("/content/count").asInt();
            asks++;
        } while (count != before + asks + 1 && System.nanoTime() < deadline);
        assertThat(count).as("as-counter counted the plugin's message").isEqualTo(before + asks + 1);

        JsonNode registered = ask(server, "c-counter", "\"register:extism.counter\"");
        assertThat(registered.at("/content/registered").asInt()).as("%s", registered).isZero();
        HttpResponse<String> r = server.http("POST", "/api/v1/messages", """
                {"performative":"request","capability":"extism.counter","content":"by capability","wait_ms":60000}""",
                server.token());
        JsonNode reply = Image.JSON.readTree(r.body()).path("reply");
        assertThat(reply.path("sender").asText()).as(r.body()).isEqualTo("c-counter");
        assertThat(reply.at("/content/length").asInt()).isEqualTo("by capability".length());
        assertThat(server.log()).contains("count called");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chicory", "wasmtime"})
    @DisplayName("http_request reaches an allowed loopback host; other hosts, no allow-list, redirects and oversized bodies do not get through")
    void httpThroughTheAllowList(String engine) throws Exception {
        Image.Server server = servers.get(engine);
        int hits = helloHits.get();
        JsonNode ok = ask(server, "c-http", "\"http:" + webUrl("127.0.0.1", "/hello") + "\"");
        assertThat(ok.path("performative").asText()).as("%s", ok).isEqualTo("inform");
        assertThat(ok.at("/content/status").asInt()).isEqualTo(200);
        assertThat(ok.at("/content/body").asText()).isEqualTo("greetings from \"loopback\"");
        assertThat(helloHits.get()).as("the request reached the server").isEqualTo(hits + 1);

        // The allow-list names hosts: any port of 127.0.0.1 is let through, another name for it is not.
        JsonNode otherName = ask(server, "c-http", "\"http:" + webUrl("localhost", "/hello") + "\"");
        assertThat(otherName.path("performative").asText()).isEqualTo("failure");
        assertThat(otherName.at("/content/reason").asText()).contains("'localhost'").contains("not in this agent's allow-list")
                .contains("127.0.0.1");

        JsonNode none = ask(server, "c-nohttp", "\"http:" + webUrl("127.0.0.1", "/hello") + "\"");
        assertThat(none.path("performative").asText()).isEqualTo("failure");
        assertThat(none.at("/content/reason").asText()).contains("'127.0.0.1' refused")
                .contains("--extism-allow-host 127.0.0.1");
        assertThat(helloHits.get()).as("refused requests never left the node").isEqualTo(hits + 1);

        int targetHits = redirectTargetHits.get();
        JsonNode moved = ask(server, "c-http", "\"http:" + webUrl("127.0.0.1", "/moved") + "\"");
        assertThat(moved.path("performative").asText()).as("%s", moved).isEqualTo("inform");
        assertThat(moved.at("/content/status").asInt()).as("the redirect itself is the answer").isEqualTo(302);
        assertThat(moved.at("/content/body").asText()).isEqualTo("moved");
        assertThat(redirectTargetHits.get()).as("the redirect was not followed").isEqualTo(targetHits);

        JsonNode big = ask(server, "c-http", "\"http:" + webUrl("127.0.0.1", "/big") + "\"");
        assertThat(big.path("performative").asText()).isEqualTo("failure");
        assertThat(big.at("/content/reason").asText()).contains("over 1048576 bytes");
        assertThat(ask(server, "c-http", "\"http:" + webUrl("127.0.0.1", "/hello") + "\"").at("/content/status").asInt())
                .as("the plugin keeps answering").isEqualTo(200);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chicory", "wasmtime"})
    @DisplayName("error_set becomes a failure reply with the plugin's text; the plugin keeps answering")
    void errorsAreFailureReplies(String engine) throws Exception {
        Image.Server server = servers.get(engine);
        for (String plugin : List.of("c-counter", "as-counter")) {
            JsonNode failure = ask(server, plugin, "\"fail\"");
            assertThat(failure.path("performative").asText()).as(plugin).isEqualTo("failure");
            assertThat(failure.at("/content/reason").asText()).as(plugin).isEqualTo("asked to fail");
            assertThat(ask(server, plugin, "\"ok\"").path("performative").asText()).isEqualTo("inform");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chicory", "wasmtime"})
    @DisplayName("a plugin allocating without end faults at its memory limit, the node lives on and the vars survive")
    void allocationIsBounded(String engine) throws Exception {
        Image.Server server = servers.get(engine);
        int before = ask(server, "c-counter", "\"x\"").at("/content/count").asInt();
        JsonNode fault = ask(server, "c-counter", "\"hog\"");
        assertThat(fault.path("performative").asText()).isEqualTo("failure");
        assertThat(fault.at("/content/reason").asText()).contains("Extism kernel").contains("memory limit");
        JsonNode after = ask(server, "c-counter", "\"x\"");
        assertThat(after.path("performative").asText()).isEqualTo("inform");
        assertThat(after.at("/content/count").asInt()).as("vars live on the host, not in the faulted instance")
                .isEqualTo(before + 1);
        assertThat(server.http("GET", "/api/v1/health", null, server.token()).statusCode()).isEqualTo(200);
    }

    @Test
    @DisplayName("without --extism-function a plugin is refused with a message naming the flag and its functions")
    void refusedWithoutTheFlag() {
        Image.Server server = servers.get("chicory");
        Image.Result r = server.cli("agent", "deploy", plugins.get("as-counter").toString(), "--name", "unflagged");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("Extism plugin").contains("--extism-function").contains("count").contains("shout");
        Image.Result wrong = server.cli("agent", "deploy", plugins.get("as-counter").toString(), "--name", "wrongfn",
                "--extism-function", "nope");
        assertThat(wrong.exit()).isNotZero();
        assertThat(wrong.err()).contains("'nope'").contains("exports no function of that name").contains("count");
    }

    @Test
    @DisplayName("caxton agent check recognises Extism plugins, lists their functions and says how to deploy them")
    void agentCheck() {
        for (String engine : ENGINES) {
            for (Map.Entry<String, Path> p : plugins.entrySet()) {
                Image.Result bare = Image.run("agent", "check", p.getValue().toString(), "--engine", engine);
                assertThat(bare.exit()).as("%s: %s", p.getKey(), bare.out()).isNotZero();
                assertThat(bare.out()).contains("Extism plugin").contains("--extism-function").contains("count");
                Image.Result ok = Image.run("agent", "check", p.getValue().toString(), "--engine", engine,
                        "--extism-function", "count");
                assertThat(ok.exit()).as("%s on %s: %s %s", p.getKey(), engine, ok.out(), ok.err()).isZero();
                assertThat(ok.out()).contains("ok (Extism plugin, function count").contains("--extism-function count");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chicory", "wasmtime"})
    @DisplayName("a restart keeps a plugin's function and config, and a durable plugin's vars")
    void restartKeepsTheSettingsAndDurableVars(String engine) throws Exception {
        Image.Server server = servers.get(engine);
        ask(server, "c-durable", "\"one\"");
        int before = ask(server, "c-durable", "\"two\"").at("/content/count").asInt();
        assertThat(before).isGreaterThanOrEqualTo(2);
        assertThat(server.terminate()).isZero();
        server = server.restart();
        servers.put(engine, server);
        JsonNode reply = ask(server, "c-counter", "\"after restart\"");
        assertThat(reply.path("performative").asText()).isEqualTo("inform");
        assertThat(reply.at("/content/greeting").asText()).isEqualTo("hello from C");
        assertThat(reply.at("/content/length").asInt()).isEqualTo("after restart".length());
        JsonNode durable = ask(server, "c-durable", "\"three\"");
        assertThat(durable.at("/content/greeting").asText()).isEqualTo("kept");
        assertThat(durable.at("/content/count").asInt()).as("the durable plugin's var counter survived the restart")
                .isEqualTo(before + 1);
    }
}
