package dev.caxton.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The sandbox's limits on the built image (issue 9, defects 3, 5, 6 and part of 9): the node-wide
 * memory budget, per-agent limits checked at every entry point, capabilities of refused deploys,
 * agents' log lines, permission names, the capability cap and WAT compiler messages. Each attack is
 * bounded in size and the echo agent must answer after it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SandboxLimitsTest {

    private static final long MB = 1L << 20;

    private Path dir;
    private Image.Server server;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("caxton-sandbox");
        server = new Image.Server(dir, """
                runtime:
                  memory_budget: 48MB
                  max_capabilities_per_agent: 32
                  agent_log_rate: 20
                  agent_log_burst: 50
                """);
        Image.Result r = server.cli("agent", "deploy", Image.example("echo/echo.wasm").toString(), "--name", "echo");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            assertThat(server.terminate()).as("exit code after SIGTERM").isZero();
        }
    }

    // ---------------------------------------------------------------- helpers

    private HttpResponse<String> post(String path, Object body) throws Exception {
        return server.http("POST", path, Image.JSON.writeValueAsString(body), server.token());
    }

    private HttpResponse<String> deployWat(String name, String wat, Map<String, Object> extra) throws Exception {
        ObjectNode b = Image.JSON.createObjectNode().put("name", name).put("wat_module", wat);
        extra.forEach((k, v) -> b.set(k, Image.JSON.valueToTree(v)));
        return post("/api/v1/agents", b);
    }

    private HttpResponse<String> deployEcho(String name, Map<String, Object> extra) throws Exception {
        ObjectNode b = Image.JSON.createObjectNode().put("name", name).put("wasm_module",
                java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(Image.example("echo/echo.wasm"))));
        extra.forEach((k, v) -> b.set(k, Image.JSON.valueToTree(v)));
        return post("/api/v1/agents", b);
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return Image.JSON.readTree(r.body());
    }

    private long echoMillis() throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = post("/api/v1/messages", Map.of("performative", "request", "receiver", "echo",
                "content", Map.of("still", "alive"), "wait_ms", 30_000));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r).at("/reply/content/still").asText()).isEqualTo("alive");
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private void undeploy(String name) throws Exception {
        HttpResponse<String> r = server.http("DELETE", "/api/v1/agents/" + name, null, server.token());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    // ---------------------------------------------------------------- defect 3: memory

    @Test
    @DisplayName("deploys past runtime.memory_budget are refused with 503 and the numbers; echo still answers")
    void memoryBudget() throws Exception {
        // echo (10 MB) and whatever other tests left hold part of the 48 MB budget: fill it up to
        // less than 2 MB, then ask for 2 MB more.
        JsonNode health = server.api("GET", "/api/v1/health", null);
        assertThat(health.at("/memory_budget/budget_bytes").asLong()).isEqualTo(48 * MB);
        long inUse = health.at("/memory_budget/in_use_bytes").asLong();
        assertThat(inUse).isGreaterThanOrEqualTo(10 * MB);
        long fill = (48 * MB - inUse - MB) / 65536 * 65536;
        HttpResponse<String> a = deployEcho("budget-a", Map.of("limits", Map.of("memory_bytes", fill)));
        assertThat(a.statusCode()).as(a.body()).isEqualTo(201);
        Map<String, Object> two = Map.of("limits", Map.of("memory_bytes", 2 * MB));
        HttpResponse<String> refused = deployEcho("budget-b", two);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
        String error = json(refused).get("error").asText();
        assertThat(error).contains(Long.toString(2 * MB)).contains(Long.toString(inUse + fill))
                .contains(Long.toString(48 * MB)).contains("runtime.memory_budget");
        assertThat(server.http("GET", "/api/v1/agents/budget-b", null, server.token()).statusCode()).isEqualTo(404);
        System.out.println("[sandbox] echo after a refused deploy: " + echoMillis() + " ms");
        undeploy("budget-a");
        HttpResponse<String> b = deployEcho("budget-b", two);
        assertThat(b.statusCode()).as("the budget freed by an undeploy: %s", b.body()).isEqualTo(201);
        undeploy("budget-b");
    }

    @Test
    @DisplayName("a memory limit of 99999999999GB is refused by the CLI and 2^63-1 bytes by the API")
    void hugeMemoryLimits() throws Exception {
        Image.Result cli = server.cli("agent", "deploy", Image.example("echo/echo.wasm").toString(), "--name", "huge",
                "--memory", "99999999999GB");
        assertThat(cli.exit()).isNotZero();
        assertThat(cli.err()).contains("--memory").contains("too large");
        Image.Result cli5 = server.cli("agent", "deploy", Image.example("echo/echo.wasm").toString(), "--name", "huge",
                "--memory", "5GB");
        assertThat(cli5.exit()).isNotZero();
        assertThat(cli5.err()).contains("--memory").contains("64KB to 4GB");

        HttpResponse<String> api = deployEcho("huge", Map.of("limits", Map.of("memory_bytes", Long.MAX_VALUE)));
        assertThat(api.statusCode()).as(api.body()).isEqualTo(400);
        assertThat(json(api).get("error").asText()).contains("limits.memory_bytes").contains("65536 to 4294967296");
        HttpResponse<String> timeout = deployEcho("huge", Map.of("limits", Map.of("execution_timeout_ms", Long.MAX_VALUE)));
        assertThat(timeout.statusCode()).as(timeout.body()).isEqualTo(400);
        assertThat(json(timeout).get("error").asText()).contains("limits.execution_timeout_ms");
        assertThat(server.api("GET", "/api/v1/agents", null).toString()).doesNotContain("\"huge\"");
    }

    @Test
    @DisplayName("tables count toward the memory limit: a huge table under 64 KB is refused")
    void tablesCount() throws Exception {
        HttpResponse<String> r = deployWat("tables", """
                (module
                  (memory (export "memory") 1)
                  (table 10000000 funcref)
                  (func (export "alloc") (param i32) (result i32) i32.const 0)
                  (func (export "handle_message") (param i32 i32) (result i64) i64.const 0))
                """, Map.of("limits", Map.of("memory_bytes", 65536)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(json(r).get("error").asText()).contains("10000000 elements").contains("2048");
        echoMillis();
    }

    // ---------------------------------------------------------------- defect 5: ghost capabilities

    @Test
    @DisplayName("a deploy whose init registers a capability and fails leaves no ghost holder")
    void noGhostCapabilities() throws Exception {
        Image.Result holder = server.cli("agent", "deploy", Image.example("echo/echo.wasm").toString(), "--name", "holder",
                "--capability", "translate", "--memory", "2MB");
        assertThat(holder.exit()).as(holder.err()).isZero();
        HttpResponse<String> ghost = deployWat("ghost", """
                (module
                  (import "caxton" "register_capability" (func $reg (param i32 i32) (result i32)))
                  (memory (export "memory") 1)
                  (data (i32.const 16) "translate")
                  (func (export "alloc") (param i32) (result i32) i32.const 1024)
                  (func (export "handle_message") (param i32 i32) (result i64) i64.const 0)
                  (func (export "init") (result i32)
                    (drop (call $reg (i32.const 16) (i32.const 9)))
                    i32.const 1))
                """, Map.of("limits", Map.of("memory_bytes", 65536)));
        assertThat(ghost.statusCode()).as(ghost.body()).isEqualTo(400);
        assertThat(server.api("GET", "/api/v1/capabilities", null).toString()).doesNotContain("ghost");
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = post("/api/v1/messages", Map.of("performative", "request", "capability", "translate",
                    "content", Map.of("n", i), "wait_ms", 30_000));
            assertThat(r.statusCode()).as("send %d by capability: %s", i, r.body()).isEqualTo(200);
            assertThat(json(r).at("/reply/sender").asText()).isEqualTo("holder");
        }
        HttpResponse<String> broadcast = post("/api/v1/messages", Map.of("performative", "inform", "capability", "translate",
                "broadcast", true, "content", "all"));
        assertThat(broadcast.statusCode()).as(broadcast.body()).isEqualTo(202);
    }

    // ---------------------------------------------------------------- defect 6: logs

    private static final String FORGED = "spam\n2026-01-01 00:00:00 SEVERE dev.caxton.server.CaxtonServer: FAKE admin token leaked \u001b[31m\u0000end";

    private static String watString(String s) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            b.append(String.format("\\%02x", x & 0xff));
        }
        return b.toString();
    }

    @Test
    @DisplayName("a log flood is escaped, bounded and summarised; refusal warnings are bounded too")
    void logFlood() throws Exception {
        int len = FORGED.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        HttpResponse<String> spammer = deployWat("spammer", """
                (module
                  (import "caxton" "log" (func $log (param i32 i32 i32)))
                  (memory (export "memory") 1)
                  (data (i32.const 16) "%s")
                  (func (export "alloc") (param i32) (result i32) i32.const 4096)
                  (func (export "handle_message") (param i32 i32) (result i64)
                    (local $i i32)
                    (loop $l
                      (call $log (i32.const 2) (i32.const 16) (i32.const %d))
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br_if $l (i32.lt_u (local.get $i) (i32.const 50000))))
                    i64.const 0))
                """.formatted(watString(FORGED), len), Map.of("limits", Map.of("execution_timeout_ms", 120_000, "memory_bytes", 65536)));
        assertThat(spammer.statusCode()).as(spammer.body()).isEqualTo(201);
        HttpResponse<String> refuser = deployWat("refuser", """
                (module
                  (import "caxton" "send_message" (func $send (param i32 i32) (result i32)))
                  (memory (export "memory") 1)
                  (data (i32.const 16) "not json\\0a FAKE")
                  (func (export "alloc") (param i32) (result i32) i32.const 4096)
                  (func (export "handle_message") (param i32 i32) (result i64)
                    (local $i i32)
                    (loop $l
                      (drop (call $send (i32.const 16) (i32.const 14)))
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br_if $l (i32.lt_u (local.get $i) (i32.const 50000))))
                    i64.const 0))
                """, Map.of("permissions", List.of("send_message"), "limits", Map.of("execution_timeout_ms", 120_000, "memory_bytes", 65536)));
        assertThat(refuser.statusCode()).as(refuser.body()).isEqualTo(201);

        long deadline = System.currentTimeMillis() + 120_000;
        int rounds = 0;
        while (System.currentTimeMillis() < deadline
                && !(server.log().contains("[spammer] suppressed") && server.log().contains("[refuser] suppressed"))) {
            for (String to : List.of("spammer", "refuser")) {
                HttpResponse<String> r = post("/api/v1/messages", Map.of("performative", "inform", "receiver", to,
                        "content", "go"));
                assertThat(r.statusCode()).as(r.body()).isIn(200, 202);
            }
            rounds++;
            Thread.sleep(1500);
        }
        String log = server.log();
        assertThat(log).contains("[spammer] suppressed").contains("[refuser] suppressed");
        List<String> lines = log.lines().toList();
        long spamLines = lines.stream().filter(l -> l.contains("[spammer]")).count();
        long refuserLines = lines.stream().filter(l -> l.contains("[refuser]")).count();
        System.out.printf("[sandbox] %d rounds of 50,000 log calls: %d lines; of 50,000 refused sends: %d lines; log %d bytes%n",
                rounds, spamLines, refuserLines, log.length());
        assertThat(spamLines).isLessThan(5000);
        assertThat(refuserLines).isLessThan(5000);
        assertThat(log).doesNotContain("\u001b").doesNotContain("\u0000");
        assertThat(lines.stream().filter(l -> l.contains("FAKE")))
                .allSatisfy(l -> assertThat(l).containsAnyOf("[spammer] spam\\n2026", "[refuser] send_message refused"));
        assertThat(log).contains("[spammer] spam\\n2026-01-01 00:00:00 SEVERE dev.caxton.server.CaxtonServer: FAKE admin"
                + " token leaked \\x1b[31m\\x00end");
        echoMillis();
    }

    // ---------------------------------------------------------------- defect 9 items

    @Test
    @DisplayName("an unknown permission is refused by the API and the CLI, naming the known ones")
    void unknownPermission() throws Exception {
        HttpResponse<String> r = deployEcho("perm", Map.of("permissions", List.of("log", "exec")));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(json(r).get("error").asText()).contains("permissions").contains("'exec'")
                .contains("send_message, log, now_millis, register_capability");
        Image.Result cli = server.cli("agent", "deploy", Image.example("echo/echo.wasm").toString(), "--name", "perm",
                "--permission", "exec");
        assertThat(cli.exit()).isNotZero();
        assertThat(cli.err()).contains("--permission").contains("'exec'").contains("register_capability");
    }

    @Test
    @DisplayName("10,000 register_capability calls: the first 32 succeed, the rest get -4, and init finishes")
    void capabilityCap() throws Exception {
        // init registers "c" + four letters a-p spelling the counter; it returns 0 only when exactly
        // 32 registrations succeeded and every other call returned -4, otherwise 1000 + successes.
        HttpResponse<String> r = deployWat("registrar", """
                (module
                  (import "caxton" "register_capability" (func $reg (param i32 i32) (result i32)))
                  (memory (export "memory") 1)
                  (func (export "alloc") (param i32) (result i32) i32.const 1024)
                  (func (export "handle_message") (param i32 i32) (result i64) i64.const 0)
                  (func $letter (param $at i32) (param $i i32) (param $shift i32)
                    (i32.store8 (local.get $at)
                      (i32.add (i32.const 97) (i32.and (i32.shr_u (local.get $i) (local.get $shift)) (i32.const 15)))))
                  (func (export "init") (result i32)
                    (local $i i32) (local $rc i32) (local $ok i32) (local $bad i32)
                    (i32.store8 (i32.const 16) (i32.const 99))
                    (loop $l
                      (call $letter (i32.const 17) (local.get $i) (i32.const 0))
                      (call $letter (i32.const 18) (local.get $i) (i32.const 4))
                      (call $letter (i32.const 19) (local.get $i) (i32.const 8))
                      (call $letter (i32.const 20) (local.get $i) (i32.const 12))
                      (local.set $rc (call $reg (i32.const 16) (i32.const 5)))
                      (if (i32.eqz (local.get $rc))
                        (then (local.set $ok (i32.add (local.get $ok) (i32.const 1))))
                        (else (if (i32.ne (local.get $rc) (i32.const -4))
                          (then (local.set $bad (i32.add (local.get $bad) (i32.const 1)))))))
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br_if $l (i32.lt_u (local.get $i) (i32.const 10000))))
                    (if (result i32) (i32.and (i32.eq (local.get $ok) (i32.const 32)) (i32.eqz (local.get $bad)))
                      (then (i32.const 0))
                      (else (i32.add (i32.const 1000) (local.get $ok))))))
                """, Map.of("limits", Map.of("execution_timeout_ms", 60_000, "memory_bytes", 65536)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        assertThat(json(r).get("capabilities")).hasSize(32);
        echoMillis();
    }

    @Test
    @DisplayName("empty and broken WAT give the compiler's message with line and column")
    void watMessages() throws Exception {
        HttpResponse<String> empty = deployWat("wat-empty", "", Map.of());
        assertThat(empty.statusCode()).as(empty.body()).isEqualTo(400);
        assertThat(json(empty).get("error").asText()).contains("empty").contains(":1:1").doesNotContain("magic");
        HttpResponse<String> broken = deployWat("wat-broken", "(module\n  (func (result i32)\n    i32.bogus))", Map.of());
        assertThat(broken.statusCode()).as(broken.body()).isEqualTo(400);
        assertThat(json(broken).get("error").asText()).contains("wat_module.wat:3:").doesNotContain("\u001b")
                .doesNotContain("magic");
    }
}
