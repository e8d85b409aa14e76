package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Agents end to end on the built image: a server process, agents deployed and messages sent with
 * the CLI, and every fault kind of the guest ABI contained while other agents keep serving. It runs
 * once per engine (its subclasses name the engine): agents must behave the same on every engine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AgentsEndToEnd {

    /** @return the engine provider the server runs agents on */
    abstract String engine();


    Path dir;
    Image.Server server;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("caxton-e2e");
        server = new Image.Server(dir, """
                runtime:
                  engine: %s
                agents:
                  max_failures: 3
                  failure_window: 1m
                """.formatted(engine()));
        deploy(Image.example("echo/echo.wasm"), "echo");
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            assertThat(server.terminate()).as("exit code after SIGTERM").isZero();
        }
    }

    private void deploy(Path module, String name, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("agent", "deploy", module.toString(), "--name", name));
        args.addAll(List.of(extra));
        Image.Result r = server.cli(args.toArray(String[]::new));
        assertThat(r.exit()).as("deploy %s: %s %s", name, r.out(), r.err()).isZero();
    }

    private JsonNode ask(String to, String content) {
        Image.Result r = server.cli("message", "send", "--to", to, "--performative", "request", "--content", content,
                "--wait", "10s", "--output", "json");
        assertThat(r.exit()).as("send to %s: %s %s", to, r.out(), r.err()).isIn(0, 1);
        return r.json().get("reply");
    }

    private JsonNode inspect(String name) {
        Image.Result r = server.cli("agent", "inspect", name, "--output", "json");
        assertThat(r.exit()).as(r.err()).isZero();
        return r.json();
    }

    private void assertEchoStillServes() {
        JsonNode reply = ask("echo", "{\"still\":\"alive\"}");
        assertThat(reply.get("performative").asText()).isEqualTo("request");
        assertThat(reply.get("sender").asText()).isEqualTo("echo");
        assertThat(reply.at("/content/still").asText()).isEqualTo("alive");
    }

    @Test
    @DisplayName("echo: the reply comes back to the sender with the same content")
    void echo() {
        JsonNode reply = ask("echo", "{\"hello\":\"world\",\"n\":[1,2,3]}");
        assertThat(reply.get("sender").asText()).isEqualTo("echo");
        assertThat(reply.get("receiver").asText()).startsWith("client-");
        assertThat(reply.at("/content/hello").asText()).isEqualTo("world");
        assertThat(reply.at("/content/n/2").asInt()).isEqualTo(3);
        assertThat(reply.get("in_reply_to").asText()).isNotEmpty();
        Image.Result text = server.cli("message", "send", "--to", "echo", "--performative", "inform",
                "--content", "\"plain text\"", "--wait", "5s");
        assertThat(text.exit()).as(text.err()).isZero();
        assertThat(text.out()).contains("plain text").contains("echo");
    }

    @Test
    @DisplayName("a stateful agent keeps its memory across messages")
    void counter() {
        deploy(Image.example("counter/counter.wasm"), "counter-a");
        for (int i = 1; i <= 3; i++) {
            assertThat(ask("counter-a", "{}").at("/content/count").asInt()).isEqualTo(i);
        }
        JsonNode info = inspect("counter-a");
        assertThat(info.get("state").asText()).isEqualTo("running");
        assertThat(info.get("engine").asText()).isEqualTo(engine());
        assertThat(info.at("/counters/messages_handled").asInt()).isEqualTo(3);
        assertThat(info.at("/limits/memory_bytes").asLong()).isEqualTo(10L << 20);
        assertThat(info.at("/limits/execution_timeout_ms").asLong()).isEqualTo(5000);
    }

    @Test
    @DisplayName("an agent sends through send_message and the receiver gets it")
    void forwarder() throws Exception {
        deploy(Image.example("counter/counter.wasm"), "counter");
        deploy(Image.testAgent("forwarder.wasm"), "forwarder");
        JsonNode reply = ask("forwarder", "{\"go\":1}");
        assertThat(reply.at("/content/send_result").asInt()).isZero();
        long deadline = System.currentTimeMillis() + 10_000;
        while (inspect("counter").at("/counters/messages_handled").asInt() < 1 && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertThat(inspect("counter").at("/counters/messages_handled").asInt()).isEqualTo(1);
        assertThat(inspect("forwarder").at("/counters/messages_sent").asInt()).isEqualTo(1);
    }

    @Test
    @DisplayName("ping and pong exchange three rounds")
    void pingPong() throws Exception {
        deploy(Image.example("ping-pong/pong.wasm"), "pong");
        deploy(Image.example("ping-pong/ping.wasm"), "ping");
        assertThat(ask("ping", "\"go\"").get("content").asText()).isEqualTo("started");
        long deadline = System.currentTimeMillis() + 10_000;
        while (inspect("pong").at("/counters/messages_handled").asInt() < 3 && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertThat(inspect("pong").at("/counters/messages_handled").asInt()).isEqualTo(3);
        assertThat(server.log()).contains("ping-pong finished after 3 rounds");
    }

    @Test
    @DisplayName("deploying WAT text compiles it on the server")
    void watDeploy() {
        deploy(Image.example("echo/echo.wat"), "echo-wat");
        assertThat(ask("echo-wat", "{\"from\":\"wat\"}").at("/content/from").asText()).isEqualTo("wat");
    }

    @Test
    @DisplayName("infinite loop: interrupted at the time limit, dead-lettered, failure to the sender")
    void infiniteLoop() {
        deploy(Image.testAgent("loop.wasm"), "looper", "--timeout", "300ms");
        JsonNode reply = ask("looper", "{}");
        assertThat(reply.get("performative").asText()).isEqualTo("failure");
        assertThat(reply.at("/content/reason").asText()).startsWith("timeout");
        assertThat(deadLetterReasons()).anyMatch(r -> r.startsWith("timeout"));
        assertThat(inspect("looper").at("/counters/faults").asInt()).isEqualTo(1);
        assertEchoStillServes();
    }

    @Test
    @DisplayName("fuel: a loop runs out of fuel long before its time limit; metered agents still answer")
    void fuelRunsOut() {
        deploy(Image.testAgent("loop.wasm"), "burner", "--fuel", "1000000", "--timeout", "60s");
        JsonNode reply = ask("burner", "{}");
        assertThat(reply.get("performative").asText()).isEqualTo("failure");
        assertThat(reply.at("/content/reason").asText()).startsWith("fuel exhausted").contains("1000000 instructions");
        assertThat(deadLetterReasons()).anyMatch(r -> r.startsWith("fuel exhausted"));
        deploy(Image.example("counter/counter.wasm"), "metered-counter", "--fuel", "1000000");
        for (int i = 1; i <= 3; i++) {
            assertThat(ask("metered-counter", "{}").at("/content/count").asInt()).isEqualTo(i);
        }
        JsonNode counters = inspect("metered-counter").path("counters");
        assertThat(counters.path("fuel_last").asLong()).as("fuel the last message used").isBetween(1L, 1_000_000L);
        assertThat(counters.path("fuel_max").asLong()).isGreaterThanOrEqualTo(counters.path("fuel_last").asLong());
        assertThat(inspect("echo").path("counters").path("fuel_last").isNull()).as("unmetered: no amount").isTrue();
        assertEchoStillServes();
    }

    @Test
    @DisplayName("memory bomb: growth past the limit returns -1, the trap after it is contained")
    void memoryBomb() {
        deploy(Image.testAgent("membomb.wasm"), "bomber", "--memory", "2MB");
        JsonNode reply = ask("bomber", "{}");
        assertThat(reply.get("performative").asText()).isEqualTo("failure");
        assertThat(reply.at("/content/reason").asText()).startsWith("trap");
        assertEchoStillServes();
    }

    @Test
    @DisplayName("trap: contained; repeated faults mark the agent failed instead of restarting forever")
    void trapThenFailed() {
        deploy(Image.testAgent("trap.wasm"), "trapper");
        for (int i = 0; i < 3; i++) {
            JsonNode reply = ask("trapper", "{}");
            assertThat(reply.get("performative").asText()).isEqualTo("failure");
        }
        JsonNode info = inspect("trapper");
        assertThat(info.get("state").asText()).isEqualTo("failed");
        assertThat(info.at("/counters/faults").asInt()).isEqualTo(3);
        // A failed agent takes no messages: the send is refused at once instead of queued (docs/api.md).
        Image.Result afterFailed = server.cli("message", "send", "--to", "trapper", "--performative", "request",
                "--content", "{}", "--wait", "10s");
        assertThat(afterFailed.exit()).isEqualTo(1);
        assertThat(afterFailed.err()).contains("404", "failed", "unknown_receiver");
        assertEchoStillServes();
    }

    @Test
    @DisplayName("a reply pointer out of bounds is a fault of that invocation only")
    void badReply() {
        deploy(Image.testAgent("badreply.wasm"), "badreply");
        JsonNode reply = ask("badreply", "{}");
        assertThat(reply.get("performative").asText()).isEqualTo("failure");
        assertThat(reply.at("/content/reason").asText()).contains("out of bounds");
        assertEchoStillServes();
    }

    @Test
    @DisplayName("a host call with an out-of-bounds pointer is a fault of that invocation only")
    void badSend() {
        deploy(Image.testAgent("badsend.wasm"), "badsend");
        JsonNode reply = ask("badsend", "{}");
        assertThat(reply.get("performative").asText()).isEqualTo("failure");
        assertThat(reply.at("/content/reason").asText()).contains("out-of-bounds pointer");
        assertEchoStillServes();
    }

    @Test
    @DisplayName("bad modules are refused at deploy with the reason")
    void refusedModules() throws Exception {
        Image.Result forbidden = server.cli("agent", "deploy", Image.testAgent("forbidden.wasm").toString(), "--name", "f");
        assertThat(forbidden.exit()).isNotZero();
        assertThat(forbidden.err()).contains("Forbidden import").contains("wasi_snapshot_preview1.fd_write");

        Image.Result garbage = server.cli("agent", "deploy", Image.testAgent("garbage.wasm").toString(), "--name", "g");
        assertThat(garbage.exit()).isNotZero();
        assertThat(garbage.err()).contains("not a WebAssembly binary");
        // The server refuses it too, for clients that do not check first.
        HttpResponse<String> api = server.http("POST", "/api/v1/agents", "{\"name\":\"g\",\"wasm_module\":\""
                + java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(Image.testAgent("garbage.wasm"))) + "\"}",
                server.token());
        assertThat(api.statusCode()).isEqualTo(400);
        assertThat(api.body()).contains("not a valid WebAssembly module");

        Image.Result nohandle = server.cli("agent", "deploy", Image.testAgent("nohandle.wasm").toString(), "--name", "n");
        assertThat(nohandle.exit()).isNotZero();
        assertThat(nohandle.err()).contains("Missing required export: 'handle_message'");

        Image.Result initfail = server.cli("agent", "deploy", Image.testAgent("initfail.wasm").toString(), "--name", "i");
        assertThat(initfail.exit()).isNotZero();
        assertThat(initfail.err()).contains("init returned 7");

        Image.Result list = server.cli("agent", "list", "--output", "json");
        assertThat(list.out()).doesNotContain("\"f\"").doesNotContain("\"g\"").doesNotContain("\"n\"").doesNotContain("\"i\"");
        assertEchoStillServes();
    }

    @Test
    @DisplayName("without the token, or with a wrong one, every API call but the probes is 401 and changes nothing")
    void tokenRequired() throws Exception {
        String before = server.cli("agent", "list", "--output", "json").out();
        String deployBody = "{\"name\":\"intruder\",\"wasm_module\":\""
                + java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(Image.example("echo/echo.wasm"))) + "\"}";
        // The liveness probe answers without a token and says nothing but that the process serves.
        HttpResponse<String> probe = server.http("GET", "/api/v1/health", null, null);
        assertThat(probe.statusCode()).isEqualTo(200);
        assertThat(probe.body()).isEqualTo("{\"status\":\"ok\"}");
        assertThat(server.http("GET", "/api/v1/health", null, "wrong-token").statusCode()).isEqualTo(401);
        List<String[]> calls = List.of(
                new String[] {"GET", "/api/v1/agents", null},
                new String[] {"POST", "/api/v1/agents", deployBody},
                new String[] {"GET", "/api/v1/agents/echo", null},
                new String[] {"DELETE", "/api/v1/agents/echo", null},
                new String[] {"PUT", "/api/v1/agents/echo/module", deployBody},
                new String[] {"POST", "/api/v1/messages", "{\"performative\":\"request\",\"receiver\":\"echo\"}"},
                new String[] {"GET", "/api/v1/dead-letters", null},
                new String[] {"GET", "/api/v1/cluster/members", null},
                new String[] {"GET", "/api/v1/capabilities", null});
        for (String token : new String[] {null, "wrong-token"}) {
            for (String[] c : calls) {
                HttpResponse<String> r = server.http(c[0], c[1], c[2], token);
                assertThat(r.statusCode()).as("%s %s with token %s", c[0], c[1], token).isEqualTo(401);
                assertThat(Image.JSON.readTree(r.body()).get("error").asText()).contains("token");
            }
        }
        assertThat(server.cli("agent", "list", "--output", "json").out()).isEqualTo(before);
        assertThat(inspect("echo").at("/counters/messages_handled").asInt()).isGreaterThanOrEqualTo(0);
    }

    @Test
    @DisplayName("the API answers bad envelopes with 400 naming the field")
    void badEnvelope() throws Exception {
        HttpResponse<String> r = server.http("POST", "/api/v1/messages", "{\"performative\":\"shout\",\"receiver\":\"echo\"}",
                server.token());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("performative").contains("shout");
        HttpResponse<String> unknown = server.http("POST", "/api/v1/messages",
                "{\"performative\":\"inform\",\"receiver\":\"nobody\"}", server.token());
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("nobody");
    }

    private List<String> deadLetterReasons() {
        Image.Result r = server.cli("dead-letters", "list", "--output", "json");
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> reasons = new java.util.ArrayList<>();
        r.json().get("dead_letters").forEach(d -> reasons.add(d.get("reason").asText()));
        return reasons;
    }
}
