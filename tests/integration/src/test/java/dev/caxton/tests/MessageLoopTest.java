package dev.caxton.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, defect 1 on the built image: one API request used to start a message loop that never
 * ended (an echo agent named as its own sender answered itself ~370k times a second and its
 * conversation filled the disk). Now clients cannot send as an agent, every message carries a hop
 * count that ends any loop at {@code messaging.max_hops}, and conversations are bounded and paged.
 */
class MessageLoopTest {

    private static final int MAX_HOPS = 32;
    private static final int CONVERSATION_MAX = 20;

    /**
     * An agent that answers every message it gets with an inform to its peer, in conversation
     * {@code conv-ab}. Two of them pointed at each other loop. It also writes {@code "hops":0} into
     * what it sends, to show that an agent cannot reset the count.
     */
    private static String pinger(String peer) {
        String envelope = "{\"performative\":\"inform\",\"receiver\":\"" + peer
                + "\",\"content\":\"again\",\"conversation_id\":\"conv-ab\",\"hops\":0}";
        return """
                (module
                  (import "caxton" "send_message" (func $send (param i32 i32) (result i32)))
                  (memory (export "memory") 1)
                  (data (i32.const 16) "%s")
                  ;; One fixed buffer: every message of this test is far below 64 KB.
                  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
                  (func (export "handle_message") (param i32 i32) (result i64)
                    (drop (call $send (i32.const 16) (i32.const %d)))
                    (i64.const 0)))
                """.formatted(envelope.replace("\"", "\\\""), envelope.length());
    }

    @Test
    @DisplayName("the looping request is refused; an A<->B loop ends at the hop limit; the conversation stays bounded and pages")
    void loopsEnd(@TempDir Path dir) throws Exception {
        try (Image.Server s = new Image.Server(dir, """
                messaging:
                  conversation_max_messages: %d
                """.formatted(CONVERSATION_MAX))) {
            ObjectNode echo = Image.JSON.createObjectNode().put("name", "loopy")
                    .put("wasm_module", Base64.getEncoder().encodeToString(Files.readAllBytes(Image.example("echo/echo.wasm"))));
            assertThat(s.http("POST", "/api/v1/agents", echo.toString(), s.token()).statusCode()).isEqualTo(201);

            // 1. The exact request of the report: refused, naming the field and saying why.
            HttpResponse<String> repro = s.http("POST", "/api/v1/messages", """
                    {"performative":"inform","receiver":"loopy","sender":"loopy","content":"boom","conversation_id":"conv-loop"}""",
                    s.token());
            assertThat(repro.statusCode()).as(repro.body()).isEqualTo(400);
            JsonNode refusal = Image.JSON.readTree(repro.body());
            assertThat(refusal.at("/details/field").asText()).isEqualTo("sender");
            assertThat(refusal.get("error").asText()).contains("'loopy' is an agent on this node")
                    .contains("may not send as an agent");
            assertThat(s.api("GET", "/api/v1/agents/loopy", null).at("/counters/messages_handled").asInt())
                    .as("nothing reached the agent").isZero();
            assertThat(s.http("GET", "/api/v1/conversations/conv-loop", null, s.token()).statusCode()).isEqualTo(404);
            HttpResponse<String> reserved = s.http("POST", "/api/v1/messages",
                    "{\"performative\":\"inform\",\"receiver\":\"loopy\",\"sender\":\"client-x\"}", s.token());
            assertThat(reserved.statusCode()).isEqualTo(400);
            assertThat(reserved.body()).contains("\"field\":\"sender\"");
            assertThat(s.http("POST", "/api/v1/messages",
                    "{\"performative\":\"inform\",\"receiver\":\"loopy\",\"sender\":\"alice\"}", s.token()).statusCode())
                    .as("a name of the client's own is fine").isEqualTo(202);

            // 2. Two agents that answer each other: the hop count ends the loop with a dead letter.
            for (String[] pair : new String[][] {{"ping-a", "ping-b"}, {"ping-b", "ping-a"}}) {
                ObjectNode deploy = Image.JSON.createObjectNode().put("name", pair[0]).put("wat_module", pinger(pair[1]));
                HttpResponse<String> r = s.http("POST", "/api/v1/agents", deploy.toString(), s.token());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            }
            assertThat(s.http("POST", "/api/v1/messages", """
                    {"performative":"inform","receiver":"ping-a","content":"go","conversation_id":"conv-ab"}""",
                    s.token()).statusCode()).isEqualTo(202);
            String reason = "hop limit exceeded: " + (MAX_HOPS + 1) + " > messaging.max_hops " + MAX_HOPS;
            JsonNode hopLetter = awaitDeadLetter(s, reason);
            assertThat(hopLetter.get("receiver").asText()).isIn("ping-a", "ping-b");
            assertThat(hopLetter.at("/envelope/hops").asInt()).isEqualTo(MAX_HOPS + 1);
            // Hops 0..32 were delivered, one message each; the one of hop 33 is the dead letter.
            assertThat(awaitHandled(s, MAX_HOPS + 1)).isEqualTo(MAX_HOPS + 1);

            // 3. The conversation holds its first CONVERSATION_MAX messages and pages through them.
            JsonNode first = awaitOmitted(s, "conv-ab", MAX_HOPS + 1 - CONVERSATION_MAX);
            assertThat(first.get("message_count").asInt()).isEqualTo(CONVERSATION_MAX);
            List<Long> sequences = new ArrayList<>();
            List<Integer> pageSizes = new ArrayList<>();
            String cursor = null;
            do {
                JsonNode page = s.api("GET", "/api/v1/conversations/conv-ab?limit=7"
                        + (cursor == null ? "" : "&cursor=" + cursor), null);
                pageSizes.add(page.get("messages").size());
                page.get("messages").forEach(m -> sequences.add(m.get("sequence").asLong()));
                cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
            } while (cursor != null);
            assertThat(pageSizes).containsExactly(7, 7, 6);
            assertThat(sequences).containsExactlyElementsOf(
                    java.util.stream.LongStream.rangeClosed(1, CONVERSATION_MAX).boxed().toList());
            JsonNode firstPage = s.api("GET", "/api/v1/conversations/conv-ab?limit=2", null);
            assertThat(firstPage.at("/messages/0/receiver").asText()).as("the beginning is kept").isEqualTo("ping-a");
            assertThat(firstPage.at("/messages/0/sender").asText()).startsWith("client-");
            assertThat(firstPage.at("/messages/1/envelope/hops").asInt()).isEqualTo(1);
            for (String bad : List.of("limit=0", "limit=1001", "limit=x")) {
                HttpResponse<String> r = s.http("GET", "/api/v1/conversations/conv-ab?" + bad, null, s.token());
                assertThat(r.statusCode()).as(bad).isEqualTo(400);
                assertThat(r.body()).as(bad).contains("limit");
            }
            HttpResponse<String> badCursor = s.http("GET", "/api/v1/conversations/conv-ab?cursor=zz", null, s.token());
            assertThat(badCursor.statusCode()).isEqualTo(400);
            assertThat(Image.JSON.readTree(badCursor.body()).at("/details/field").asText()).isEqualTo("cursor");

            Image.Result limited = s.cli("message", "trace", "conv-ab", "--limit", "5");
            assertThat(limited.exit()).as(limited.err()).isZero();
            assertThat(limited.out()).contains("20 messages").contains("more messages follow: --cursor 5")
                    .contains("13 later messages were delivered but not journalled");
            Image.Result all = s.cli("message", "trace", "conv-ab", "--output", "json");
            assertThat(all.exit()).as(all.err()).isZero();
            assertThat(all.json().get("messages")).hasSize(CONVERSATION_MAX);
            assertThat(all.json().get("next_cursor").isNull()).isTrue();

            // 4. Many loops at once: every one ends, and the node keeps answering the echo agent.
            int loops = 100;
            List<Long> during = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean attacking = new AtomicBoolean(true);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<?> prober = pool.submit(() -> {
                    while (attacking.get()) {
                        during.add(echoMillis(s));
                    }
                    return null;
                });
                for (int i = 0; i < loops; i++) {
                    assertThat(s.http("POST", "/api/v1/messages",
                            "{\"performative\":\"inform\",\"receiver\":\"ping-b\",\"content\":\"go\"}", s.token())
                            .statusCode()).isEqualTo(202);
                }
                long hopLimited = awaitMetric(s, "caxton_messages_hop_limited_total", 1 + loops);
                attacking.set(false);
                prober.get(2, TimeUnit.MINUTES);
                assertThat(hopLimited).isEqualTo(1 + loops);
            } finally {
                attacking.set(false);
                pool.shutdownNow();
            }
            assertThat(awaitHandled(s, (MAX_HOPS + 1) * (loops + 1))).isEqualTo((MAX_HOPS + 1) * (loops + 1));
            List<Long> after = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                after.add(echoMillis(s));
            }
            System.out.printf("echo latency during %d loops: %s; after: %s%n", loops, percentiles(during), percentiles(after));
            assertThat(s.log()).doesNotContain("SEVERE");
        }
    }

    private static long echoMillis(Image.Server s) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = s.http("POST", "/api/v1/messages",
                "{\"performative\":\"request\",\"receiver\":\"loopy\",\"content\":\"ping\",\"wait_ms\":30000}", s.token());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Image.JSON.readTree(r.body()).at("/reply/sender").asText()).isEqualTo("loopy");
        return ms;
    }

    private static String percentiles(List<Long> samples) {
        if (samples.isEmpty()) {
            return "no samples";
        }
        List<Long> sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        return "p50 " + sorted.get(sorted.size() / 2) + "ms, p99 " + sorted.get(Math.min(sorted.size() - 1,
                (int) Math.ceil(sorted.size() * 0.99) - 1)) + "ms (" + sorted.size() + " requests)";
    }

    private static JsonNode awaitDeadLetter(Image.Server s, String reason) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            for (JsonNode d : s.api("GET", "/api/v1/dead-letters?limit=100", null).get("dead_letters")) {
                if (d.get("reason").asText().equals(reason)) {
                    return d;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no dead letter with reason '" + reason + "' within 60s: the loop did not end");
    }

    /** Waits until ping-a and ping-b handled at least {@code n} messages together; returns the total. */
    private static int awaitHandled(Image.Server s, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        int total = 0;
        while (System.nanoTime() < deadline) {
            total = s.api("GET", "/api/v1/agents/ping-a", null).at("/counters/messages_handled").asInt()
                    + s.api("GET", "/api/v1/agents/ping-b", null).at("/counters/messages_handled").asInt();
            if (total >= n) {
                return total;
            }
            Thread.sleep(100);
        }
        return total;
    }

    private static JsonNode awaitOmitted(Image.Server s, String conversation, int omitted) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        JsonNode c = null;
        while (System.nanoTime() < deadline) {
            c = s.api("GET", "/api/v1/conversations/" + conversation, null);
            if (c.path("omitted").asInt() >= omitted) {
                assertThat(c.get("omitted").asInt()).isEqualTo(omitted);
                return c;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("conversation " + conversation + " never showed " + omitted + " omitted messages: " + c);
    }

    private static long awaitMetric(Image.Server s, String name, long atLeast) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        long value = -1;
        try (HttpClient c = HttpClient.newHttpClient()) {
            while (System.nanoTime() < deadline) {
                String body = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.metricsPort + "/metrics"))
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()).body();
                for (String line : body.split("\n")) {
                    if (line.startsWith(name + " ")) {
                        value = (long) Double.parseDouble(line.substring(name.length() + 1).trim());
                    }
                }
                if (value >= atLeast) {
                    return value;
                }
                Thread.sleep(100);
            }
        }
        throw new AssertionError(name + " stayed at " + value + ", expected " + atLeast);
    }
}
