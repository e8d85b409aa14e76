package dev.caxton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caxton.testkit.Wat;
import dev.caxton.testkit.WatAgents;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent detail of a WASI agent shows its program arguments and the names of its environment
 * variables, never their values (they are where credentials usually go); an agent without WASI
 * shows neither list.
 */
class WasiDetailApiTest {

    @TempDir
    static Path dir;

    static TestServer s;
    static String module;

    @BeforeAll
    static void start() throws Exception {
        s = new TestServer(dir, "", "");
        module = Base64.getEncoder().encodeToString(Wat.compile(WatAgents.ECHO));
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    @Test
    void argumentsAndVariableNamesAreShownButNotTheValues() throws Exception {
        TestServer.Res r = s.call("POST", "/api/v1/agents", "{\"name\":\"wasi-echo\",\"wasm_module\":\"" + module
                + "\",\"wasi\":true,\"wasi_args\":[\"--mode\",\"fast lane\"],"
                + "\"wasi_env\":{\"HOME\":\"/nowhere\",\"DB_PASSWORD\":\"pw-not-for-eyes-5521\"}}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.body()).doesNotContain("pw-not-for-eyes-5521");
        TestServer.Res detail = s.call("GET", "/api/v1/agents/wasi-echo", null);
        assertThat(detail.status()).isEqualTo(200);
        JsonNode a = new ObjectMapper().readTree(detail.body());
        assertThat(a.path("wasi").asBoolean()).isTrue();
        assertThat(a.path("wasi_args").toString()).isEqualTo("[\"--mode\",\"fast lane\"]");
        assertThat(a.path("wasi_env_names").toString()).as("in the order given").isEqualTo("[\"HOME\",\"DB_PASSWORD\"]");
        assertThat(detail.body()).doesNotContain("pw-not-for-eyes-5521").doesNotContain("/nowhere");
        assertThat(s.call("GET", "/api/v1/agents", null).body()).doesNotContain("pw-not-for-eyes-5521");
    }

    @Test
    void anAgentWithoutWasiOrExtismHasNoSuchFields() throws Exception {
        TestServer.Res r = s.call("POST", "/api/v1/agents", "{\"name\":\"plain-echo\",\"wasm_module\":\"" + module + "\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        JsonNode a = new ObjectMapper().readTree(s.call("GET", "/api/v1/agents/plain-echo", null).body());
        assertThat(a.path("wasi").asBoolean(true)).isFalse();
        assertThat(a.has("wasi_args") || a.has("wasi_env_names") || a.has("extism_function")).as(a.toString()).isFalse();
    }
}
