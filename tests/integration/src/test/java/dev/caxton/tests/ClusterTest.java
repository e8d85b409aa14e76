package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
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
 * Three {@code bin/caxton} processes on loopback that list each other in {@code membership: static}:
 * an agent on A answers a request sent through C's API, a capability held on A and B is balanced
 * from C, and an agent on B plays with an agent on A (its replies come back to B), each node its own
 * process.
 *
 * <p>Which transport/serializer pairs run comes from the system property {@value #MATRIX}: by
 * default TCP with MessagePack and QUIC with JSON (every transport and every serializer once, to keep
 * CI short); the Maven profile {@code cluster-matrix} runs all four pairs.
 */
class ClusterTest {

    /** The system property listing the pairs to run, {@code transport/serializer} separated by commas. */
    static final String MATRIX = "caxton.cluster.matrix";

    /** The pairs the default run covers. */
    static final String DEFAULT_MATRIX = "tcp/msgpack,quic/json";

    @TempDir
    Path dir;

    static Stream<Arguments> pairs() {
        return Arrays.stream(System.getProperty(MATRIX, DEFAULT_MATRIX).split(","))
                .map(String::strip)
                .filter(p -> !p.isEmpty())
                .map(p -> {
                    String[] parts = p.split("/");
                    if (parts.length != 2 || !List.of("tcp", "quic").contains(parts[0])
                            || !List.of("msgpack", "json").contains(parts[1])) {
                        throw new IllegalArgumentException(MATRIX + ": '" + p + "' is not transport/serializer with"
                                + " transport tcp or quic and serializer msgpack or json");
                    }
                    return Arguments.of(parts[0], parts[1]);
                });
    }

    private void scenario(String transport, String serializer) throws Exception {
        List<Image.Server> s = ClusterNodes.start(dir, new ClusterNodes.Spec(transport, serializer));
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
        } finally {
            ClusterNodes.closeAll(s);
        }
    }

    @ParameterizedTest(name = "three nodes over {0} with {1}: remote request, balanced capability, agent-to-agent reply")
    @MethodSource("pairs")
    void threeNodes(String transport, String serializer) throws Exception {
        scenario(transport, serializer);
    }
}
