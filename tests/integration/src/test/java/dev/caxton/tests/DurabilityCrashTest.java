package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * At-least-once delivery and durable state through real crashes: a node on SQLite with
 * {@code messaging.enable_persistence} takes a steady stream of messages for durable counter agents
 * on both engines (some through a relay agent's {@code send_message}) and is killed with
 * {@code kill -9} at a random moment, several rounds over, restarted each time on the same data
 * directory. The client retries every message it was not told was accepted, with the same
 * {@code message_id}, as a client of an at-least-once system does.
 *
 * <p>At the end every counter must equal exactly the number of distinct messages it was sent: one
 * lost message (accepted but never handled, or state lost with a crash) makes it lower, one handled
 * twice (a replay not recognised as a duplicate) makes it higher.
 */
class DurabilityCrashTest {

    private static final String CONFIG = """
            storage:
              type: sqlite
            messaging:
              enable_persistence: true
            """;

    /** Counters messages are sent to directly, and the engine each runs on. */
    private static final Map<String, String> DIRECT = Map.of("tally-c", "chicory", "tally-w", "wasmtime");

    @TempDir
    Path dir;

    @Test
    @DisplayName("kill -9 in mid-stream, four rounds: every accepted message handled once, durable counters exact, agents back")
    void countersSurviveCrashesExactly() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        System.out.println("durability crash test: seed " + seed);
        Image.Server node = new Image.Server(dir, CONFIG);
        Map<String, Set<String>> sent = new LinkedHashMap<>();
        Set<String> unconfirmed = new LinkedHashSet<>();
        Map<String, String> targetOf = new LinkedHashMap<>();
        try {
            byte[] counter = Files.readAllBytes(Image.example("counter/counter.wasm"));
            deploy(node, "counter", counter, "wasmtime", true);
            deploy(node, "tally-c", counter, "chicory", true);
            deploy(node, "tally-w", counter, "wasmtime", true);
            // The relay forwards each message to "counter" with send_message; it keeps no state.
            deploy(node, "relay", Files.readAllBytes(Image.testAgent("forwarder.wasm")), "chicory", false);
            List<String> targets = List.of("tally-c", "tally-w", "relay");
            targets.forEach(t -> sent.put(t, new LinkedHashSet<>()));

            int rounds = 4;
            int next = 0;
            for (int round = 1; round <= rounds; round++) {
                Image.Server live = node;
                AtomicBoolean killed = new AtomicBoolean();
                long delay = 300 + random.nextInt(1200);
                Thread killer = killLater(live, delay, killed);
                int inRound = 0;
                while (!killed.get() || live.process.isAlive()) {
                    String target = targets.get(next % targets.size());
                    String id = "m-" + round + "-" + next;
                    next++;
                    sent.get(target).add(id);
                    targetOf.put(id, target);
                    if (!send(live, target, id)) {
                        unconfirmed.add(id);
                        if (!live.process.isAlive()) {
                            break;
                        }
                    }
                    inRound++;
                }
                killer.join();
                System.out.printf("round %d: killed after %d ms, %d messages sent in the round, %d unconfirmed so far%n",
                        round, delay, inRound, unconfirmed.size());
                node = node.restart();
                // Every agent is back after the crash, durable or not.
                JsonNode agents = node.api("GET", "/api/v1/agents", null);
                List<String> names = new ArrayList<>();
                agents.path("agents").forEach(a -> names.add(a.path("name").asText()));
                assertThat(names).as("agents after round " + round).contains("counter", "tally-c", "tally-w", "relay");
                // A client that was not told "accepted" sends again, with the same id.
                for (String id : List.copyOf(unconfirmed)) {
                    if (send(node, targetOf.get(id), id)) {
                        unconfirmed.remove(id);
                    }
                }
                assertThat(unconfirmed).as("messages still refused after the restart").isEmpty();
                // Messages confirmed before the crash, sent again: all recognised as duplicates.
                List<String> confirmed = new ArrayList<>(targetOf.keySet());
                for (int i = 0; i < 10 && !confirmed.isEmpty(); i++) {
                    String id = confirmed.get(random.nextInt(confirmed.size()));
                    assertThat(send(node, targetOf.get(id), id)).as("resend of " + id).isTrue();
                }
            }

            Map<String, Integer> queries = new LinkedHashMap<>();
            for (String name : DIRECT.keySet()) {
                awaitCount(node, name, sent.get(name).size(), queries);
            }
            awaitCount(node, "counter", sent.get("relay").size(), queries);
            JsonNode health = node.api("GET", "/api/v1/health", null);
            System.out.printf("durability crash test: %d messages (%s), every counter exact; node: %s%n", next,
                    sent.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().size()).toList(), health);
            JsonNode tally = node.api("GET", "/api/v1/agents/tally-w", null);
            assertThat(tally.path("durable").asBoolean()).isTrue();
            assertThat(tally.path("checkpoint_version").asLong()).isPositive();
        } finally {
            node.close();
        }
    }

    /** Kills {@code s} with {@code kill -9} after {@code delayMs}, setting {@code killed} just before. */
    static Thread killLater(Image.Server s, long delayMs, AtomicBoolean killed) {
        return Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(delayMs);
                killed.set(true);
                s.kill9();
            } catch (InterruptedException | IOException e) {
                throw new RuntimeException(e);
            }
        });
    }

    static void deploy(Image.Server s, String name, byte[] wasm, String engine, boolean durable)
            throws IOException, InterruptedException {
        String body = "{\"name\":\"" + name + "\",\"engine\":\"" + engine + "\",\"durable\":" + durable
                + ",\"wasm_module\":\"" + Base64.getEncoder().encodeToString(wasm) + "\"}";
        HttpResponse<String> r = s.http("POST", "/api/v1/agents", body, s.token());
        assertThat(r.statusCode()).as("deploy %s: %s", name, r.body()).isEqualTo(201);
    }

    // One client for the whole stream: a connection per message would make the stream a trickle.
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** @return whether the node said accepted; false when it refused or could not answer (killed) */
    static boolean send(Image.Server s, String receiver, String id) throws InterruptedException {
        String body = "{\"performative\":\"inform\",\"receiver\":\"" + receiver + "\",\"message_id\":\"" + id
                + "\",\"content\":{\"n\":1}}";
        try {
            HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(s.url() + "/api/v1/messages"))
                    .timeout(Duration.ofSeconds(30)).header("X-Caxton-Token", s.token())
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 202;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Asks a counter for its count until it shows {@code expected} messages. Each query is itself a
     * message the counter counts, so the count it answers is the messages sent plus the queries so far.
     */
    static void awaitCount(Image.Server s, String name, int expected, Map<String, Integer> queries)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        long seen = -1;
        while (System.nanoTime() < deadline) {
            int q = queries.merge(name, 1, Integer::sum);
            String body = "{\"performative\":\"request\",\"receiver\":\"" + name + "\",\"content\":\"count\",\"wait_ms\":20000}";
            JsonNode r = Image.JSON.readTree(s.http("POST", "/api/v1/messages", body, s.token()).body());
            long count = r.path("reply").path("content").path("count").asLong(-1);
            seen = count - q;
            assertThat(seen).as("%s counted more messages than it was sent (%s): one was handled twice", name, r)
                    .isLessThanOrEqualTo(expected);
            if (seen == expected) {
                return;
            }
            // The relay may still be forwarding: wait for the count, do not assume a time.
            Thread.sleep(200);
        }
        assertThat(seen).as("%s's count (less the queries) after waiting", name).isEqualTo(expected);
    }
}
