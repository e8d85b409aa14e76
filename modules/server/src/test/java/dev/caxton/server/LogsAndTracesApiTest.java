package dev.caxton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caxton.runtime.logging.LogFields;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Structured logs, the live log level and message traces on a real server running real WASM agents.
 */
class LogsAndTracesApiTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dir;

    /** Logs "tick" 20 000 times for every message: a runaway agent. */
    private static final String LOOPER = """
            (module
              (import "caxton" "log" (func $log (param i32 i32 i32)))
              (memory (export "memory") 1)
              (data (i32.const 0) "tick\\n\\u{1b}[2J")
              (func (export "alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "handle_message") (param i32 i32) (result i64)
                (local $i i32)
                (loop $again
                  (call $log (i32.const 2) (i32.const 0) (i32.const 9))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $again (i32.lt_u (local.get $i) (i32.const 20000))))
                (i64.const 0)))
            """;

    /** Sends one fixed message to the agent "sink" for every message it handles, and answers nothing. */
    private static String forwarder() {
        String json = "{\"performative\":\"inform\",\"receiver\":\"sink\",\"content\":\"forwarded\"}";
        return """
                (module
                  (import "caxton" "send_message" (func $send (param i32 i32) (result i32)))
                  (memory (export "memory") 1)
                  (data (i32.const 0) "%s")
                  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
                  (func (export "handle_message") (param i32 i32) (result i64)
                    (drop (call $send (i32.const 0) (i32.const %d)))
                    (i64.const 0)))
                """.formatted(json.replace("\"", "\\\""), json.getBytes(StandardCharsets.UTF_8).length);
    }

    private static final String TRACING = """
            observability:
              logging:
                format: json
              tracing:
                enabled: true
                sample_rate: 1.0
                buffer_size: 1000
            """;

    /** Collects every record the node's root logger publishes while a test runs. */
    private static final class Capture extends Handler implements AutoCloseable {
        final List<LogRecord> records = new CopyOnWriteArrayList<>();

        Capture() {
            Logger.getLogger("").addHandler(this);
        }

        @Override
        public void publish(LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            Logger.getLogger("").removeHandler(this);
        }

        List<LogRecord> ofAgent(String agent) {
            List<LogRecord> out = new ArrayList<>();
            for (LogRecord r : records) {
                Object[] p = r.getParameters();
                if (p != null && p.length > 0 && p[p.length - 1] instanceof LogFields f && agent.equals(f.agent())) {
                    out.add(r);
                }
            }
            return out;
        }
    }

    private static long handled(TestServer s, String agent) throws Exception {
        String body = s.call("GET", "/api/v1/agents/" + agent, null).body();
        return Long.parseLong(body.replaceAll("(?s).*\"messages_handled\":(\\d+).*", "$1"));
    }

    @Test
    void agentLogLinesAreJsonLinesTaggedWithTheAgentAndALoopingAgentStaysBounded() throws Exception {
        try (TestServer s = new TestServer(dir, "", TRACING); Capture capture = new Capture()) {
            assertThat(NodeLog.format()).isEqualTo(NodeLog.Format.JSON);
            // The agent's token bucket fills from its deploy on, so time is counted from before it.
            long start = System.nanoTime();
            s.deploy("looper", LOOPER);
            assertThat(s.call("POST", "/api/v1/messages", "{\"performative\":\"inform\",\"receiver\":\"looper\"}")
                    .status()).isEqualTo(202);
            TestServer.await("looper handled its message", () -> {
                try {
                    return handled(s, "looper") == 1;
                } catch (Exception e) {
                    return false;
                }
            });
            double seconds = (System.nanoTime() - start) / 1e9;
            List<LogRecord> lines = capture.ofAgent("looper");
            // runtime.agent_log_burst (200) at once, then runtime.agent_log_rate (50) a second, each of
            // those possibly preceded by a "suppressed" notice: far below the 20 000 calls the agent made.
            long bound = 200 + 2 * ((long) Math.ceil(seconds * 50) + 1);
            System.out.printf("looper: 20000 log calls -> %d lines in %.2fs (bound %d)%n", lines.size(), seconds, bound);
            assertThat(lines).isNotEmpty();
            assertThat((long) lines.size()).isLessThanOrEqualTo(bound);

            java.util.logging.Formatter json = NodeLog.formatter(NodeLog.Format.JSON);
            for (LogRecord r : lines) {
                String line = json.format(r);
                assertThat(line.strip()).as("one line per event").doesNotContain("\n").doesNotContain("\u001b");
                JsonNode n = MAPPER.readTree(line);
                assertThat(n.get("agent").asText()).isEqualTo("looper");
                assertThat(n.get("ts").asText()).isNotEmpty();
                assertThat(n.get("logger").asText()).isNotEmpty();
                if (n.get("level").asText().equals("warn")) {
                    assertThat(n.get("msg").asText()).contains("suppressed");
                } else {
                    assertThat(n.get("level").asText()).isEqualTo("info");
                    assertThat(n.get("msg").asText()).contains("tick\\n\\x1b[2J");
                }
            }
        }
    }

    @Test
    void anAgentFaultIsLoggedWithTheAgentMessageAndConversationAsFields() throws Exception {
        try (TestServer s = new TestServer(dir, "", TRACING); Capture capture = new Capture()) {
            s.deploy("broken", TestServer.TRAP);
            assertThat(s.call("POST", "/api/v1/messages", "{\"performative\":\"inform\",\"receiver\":\"broken\","
                    + "\"message_id\":\"m-fault\",\"conversation_id\":\"c-fault\"}").status()).isEqualTo(202);
            TestServer.await("the fault is logged", () -> capture.ofAgent("broken").stream()
                    .anyMatch(r -> r.getMessage().contains("fault")));
            LogRecord fault = capture.ofAgent("broken").stream().filter(r -> r.getMessage().contains("fault"))
                    .findFirst().orElseThrow();
            JsonNode n = MAPPER.readTree(NodeLog.formatter(NodeLog.Format.JSON).format(fault));
            assertThat(n.get("level").asText()).isEqualTo("warn");
            assertThat(n.get("agent").asText()).isEqualTo("broken");
            assertThat(n.get("message_id").asText()).isEqualTo("m-fault");
            assertThat(n.get("conversation_id").asText()).isEqualTo("c-fault");
            TestServer.await("the dead letter is traced", () -> {
                try {
                    return hops(trace(s, "m-fault")).contains("dead-lettered:broken");
                } catch (Exception e) {
                    return false;
                }
            });
        }
    }

    @Test
    void structuredFieldsAppearInBothFormatsAndPlainLinesStayOneLine() throws Exception {
        LogRecord r = new LogRecord(java.util.logging.Level.WARNING, "handling {0} failed");
        r.setLoggerName("dev.caxton.test");
        r.setParameters(new Object[] {"m-1", LogFields.message("a1", "m-1", "c-9")});
        JsonNode n = MAPPER.readTree(NodeLog.formatter(NodeLog.Format.JSON).format(r));
        assertThat(n.get("msg").asText()).isEqualTo("handling m-1 failed");
        assertThat(n.get("level").asText()).isEqualTo("warn");
        assertThat(n.get("agent").asText()).isEqualTo("a1");
        assertThat(n.get("message_id").asText()).isEqualTo("m-1");
        assertThat(n.get("conversation_id").asText()).isEqualTo("c-9");
        String plain = NodeLog.formatter(NodeLog.Format.PLAIN).format(r);
        assertThat(plain).contains(" WARN dev.caxton.test: handling m-1 failed agent=a1 message_id=m-1 conversation_id=c-9");
        LogRecord multi = new LogRecord(java.util.logging.Level.INFO, "a\nb");
        multi.setLoggerName("x");
        assertThat(NodeLog.formatter(NodeLog.Format.PLAIN).format(multi).strip()).doesNotContain("\n");
        assertThat(MAPPER.readTree(NodeLog.formatter(NodeLog.Format.JSON).format(multi)).get("msg").asText()).isEqualTo("a\nb");
    }

    @Test
    void theLogLevelChangesWhileTheNodeRuns() throws Exception {
        try (TestServer s = new TestServer(dir, "", "")) {
            System.Logger probe = System.getLogger("dev.caxton.test.level");
            assertThat(s.call("GET", "/api/v1/config/logging", null).body()).contains("\"level\":\"info\"");
            assertThat(probe.isLoggable(System.Logger.Level.DEBUG)).isFalse();

            TestServer.Res up = s.call("PUT", "/api/v1/config/logging", "{\"level\":\"debug\"}");
            assertThat(up.status()).as(up.body()).isEqualTo(200);
            assertThat(up.body()).contains("\"level\":\"debug\"");
            assertThat(probe.isLoggable(System.Logger.Level.DEBUG)).isTrue();
            assertThat(probe.isLoggable(System.Logger.Level.TRACE)).isFalse();

            TestServer.Res bad = s.call("PUT", "/api/v1/config/logging", "{\"level\":\"loud\"}");
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.body()).contains("'level'").contains("loud").doesNotContain("Exception");
            TestServer.Res unknown = s.call("PUT", "/api/v1/config/logging", "{\"levle\":\"debug\"}");
            assertThat(unknown.status()).isEqualTo(400);
            assertThat(unknown.body()).contains("levle");

            assertThat(s.call("PUT", "/api/v1/config/logging", "{\"level\":\"warn\"}").status()).isEqualTo(200);
            assertThat(probe.isLoggable(System.Logger.Level.INFO)).isFalse();
            assertThat(s.call("PUT", "/api/v1/config/logging", "{\"level\":\"info\"}").status()).isEqualTo(200);
        }
    }

    private static JsonNode trace(TestServer s, String id) throws Exception {
        TestServer.Res r = s.call("GET", "/api/v1/traces/" + id, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return MAPPER.readTree(r.body());
    }

    private static List<String> hops(JsonNode t) {
        List<String> out = new ArrayList<>();
        for (JsonNode h : t.get("hops")) {
            out.add(h.get("hop").asText() + (h.has("agent") ? ":" + h.get("agent").asText() : ""));
        }
        return out;
    }

    @Test
    void aSampledMessageThroughTwoAgentsShowsEveryHopInOrder() throws Exception {
        try (TestServer s = new TestServer(dir, "", TRACING)) {
            s.deploy("sink", TestServer.SILENT);
            s.deploy("fwd", forwarder());
            TestServer.Res sent = s.call("POST", "/api/v1/messages",
                    "{\"performative\":\"request\",\"receiver\":\"fwd\",\"conversation_id\":\"conv-1\"}");
            assertThat(sent.status()).as(sent.body()).isEqualTo(202);
            JsonNode body = MAPPER.readTree(sent.body());
            String id = body.get("message_id").asText();
            String tp = body.get("traceparent").asText();
            assertThat(tp).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");

            TestServer.await("both agents handled their message", () -> {
                try {
                    return hops(trace(s, id)).contains("handled:sink") && hops(trace(s, id)).contains("handled:fwd");
                } catch (Exception e) {
                    return false;
                }
            });
            JsonNode t = trace(s, id);
            List<String> h = hops(t);
            assertThat(h.getFirst()).isEqualTo("accepted");
            assertThat(h).containsSubsequence("accepted", "routed:fwd", "queued:fwd", "delivered:fwd", "handled:fwd");
            assertThat(h).containsSubsequence("delivered:fwd", "routed:sink", "queued:sink", "delivered:sink", "handled:sink");
            String traceId = tp.substring(3, 35);
            long total = 0;
            for (JsonNode hop : t.get("hops")) {
                assertThat(hop.get("trace_id").asText()).isEqualTo(traceId);
                assertThat(hop.get("since_previous_us").asLong()).isNotNegative();
                assertThat(hop.get("node").asText()).isEqualTo("node-1");
                total += hop.get("since_previous_us").asLong();
            }
            assertThat(t.get("total_us").asLong()).isEqualTo(total);
            System.out.println("trace of " + id + ": " + t);
            // The forwarded message is a different message in the same trace; asking for it or for
            // the conversation gives the same path.
            assertThat(hops(trace(s, "conv-1"))).contains("accepted", "handled:fwd");
        }
    }

    @Test
    void aRequestWithAWaitingClientEndsWithReplied() throws Exception {
        try (TestServer s = new TestServer(dir, "", TRACING)) {
            s.deploy("echo", TestServer.ECHO);
            TestServer.Res r = s.call("POST", "/api/v1/messages",
                    "{\"performative\":\"request\",\"receiver\":\"echo\",\"content\":1,\"wait_ms\":30000}");
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            JsonNode body = MAPPER.readTree(r.body());
            String id = body.get("message_id").asText();
            assertThat(body.get("reply").get("traceparent").asText()).startsWith("00-");
            TestServer.await("echo finished", () -> {
                try {
                    return hops(trace(s, id)).contains("handled:echo");
                } catch (Exception e) {
                    return false;
                }
            });
            assertThat(hops(trace(s, id))).containsSubsequence("accepted", "routed:echo", "queued:echo", "delivered:echo", "handled:echo")
                    .anyMatch(x -> x.startsWith("replied:"));
        }
    }

    @Test
    void aClientsTraceIsKeptUnsampledOnesRecordNothingAndMalformedOnesAreRefused() throws Exception {
        try (TestServer s = new TestServer(dir, "", TRACING)) {
            s.deploy("sink", TestServer.SILENT);
            String mine = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
            TestServer.Res kept = s.call("POST", "/api/v1/messages",
                    "{\"performative\":\"inform\",\"receiver\":\"sink\",\"message_id\":\"k-1\",\"traceparent\":\"" + mine + "\"}");
            assertThat(kept.status()).as(kept.body()).isEqualTo(202);
            TestServer.await("traced under the client's trace id", () -> {
                try {
                    return hops(trace(s, "4bf92f3577b34da6a3ce929d0e0e4736")).contains("handled:sink");
                } catch (Exception e) {
                    return false;
                }
            });

            TestServer.Res unsampled = s.call("POST", "/api/v1/messages",
                    "{\"performative\":\"inform\",\"receiver\":\"sink\",\"message_id\":\"u-1\",\"traceparent\":\""
                            + mine.replace("-01", "-00") + "\"}");
            assertThat(unsampled.status()).isEqualTo(202);
            TestServer.await("sink handled both", () -> {
                try {
                    return handled(s, "sink") == 2;
                } catch (Exception e) {
                    return false;
                }
            });
            assertThat(trace(s, "u-1").get("hops")).isEmpty();

            TestServer.Res bad = s.call("POST", "/api/v1/messages",
                    "{\"performative\":\"inform\",\"receiver\":\"sink\",\"traceparent\":\"00-xyz-01\"}");
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.body()).contains("traceparent").doesNotContain("Exception");
        }
    }

    @Test
    void withTracingOffNothingIsRecorded() throws Exception {
        try (TestServer s = new TestServer(dir, "", "")) {
            s.deploy("echo", TestServer.ECHO);
            TestServer.Res r = s.call("POST", "/api/v1/messages",
                    "{\"performative\":\"request\",\"receiver\":\"echo\",\"content\":1,\"wait_ms\":30000}");
            assertThat(r.status()).isEqualTo(200);
            JsonNode body = MAPPER.readTree(r.body());
            assertThat(body.get("reply").has("traceparent")).isFalse();
            JsonNode t = trace(s, body.get("message_id").asText());
            assertThat(t.get("tracing_enabled").asBoolean()).isFalse();
            assertThat(t.get("hops")).isEmpty();
        }
    }
}
