package dev.caxton.server;

import dev.caxton.testkit.Wat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The deploy API's Extism fields with a hand-written plugin in WAT: {@code extism_function} and
 * {@code config} run it and its output is the reply; each field's misuse is a 400 naming the field.
 */
class ExtismApiTest {

    /** Answers every call with its configured {@code greeting}, read with config_get. */
    private static final String GREETER = """
            (module
              (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
              (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
              (import "extism:host/env" "config_get" (func $config_get (param i64) (result i64)))
              (import "extism:host/env" "length" (func $length (param i64) (result i64)))
              (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
              (memory (export "memory") 1)
              (data (i32.const 0) "greeting")
              (func (export "greet") (result i32)
                (local $key i64) (local $i i32) (local $value i64)
                (local.set $key (call $alloc (i64.const 8)))
                (loop $copy
                  (call $store_u8 (i64.add (local.get $key) (i64.extend_i32_u (local.get $i))) (i32.load8_u (local.get $i)))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $copy (i32.lt_u (local.get $i) (i32.const 8))))
                (local.set $value (call $config_get (local.get $key)))
                (call $output_set (local.get $value) (call $length (local.get $value)))
                (i32.const 0)))
            """;

    @TempDir
    static Path dir;

    static TestServer s;
    static String module;

    @BeforeAll
    static void start() throws Exception {
        s = new TestServer(dir, "", "");
        module = Base64.getEncoder().encodeToString(Wat.compile(GREETER));
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    private static TestServer.Res deploy(String name, String more) throws Exception {
        return s.call("POST", "/api/v1/agents", "{\"name\":\"" + name + "\",\"wasm_module\":\"" + module + "\"" + more + "}");
    }

    @Test
    void aPluginDeployedWithItsFunctionAnswersWithItsOutput() throws Exception {
        TestServer.Res r = deploy("greeter", ",\"extism_function\":\"greet\",\"config\":{\"greeting\":\"{\\\"hello\\\":\\\"world\\\"}\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        TestServer.Res reply = s.call("POST", "/api/v1/messages",
                "{\"performative\":\"request\",\"receiver\":\"greeter\",\"content\":\"hi\",\"wait_ms\":30000}");
        assertThat(reply.body()).as("the output parses as JSON, so the content is an object")
                .contains("\"performative\":\"inform\"").contains("\"content\":{\"hello\":\"world\"}");
        TestServer.Res text = deploy("plain-greeter", ",\"extism_function\":\"greet\",\"config\":{\"greeting\":\"good day\"}");
        assertThat(text.status()).as(text.body()).isEqualTo(201);
        assertThat(s.call("POST", "/api/v1/messages",
                "{\"performative\":\"request\",\"receiver\":\"plain-greeter\",\"content\":1,\"wait_ms\":30000}").body())
                .as("output that is not JSON is a string").contains("\"content\":\"good day\"");
    }

    @Test
    void theAgentDetailShowsFunctionHostsAndConfigKeysButNoConfigValues() throws Exception {
        TestServer.Res r = deploy("secretive", ",\"extism_function\":\"greet\",\"config\":{\"greeting\":\"hi\","
                + "\"api_key\":\"sk-do-not-show-4711\"},\"extism_allow_hosts\":[\"127.0.0.1\",\"api.example.com\"]");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.body()).as("the deploy answer is the same detail").doesNotContain("sk-do-not-show-4711");
        TestServer.Res detail = s.call("GET", "/api/v1/agents/secretive", null);
        assertThat(detail.status()).isEqualTo(200);
        com.fasterxml.jackson.databind.JsonNode a = new com.fasterxml.jackson.databind.ObjectMapper().readTree(detail.body());
        assertThat(a.path("extism_function").asText()).isEqualTo("greet");
        assertThat(a.path("extism_config_keys").toString()).isEqualTo("[\"greeting\",\"api_key\"]");
        assertThat(a.path("extism_allow_hosts").toString()).isEqualTo("[\"127.0.0.1\",\"api.example.com\"]");
        assertThat(detail.body()).doesNotContain("sk-do-not-show-4711").doesNotContain("\"hi\"");
        assertThat(s.call("GET", "/api/v1/agents", null).body()).doesNotContain("sk-do-not-show-4711");
    }

    @Test
    void misusedFieldsAreRefusedNamingTheField() throws Exception {
        TestServer.Res unflagged = deploy("unflagged", "");
        assertThat(unflagged.status()).isEqualTo(400);
        assertThat(unflagged.body()).contains("Extism plugin").contains("--extism-function").contains("greet")
                .doesNotContain("java.", "Exception");
        TestServer.Res configAlone = deploy("config-alone", ",\"config\":{\"a\":\"b\"}");
        assertThat(configAlone.status()).isEqualTo(400);
        assertThat(configAlone.body()).contains("\"field\":\"config\"").contains("extism_function");
        TestServer.Res notString = deploy("not-string", ",\"extism_function\":\"greet\",\"config\":{\"n\":1}");
        assertThat(notString.status()).isEqualTo(400);
        assertThat(notString.body()).contains("config.n");
        TestServer.Res badHost = deploy("bad-host", ",\"extism_function\":\"greet\",\"extism_allow_hosts\":[\"https://x.org/\"]");
        assertThat(badHost.status()).isEqualTo(400);
        assertThat(badHost.body()).contains("extism_allow_hosts");
    }
}
