package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

class AgentCommandTest {

    /** The smallest valid module: magic and version, no sections. */
    static final byte[] EMPTY_MODULE = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

    /** An agent the way the server renders it, including fields the CLI has no special label for. */
    static final String AGENT = """
            {"name":"echo","id":"a-1","state":"running","capabilities":["echo","ping"],
             "limits":{"memory_bytes":10485760,"memory":"10MB","execution_timeout_ms":5000,"fuel":0},
             "codec":"json","engine":"chicory",
             "counters":{"messages_handled":42,"faults":3,"restarts":1},
             "last_fault":null,"module_size":1536,
             "deployed_at":"2025-01-02T03:04:05Z"}""";

    @TempDir
    Path dir;

    FakeApi api;

    @BeforeEach
    void start() throws Exception {
        api = new FakeApi();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void deploySendsTheModuleBase64WithParsedLimits() throws Exception {
        Path wasm = Files.write(dir.resolve("echo.wasm"), EMPTY_MODULE);
        api.on("POST", "/api/v1/agents", 201, AGENT);

        Cli.Result r = Cli.against(api, "agent", "deploy", wasm.toString(), "--name", "echo",
                "--capability", "echo", "--capability", "ping", "--memory", "10MB", "--timeout", "5s",
                "--fuel", "1000000", "--codec", "msgpack", "--engine", "chicory",
                "--permission", "send_message", "--permission", "log");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("deployed agent echo (id a-1, state running)\n");
        FakeApi.Request req = api.only();
        assertThat(req.method()).isEqualTo("POST");
        assertThat(req.token()).isEqualTo(FakeApi.TOKEN);
        assertThat(req.contentType()).isEqualTo("application/json");
        JsonNode body = req.json();
        assertThat(body.get("name").asText()).isEqualTo("echo");
        assertThat(Base64.getDecoder().decode(body.get("wasm_module").asText())).isEqualTo(EMPTY_MODULE);
        assertThat(body.has("wat_module")).isFalse();
        assertThat(body.get("capabilities").toString()).isEqualTo("[\"echo\",\"ping\"]");
        assertThat(body.get("limits").get("memory_bytes").asLong()).isEqualTo(10L * 1024 * 1024);
        assertThat(body.get("limits").get("execution_timeout_ms").asLong()).isEqualTo(5000);
        assertThat(body.get("limits").get("fuel").asLong()).isEqualTo(1_000_000);
        assertThat(body.get("codec").asText()).isEqualTo("msgpack");
        assertThat(body.get("engine").asText()).isEqualTo("chicory");
        assertThat(body.get("permissions").toString()).isEqualTo("[\"send_message\",\"log\"]");
    }

    @Test
    void deployLeavesUnsetLimitsToTheServer() throws Exception {
        Path wasm = Files.write(dir.resolve("echo.wasm"), EMPTY_MODULE);
        api.on("POST", "/api/v1/agents", 201, AGENT);

        Cli.Result r = Cli.against(api, "agent", "deploy", wasm.toString(), "--name", "echo", "--memory", "512KB");

        assertThat(r.code()).as(r.err()).isZero();
        JsonNode body = api.only().json();
        assertThat(body.get("limits").toString()).isEqualTo("{\"memory_bytes\":524288}");
        assertThat(body.get("capabilities").isEmpty()).isTrue();
        assertThat(body.has("codec")).isFalse();
        assertThat(body.has("engine")).isFalse();
        assertThat(body.has("permissions")).as("absent means every host function").isFalse();
    }

    @Test
    void watFilesGoAsTextForTheServerToCompile() throws Exception {
        String wat = "(module (memory (export \"memory\") 1)) ;; héllo\n";
        Path file = Files.writeString(dir.resolve("agent.wat"), wat);
        api.on("POST", "/api/v1/agents", 201, AGENT);

        Cli.Result r = Cli.against(api, "agent", "deploy", file.toString(), "--name", "echo");

        assertThat(r.code()).as(r.err()).isZero();
        JsonNode body = api.only().json();
        assertThat(body.get("wat_module").asText()).isEqualTo(wat);
        assertThat(body.has("wasm_module")).isFalse();
    }

    @Test
    void deployJsonOutputIsTheServersAgent() throws Exception {
        Path wasm = Files.write(dir.resolve("echo.wasm"), EMPTY_MODULE);
        api.on("POST", "/api/v1/agents", 201, AGENT);

        Cli.Result r = Cli.against(api, "agent", "deploy", wasm.toString(), "--name", "echo", "--output", "json");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Json.mapper().readTree(r.out())).isEqualTo(Json.mapper().readTree(AGENT));
    }

    @Test
    void aMissingFileIsOneLineNamingThePathAndNothingIsSent() {
        Path missing = dir.resolve("nope.wasm");

        Cli.Result r = Cli.against(api, "agent", "deploy", missing.toString(), "--name", "echo");

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.errLines()).containsExactly("caxton: " + missing + ": no such file");
        assertThat(r.out()).isEmpty();
        assertThat(api.requests()).isEmpty();
    }

    @Test
    void aWasmFileThatIsNotWebAssemblyIsRefusedBeforeSending() throws Exception {
        Path file = Files.writeString(dir.resolve("agent.wasm"), "(module)");

        Cli.Result r = Cli.against(api, "agent", "deploy", file.toString(), "--name", "echo");

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.errLines()).singleElement().asString()
                .startsWith("caxton: " + file + ": not a WebAssembly binary").contains("*.wat");
        assertThat(api.requests()).isEmpty();
    }

    @Test
    void aBadMemoryValueIsAUsageErrorNamingTheOption() throws Exception {
        Path wasm = Files.write(dir.resolve("echo.wasm"), EMPTY_MODULE);

        Cli.Result r = Cli.against(api, "agent", "deploy", wasm.toString(), "--name", "echo", "--memory", "ten megs");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.errLines()).singleElement().asString()
                .startsWith("caxton: ").contains("--memory").contains("ten megs").contains("10MB")
                .contains("caxton agent deploy --help");
        assertThat(api.requests()).isEmpty();
    }

    @Test
    void aBadTimeoutOrFuelOrCodecIsAUsageErrorNamingTheOption() throws Exception {
        Path wasm = Files.write(dir.resolve("echo.wasm"), EMPTY_MODULE);

        Cli.Result timeout = Cli.against(api, "agent", "deploy", wasm.toString(), "--name", "e", "--timeout", "soon");
        Cli.Result fuel = Cli.against(api, "agent", "deploy", wasm.toString(), "--name", "e", "--fuel", "-5");
        Cli.Result codec = Cli.against(api, "agent", "deploy", wasm.toString(), "--name", "e", "--codec", "xml");
        Cli.Result zero = Cli.against(api, "agent", "deploy", wasm.toString(), "--name", "e", "--memory", "0");

        assertThat(timeout.code()).isEqualTo(2);
        assertThat(timeout.errLines()).singleElement().asString().contains("--timeout").contains("soon");
        assertThat(fuel.code()).isEqualTo(2);
        assertThat(fuel.errLines()).singleElement().asString().contains("--fuel").contains("-5");
        assertThat(codec.code()).isEqualTo(2);
        assertThat(codec.errLines()).singleElement().asString().contains("--codec").contains("xml");
        assertThat(zero.code()).isEqualTo(2);
        assertThat(zero.errLines()).singleElement().asString().contains("--memory").contains("more than zero");
        assertThat(api.requests()).isEmpty();
    }

    @Test
    void aCpuShareIsSentAsALimitAndOneOutOfRangeIsAUsageErrorNamingTheOption() throws Exception {
        Path wasm = Files.write(dir.resolve("echo.wasm"), EMPTY_MODULE);
        api.on("POST", "/api/v1/agents", 201, AGENT);

        Cli.Result ok = Cli.against(api, "agent", "deploy", wasm.toString(), "--name", "echo", "--cpu-share", "300");
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(api.only().json().at("/limits/cpu_share").asInt()).isEqualTo(300);

        Cli.Result zero = Cli.against(api, "agent", "deploy", wasm.toString(), "--name", "e", "--cpu-share", "0");
        Cli.Result big = Cli.against(api, "agent", "deploy", wasm.toString(), "--name", "e", "--cpu-share", "1001");
        assertThat(zero.code()).isEqualTo(2);
        assertThat(zero.errLines()).singleElement().asString().contains("--cpu-share").contains("0").contains("1 to 1000");
        assertThat(big.code()).isEqualTo(2);
        assertThat(big.errLines()).singleElement().asString().contains("--cpu-share").contains("1001");
        assertThat(api.requests()).hasSize(1);
    }

    @Test
    void outOfRangeLimitsAndUnknownPermissionsAreUsageErrorsAndNothingIsSent() throws Exception {
        Path wasm = Files.write(dir.resolve("echo.wasm"), EMPTY_MODULE);

        Cli.Result huge = Cli.against(api, "agent", "deploy", wasm.toString(), "--name", "e", "--memory", "99999999999GB");
        Cli.Result five = Cli.against(api, "agent", "deploy", wasm.toString(), "--name", "e", "--memory", "5GB");
        Cli.Result tiny = Cli.against(api, "agent", "deploy", wasm.toString(), "--name", "e", "--memory", "1KB");
        Cli.Result days = Cli.against(api, "agent", "deploy", wasm.toString(), "--name", "e", "--timeout", "2d");
        Cli.Result exec = Cli.against(api, "agent", "deploy", wasm.toString(), "--name", "e", "--permission", "exec");

        assertThat(huge.code()).isEqualTo(2);
        assertThat(huge.errLines()).singleElement().asString().contains("--memory").contains("too large");
        assertThat(five.code()).isEqualTo(2);
        assertThat(five.errLines()).singleElement().asString().contains("--memory").contains("64KB to 4GB");
        assertThat(tiny.code()).isEqualTo(2);
        assertThat(tiny.errLines()).singleElement().asString().contains("--memory").contains("64KB to 4GB");
        assertThat(days.code()).isEqualTo(2);
        assertThat(days.errLines()).singleElement().asString().contains("--timeout").contains("1d");
        assertThat(exec.code()).isEqualTo(2);
        assertThat(exec.errLines()).singleElement().asString().contains("--permission").contains("'exec'")
                .contains("send_message, log, now_millis, register_capability");
        assertThat(api.requests()).isEmpty();
    }

    @Test
    void deployWithoutNameIsAUsageError() throws Exception {
        Path wasm = Files.write(dir.resolve("echo.wasm"), EMPTY_MODULE);

        Cli.Result r = Cli.against(api, "agent", "deploy", wasm.toString());

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.errLines()).singleElement().asString().contains("--name");
    }

    @Test
    void aRefusedDeploymentShowsTheApiErrorAndDetails() throws Exception {
        Path wasm = Files.write(dir.resolve("echo.wasm"), EMPTY_MODULE);
        api.on("POST", "/api/v1/agents", 400,
                "{\"error\":\"Missing required export: 'handle_message'\",\"details\":{\"export\":\"handle_message\"}}");

        Cli.Result r = Cli.against(api, "agent", "deploy", wasm.toString(), "--name", "echo");

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.errLines()).containsExactly(
                "caxton: 400 Missing required export: 'handle_message' (export: handle_message)");
    }

    @Test
    void listRendersOneRowPerAgent() {
        api.on("GET", "/api/v1/agents", 200, "{\"agents\":[" + AGENT + ","
                + "{\"name\":\"counter-agent\",\"state\":\"failed\",\"capabilities\":[],"
                + "\"counters\":{\"messages_handled\":7,\"faults\":5}}]}");

        Cli.Result r = Cli.against(api, "agent", "list");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines().toList()).containsExactly(
                "NAME           STATE    CAPABILITIES  HANDLED  FAULTS",
                "echo           running  echo,ping     42       3",
                "counter-agent  failed   -             7        5");
        assertThat(api.only().method()).isEqualTo("GET");
    }

    @Test
    void listSaysSoWhenThereAreNoAgents() {
        api.on("GET", "/api/v1/agents", 200, "{\"agents\":[]}");

        assertThat(Cli.against(api, "agent", "list").out()).isEqualTo("no agents deployed\n");
    }

    @Test
    void listJsonPrintsTheServersAnswer() throws Exception {
        String answer = "{\"agents\":[" + AGENT + "]}";
        api.on("GET", "/api/v1/agents", 200, answer);

        Cli.Result r = Cli.against(api, "agent", "list", "--output", "json");

        assertThat(r.code()).isZero();
        assertThat(Json.mapper().readTree(r.out())).isEqualTo(Json.mapper().readTree(answer));
    }

    @Test
    void inspectShowsEveryFieldWithLimitsAndCounters() {
        api.on("GET", "/api/v1/agents/echo", 200, AGENT);

        Cli.Result r = Cli.against(api, "agent", "inspect", "echo");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines().toList()).containsExactly(
                "name:         echo",
                "id:           a-1",
                "state:        running",
                "engine:       chicory",
                "codec:        json",
                "capabilities: echo,ping",
                "deployed at:  2025-01-02T03:04:05Z",
                "last fault:   -",
                "module size:  1536 bytes",
                "limits:",
                "  memory:            10MB (10485760 bytes)",
                "  execution timeout: 5s",
                "  fuel:              unmetered",
                "counters:",
                "  messages handled: 42",
                "  faults:           3",
                "  restarts:         1");
    }

    @Test
    void inspectShowsWasiAndExtismSettingsByNameOnly() {
        api.on("GET", "/api/v1/agents/plug", 200, """
                {"name":"plug","state":"running","wasi":true,"wasi_args":["--mode","a b"],
                 "wasi_env_names":["HOME","TOKEN"],"extism_function":"count",
                 "extism_config_keys":["greeting","api_key"],"extism_allow_hosts":["127.0.0.1","api.example.com"]}""");

        Cli.Result r = Cli.against(api, "agent", "inspect", "plug");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines().toList()).contains(
                "wasi:               true",
                "wasi args:          [\"--mode\",\"a b\"]",
                "wasi env names:     HOME, TOKEN (values not shown)",
                "extism function:    count",
                "extism config keys: greeting, api_key (values not shown)",
                "extism allow hosts: 127.0.0.1, api.example.com");
    }

    @Test
    void inspectOfAnUnknownAgentIsTheApisOneLineError() {
        api.on("GET", "/api/v1/agents/ghost", 404, "{\"error\":\"agent 'ghost' not found\",\"details\":{}}");

        Cli.Result r = Cli.against(api, "agent", "inspect", "ghost");

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.errLines()).containsExactly("caxton: 404 agent 'ghost' not found");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void namesAreEncodedAsOnePathSegment() {
        api.on("GET", "/api/v1/agents/my%20agent%2F2", 200, AGENT);

        Cli.Result r = Cli.against(api, "agent", "inspect", "my agent/2");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(api.only().path()).isEqualTo("/api/v1/agents/my%20agent%2F2");
    }

    @Test
    void undeploySendsDelete() {
        api.on("DELETE", "/api/v1/agents/echo", 204, "");

        Cli.Result r = Cli.against(api, "agent", "undeploy", "echo");
        Cli.Result json = Cli.against(api, "agent", "undeploy", "echo", "--output", "json");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("undeployed agent echo\n");
        assertThat(api.requests()).extracting(FakeApi.Request::method).containsExactly("DELETE", "DELETE");
        assertThat(json.out()).contains("\"undeployed\" : true");
    }

    @Test
    void reloadPutsTheNewModule() throws Exception {
        Path wasm = Files.write(dir.resolve("v2.wasm"), EMPTY_MODULE);
        api.on("PUT", "/api/v1/agents/echo/module", 200, AGENT);

        Cli.Result r = Cli.against(api, "agent", "reload", "echo", wasm.toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("reloaded agent echo from " + wasm + " (state running)\n");
        FakeApi.Request req = api.only();
        assertThat(req.method()).isEqualTo("PUT");
        assertThat(req.json().get("wasm_module").asText()).isEqualTo(Base64.getEncoder().encodeToString(EMPTY_MODULE));
    }

    @Test
    void reloadFromWatSendsText() throws Exception {
        Path wat = Files.writeString(dir.resolve("v2.wat"), "(module)", StandardCharsets.UTF_8);
        api.on("PUT", "/api/v1/agents/echo/module", 200, AGENT);

        assertThat(Cli.against(api, "agent", "reload", "echo", wat.toString()).code()).isZero();
        assertThat(api.only().json().get("wat_module").asText()).isEqualTo("(module)");
    }
}
