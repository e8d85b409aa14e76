package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caxton.testkit.WatAgents;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code caxton agent inspect}, text and JSON, on a node of the built image shows what an agent was
 * deployed with: WASI arguments and the names of its environment variables, an Extism plugin's
 * function, config keys and allowed hosts; never an environment or config value, since those are where
 * deployers put credentials. Modules are WAT, so no toolchain is needed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentInspectSettingsTest {

    private static final String ENV_SECRET = "pw-not-for-eyes-5521";
    private static final String CONFIG_SECRET = "sk-do-not-show-4711";

    /** An Extism plugin that outputs nothing: only its settings are read back here. */
    private static final String PLUGIN = """
            (module
              (import "extism:host/env" "input_length" (func (result i64)))
              (memory (export "memory") 1)
              (func (export "run") (result i32) (i32.const 0)))
            """;

    private Image.Server server;

    @BeforeAll
    void start() throws Exception {
        Path work = Files.createTempDirectory("caxton-inspect");
        server = new Image.Server(Files.createDirectories(work.resolve("node")), "");
        Path echo = Files.writeString(work.resolve("echo.wat"), WatAgents.ECHO);
        Path plugin = Files.writeString(work.resolve("plugin.wat"), PLUGIN);
        Image.Result wasi = server.cli("agent", "deploy", echo.toString(), "--name", "wasi-echo", "--wasi",
                "--wasi-arg=--mode", "--wasi-arg", "fast lane", "--wasi-env", "HOME=/nowhere",
                "--wasi-env", "DB_PASSWORD=" + ENV_SECRET);
        assertThat(wasi.exit()).as("%s %s", wasi.out(), wasi.err()).isZero();
        Image.Result extism = server.cli("agent", "deploy", plugin.toString(), "--name", "plugin",
                "--extism-function", "run", "--extism-config", "greeting=hello", "--extism-config", "api_key=" + CONFIG_SECRET,
                "--extism-allow-host", "127.0.0.1", "--extism-allow-host", "API.example.com");
        assertThat(extism.exit()).as("%s %s", extism.out(), extism.err()).isZero();
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    @DisplayName("a WASI agent's arguments and variable names are shown, its variable values are not")
    void wasiSettings() throws Exception {
        Image.Result text = server.cli("agent", "inspect", "wasi-echo");
        assertThat(text.exit()).as(text.err()).isZero();
        assertThat(text.out()).contains("wasi args:").contains("[\"--mode\",\"fast lane\"]")
                .contains("wasi env names:").contains("HOME, DB_PASSWORD (values not shown)")
                .doesNotContain(ENV_SECRET).doesNotContain("/nowhere");
        Image.Result json = server.cli("agent", "inspect", "wasi-echo", "--output", "json");
        assertThat(json.exit()).as(json.err()).isZero();
        JsonNode a = Image.JSON.readTree(json.out());
        assertThat(a.path("wasi").asBoolean()).isTrue();
        assertThat(a.path("wasi_args").toString()).isEqualTo("[\"--mode\",\"fast lane\"]");
        assertThat(a.path("wasi_env_names").toString()).isEqualTo("[\"HOME\",\"DB_PASSWORD\"]");
        assertThat(json.out()).doesNotContain(ENV_SECRET).doesNotContain("/nowhere");
        assertThat(a.has("extism_function")).as("not an Extism plugin").isFalse();
    }

    @Test
    @DisplayName("an Extism plugin's function, config keys and allowed hosts are shown, its config values are not")
    void extismSettings() throws Exception {
        Image.Result text = server.cli("agent", "inspect", "plugin");
        assertThat(text.exit()).as(text.err()).isZero();
        assertThat(text.out()).contains("extism function:").contains(" run")
                .contains("extism config keys:").contains("greeting, api_key (values not shown)")
                .contains("extism allow hosts:").contains("127.0.0.1, api.example.com")
                .doesNotContain(CONFIG_SECRET).doesNotContain("hello");
        Image.Result json = server.cli("agent", "inspect", "plugin", "--output", "json");
        assertThat(json.exit()).as(json.err()).isZero();
        JsonNode a = Image.JSON.readTree(json.out());
        assertThat(a.path("extism_function").asText()).isEqualTo("run");
        assertThat(a.path("extism_config_keys").toString()).isEqualTo("[\"greeting\",\"api_key\"]");
        assertThat(a.path("extism_allow_hosts").toString()).isEqualTo("[\"127.0.0.1\",\"api.example.com\"]");
        assertThat(json.out()).doesNotContain(CONFIG_SECRET);
        assertThat(a.has("wasi_args")).as("no WASI").isFalse();
    }

    @Test
    @DisplayName("no secret value reaches the agent list or the server's log")
    void noSecretElsewhere() throws Exception {
        Image.Result list = server.cli("agent", "list", "--output", "json");
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out()).contains("plugin").doesNotContain(CONFIG_SECRET).doesNotContain(ENV_SECRET);
        assertThat(server.log()).doesNotContain(CONFIG_SECRET).doesNotContain(ENV_SECRET);
    }
}
