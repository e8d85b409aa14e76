package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.caxton.tests.ClusterNodes.NAMES;
import static dev.caxton.tests.ClusterNodes.allAgents;
import static dev.caxton.tests.ClusterNodes.await;
import static dev.caxton.tests.ClusterNodes.deploy;
import static dev.caxton.tests.ClusterNodes.request;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three {@code bin/caxton} processes on loopback that list each other in {@code membership: fixed}:
 * an agent on A answers a request sent through C's API, a capability held on A and B is balanced
 * from C, and an agent on B plays with an agent on A (its replies come back to B), each node its own
 * process.
 *
 * <p>Which transport/serializer pairs run comes from the system property {@value #MATRIX}: by
 * default TCP with MessagePack and QUIC with JSON and compressed frames (every transport, every
 * serializer and compression once, to keep CI short); the Maven profile {@code cluster-matrix} runs all
 * four pairs with and without compression.
 */
class ClusterTest {

    /**
     * The system property listing the pairs to run, {@code transport/serializer} separated by commas; a
     * {@code +lz4} suffix runs that pair with compressed frames.
     */
    static final String MATRIX = "caxton.cluster.matrix";

    /** The pairs the default run covers. */
    static final String DEFAULT_MATRIX = "tcp/msgpack,quic/json+lz4";

    @TempDir
    Path dir;

    static Stream<Arguments> pairs() {
        return Arrays.stream(System.getProperty(MATRIX, DEFAULT_MATRIX).split(","))
                .map(String::strip)
                .filter(p -> !p.isEmpty())
                .map(p -> {
                    boolean lz4 = p.endsWith("+lz4");
                    String[] parts = (lz4 ? p.substring(0, p.length() - 4) : p).split("/");
                    if (parts.length != 2 || !List.of("tcp", "quic").contains(parts[0])
                            || !List.of("msgpack", "json").contains(parts[1])) {
                        throw new IllegalArgumentException(MATRIX + ": '" + p + "' is not transport/serializer[+lz4]"
                                + " with transport tcp or quic and serializer msgpack or json");
                    }
                    return Arguments.of(parts[0], parts[1], lz4);
                });
    }

    private void scenario(ClusterNodes.Spec spec) throws Exception {
        String transport = spec.transport();
        String serializer = spec.serializer();
        List<Image.Server> s = ClusterNodes.start(dir, spec);
        try {
            Image.Server a = s.get(0);
            Image.Server b = s.get(1);
            Image.Server c = s.get(2);
            deploy(a, "counter", "counter/counter.wasm");
            deploy(a, "qa", "counter/counter.wasm", "quote");
            deploy(b, "qb", "counter/counter.wasm", "quote");
            deploy(a, "pong", "ping-pong/pong.wasm");
            deploy(b, "ping", "ping-pong/ping.wasm");
            await("C's directory lists the agents of A and B", () -> {
                Map<String, String> all = allAgents(c);
                return "A".equals(all.get("counter")) && "A".equals(all.get("qa")) && "B".equals(all.get("qb"))
                        && "B".equals(all.get("ping"));
            });

            // An agent on A answers a request sent through C's API.
            JsonNode reply = request(c, "\"receiver\":\"counter\"");
            assertThat(reply.path("sender").asText()).isEqualTo("counter");
            assertThat(reply.path("content").path("count").asInt()).isEqualTo(1);

            // A capability held on A and B is balanced across both when sent from C.
            Map<String, Integer> by = new HashMap<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < 6; i++) {
                by.merge(request(c, "\"capability\":\"quote\"").path("sender").asText(), 1, Integer::sum);
            }
            System.out.printf("cluster %s/%s: 6 capability request-replies through C took %d ms%n", transport,
                    serializer, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            assertThat(by).containsOnlyKeys("qa", "qb");
            assertThat(by.get("qa")).isEqualTo(3);

            // A figure for the report, never an assertion: remote request-reply through C's API.
            deploy(c, "near", "counter/counter.wasm");
            for (String target : List.of("near", "counter")) {
                long[] micros = new long[200];
                for (int i = 0; i < micros.length; i++) {
                    long t = System.nanoTime();
                    request(c, "\"receiver\":\"" + target + "\"");
                    micros[i] = (System.nanoTime() - t) / 1000;
                }
                Arrays.sort(micros);
                System.out.printf("cluster %s/%s: request-reply through C's API to %s: p50 %d us, p99 %d us (n=%d)%n",
                        transport, serializer, target.equals("near") ? "an agent on C (local)" : "an agent on A (remote)",
                        micros[micros.length / 2], micros[micros.length * 99 / 100], micros.length);
            }

            // ping on B sends to pong on A with send_message; pong's replies return to ping on B,
            // which plays three rounds and says so in its log.
            assertThat(request(c, "\"receiver\":\"ping\"").path("content").asText()).isEqualTo("started");
            await("ping on B finished three rounds with pong on A", () -> {
                try {
                    return b.log().contains("ping-pong finished after 3 rounds");
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            if (spec.messagingYaml().contains("enable_compression: true")) {
                assertThat(b.log()).as("the transport runs with the node's compression setting")
                        .contains("LZ4 from 64 bytes");
            }

            // The ping-pong conversation, read through C (which delivered none of it): pong's
            // deliveries are journalled on B, ping's on A, merged in time order.
            JsonNode whole = c.api("GET", "/api/v1/conversations/ping-pong?limit=1000", null);
            assertThat(whole.path("incomplete").size()).as(whole.toString()).isZero();
            List<String> all = new java.util.ArrayList<>();
            java.util.Set<String> nodes = new java.util.TreeSet<>();
            java.time.Instant previous = java.time.Instant.EPOCH;
            for (JsonNode m : whole.path("messages")) {
                all.add(m.path("node").asText() + "/" + m.path("message_id").asText());
                nodes.add(m.path("node").asText());
                java.time.Instant at = java.time.Instant.parse(m.path("at").asText());
                assertThat(at).as("time order").isAfterOrEqualTo(previous);
                previous = at;
            }
            assertThat(nodes).containsExactly("A", "B");
            assertThat(whole.path("message_count").asInt()).isEqualTo(all.size());
            // Two at a time through the cluster cursor: the same messages, none twice, none skipped.
            List<String> paged = new java.util.ArrayList<>();
            String cursor = null;
            do {
                JsonNode page = c.api("GET", "/api/v1/conversations/ping-pong?limit=2"
                        + (cursor == null ? "" : "&cursor=" + java.net.URLEncoder.encode(cursor, java.nio.charset.StandardCharsets.UTF_8)), null);
                page.path("messages").forEach(m -> paged.add(m.path("node").asText() + "/" + m.path("message_id").asText()));
                cursor = page.path("next_cursor").isTextual() ? page.path("next_cursor").asText() : null;
            } while (cursor != null && paged.size() <= all.size());
            assertThat(paged).isEqualTo(all);
            Image.Result trace = c.cli("message", "trace", "ping-pong");
            assertThat(trace.out()).contains("NODE").doesNotContain("incomplete");
        } finally {
            ClusterNodes.closeAll(s);
        }
    }

    @ParameterizedTest(name = "three nodes over {0} with {1}, compressed frames {2}: remote request, balanced capability, agent-to-agent reply")
    @MethodSource("pairs")
    void threeNodes(String transport, String serializer, boolean lz4) throws Exception {
        scenario(lz4 ? new ClusterNodes.Spec(transport, serializer, "memory",
                "enable_compression: true\ncompression_threshold: 64B", "", "")
                : new ClusterNodes.Spec(transport, serializer));
    }

    @Test
    @DisplayName("an API send through C to a full mailbox on A answers 429, as for a local agent")
    void fullRemoteMailboxAnswers429() throws Exception {
        Map<Integer, Integer> codes = fortyToAFullMailboxOnA("sends",
                "{\"performative\":\"inform\",\"receiver\":\"slow\",\"content\":\"x\"}");
        assertThat(codes).containsOnlyKeys(202, 429);
    }

    @Test
    @DisplayName("an API request with wait_ms through C to a full mailbox on A answers 429: the refusal completes the wait")
    void fullRemoteMailboxAnswers429ToAWaitingRequest() throws Exception {
        // The request does not block C's handler for A's answer: A's refusal reaches the waiting
        // request through its reply, and the client hears it as 429 all the same.
        Map<Integer, Integer> codes = fortyToAFullMailboxOnA("requests with wait_ms",
                "{\"performative\":\"request\",\"receiver\":\"slow\",\"content\":\"x\",\"wait_ms\":100}");
        assertThat(codes.keySet()).isSubsetOf(200, 429);
    }

    /**
     * Posts the body 40 times at once through C to agent {@code slow} on A, whose mailbox holds one
     * message (sleepy holds each 50 ms, so most find it full however fast or slow the machine is);
     * checks that some were refused with A's reason and that C dead-lettered none of them (a
     * refusal is the client's to retry).
     *
     * @return the count of each status code
     */
    private Map<Integer, Integer> fortyToAFullMailboxOnA(String what, String body) throws Exception {
        List<Image.Server> s = ClusterNodes.start(dir, new ClusterNodes.Spec("tcp", "msgpack", "memory",
                "priorities:\n  normal:\n    queue_size: 1", "", ""));
        try {
            Image.Server a = s.get(0);
            Image.Server c = s.get(2);
            deploy(a, "slow", "../tests/agents/sleepy.wasm");
            await("C's directory lists slow on A", () -> "A".equals(allAgents(c).get("slow")));
            String token = c.token();
            List<java.util.concurrent.Future<java.net.http.HttpResponse<String>>> sent = new java.util.ArrayList<>();
            try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 40; i++) {
                    sent.add(pool.submit(() -> c.http("POST", "/api/v1/messages", body, token)));
                }
            }
            Map<Integer, Integer> codes = new HashMap<>();
            String refusal = null;
            for (var f : sent) {
                var r = f.get();
                codes.merge(r.statusCode(), 1, Integer::sum);
                if (r.statusCode() == 429) {
                    refusal = r.body();
                }
            }
            System.out.println("cluster: 40 concurrent API " + what + " through C to a full mailbox on A: " + codes);
            assertThat(codes).containsKey(429);
            assertThat(refusal).contains("queue_full").contains("the mailbox of 'slow' on node A is full");
            assertThat(c.api("GET", "/api/v1/dead-letters", null).toString()).doesNotContain("slow");
            return codes;
        } finally {
            ClusterNodes.closeAll(s);
        }
    }
}
