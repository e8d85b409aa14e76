package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caxton.testkit.ExpositionParser;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.caxton.tests.ClusterNodes.allAgents;
import static dev.caxton.tests.ClusterNodes.await;
import static dev.caxton.tests.ClusterNodes.deploy;
import static dev.caxton.tests.ClusterNodes.memberState;
import static dev.caxton.tests.ClusterNodes.request;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Five {@code bin/caxton} processes with {@code membership: swim} on loopback, each knowing one seed
 * (the node before it; the first knows the last): they find each other by gossip, route a message
 * across the cluster, judge a {@code kill -9}ed node dead and drop its agents, take it back with a
 * higher incarnation, and report a graceful stop as {@code left}.
 */
class SwimClusterTest {

    private static final String[] NAMES = {"A", "B", "C", "D", "E"};

    @TempDir
    Path dir;

    private static String yaml(int transportPort, int swimPort, int seedPort) {
        return """
                storage:
                  type: sqlite
                runtime:
                  chicory:
                    mode: interpreter
                transport:
                  type: tcp
                  host: 127.0.0.1
                  port: %d
                coordination:
                  cluster:
                    membership: swim
                    directory_sync_interval: 300ms
                    seeds: ["127.0.0.1:%d"]
                    swim:
                      bind_addr: "127.0.0.1:%d"
                      probe_interval: 500ms
                      probe_timeout: 250ms
                      gossip_interval: 100ms
                      push_pull_interval: 5s
                """.formatted(transportPort, seedPort, swimPort);
    }

    private static String metrics(Image.Server s) throws Exception {
        try (HttpClient c = HttpClient.newHttpClient()) {
            HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.metricsPort + "/metrics"))
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            return r.body();
        }
    }

    private static long incarnation(Image.Server s, String name) {
        try {
            for (JsonNode m : s.api("GET", "/api/v1/cluster/members", null).path("members")) {
                if (name.equals(m.path("name").asText())) {
                    return m.path("incarnation").asLong();
                }
            }
            return -1;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static boolean allSee(List<Image.Server> observers, List<String> observerNames, String target, String state) {
        for (int i = 0; i < observers.size(); i++) {
            if (!observerNames.get(i).equals(target) && !state.equals(memberState(observers.get(i), target))) {
                return false;
            }
        }
        return true;
    }

    @Test
    @DisplayName("five swim nodes, one seed each: all alive, a message across, kill -9 is dead, restart rejoins, stop is left")
    void fiveNodesFindEachOtherDetectACrashAndSeeALeave() throws Exception {
        int[] transport = Image.freePorts(5);
        int[] swim = Image.freePorts(5);
        List<Image.Server> s = new ArrayList<>();
        Image.Server d2 = null;
        try {
            for (int i = 0; i < 5; i++) {
                Path d = dir.resolve(NAMES[i]);
                Files.createDirectories(d);
                s.add(new Image.Server(d, yaml(transport[i], swim[i], swim[(i + 4) % 5]), "node_name: " + NAMES[i]));
            }
            List<String> names = List.of(NAMES);
            await("every node sees all five alive", () -> names.stream().allMatch(t -> allSee(s, names, t, "alive")));
            assertThat(s.get(0).log()).contains("swim: A listens on UDP");

            Image.Server a = s.get(0);
            Image.Server d = s.get(3);
            Image.Server e = s.get(4);
            deploy(e, "echo", "echo/echo.wasm");
            deploy(d, "echo-d", "echo/echo.wasm");
            await("A lists echo on E and echo-d on D", () -> "E".equals(allAgents(a).get("echo"))
                    && "D".equals(allAgents(a).get("echo-d")));
            JsonNode reply = request(a, "\"receiver\":\"echo\"");
            assertThat(reply.path("sender").asText()).isEqualTo("echo");

            long before = incarnation(a, "D");
            d.kill9();
            long killed = System.nanoTime();
            List<Image.Server> others = List.of(s.get(0), s.get(1), s.get(2), s.get(4));
            List<String> otherNames = List.of("A", "B", "C", "E");
            await("A, B, C and E judge D dead", () -> allSee(others, otherNames, "D", "dead"));
            System.out.printf("swim cluster: kill -9 of D to all four others reporting it dead: %d ms "
                    + "(probe_interval 500ms, suspicion_multiplier 4)%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
            await("echo-d leaves every directory", () -> others.stream().noneMatch(o -> allAgents(o).containsKey("echo-d")));

            d2 = d.restart();
            long restarted = System.nanoTime();
            Image.Server back = d2;
            List<Image.Server> now = List.of(s.get(0), s.get(1), s.get(2), back, s.get(4));
            await("D alive again everywhere", () -> allSee(now, names, "D", "alive"));
            System.out.printf("swim cluster: D restarted to alive on all others: %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted));
            assertThat(incarnation(a, "D")).as("the restarted D has a higher incarnation").isGreaterThan(before);
            await("D sees the others alive", () -> names.stream().allMatch(t -> t.equals("D")
                    || "alive".equals(memberState(back, t))));

            Image.Server c = s.get(2);
            assertThat(c.terminate()).isZero();
            List<Image.Server> rest = List.of(s.get(0), s.get(1), back, s.get(4));
            List<String> restNames = List.of("A", "B", "D", "E");
            await("A, B, D and E report C left", () -> allSee(rest, restNames, "C", "left"));
            for (Image.Server o : rest) {
                assertThat(o.log()).doesNotContain("cluster: dead C");
            }

            // The membership's own figures on A's metrics endpoint: the changes A applied were stamped
            // by the nodes that made them (one machine, one clock), so each left a convergence time.
            Map<String, ExpositionParser.Family> f = ExpositionParser.parseText(metrics(a));
            assertThat(ExpositionParser.value(f, "caxton_gossip_convergence_time_seconds_count")).isPositive();
            assertThat(ExpositionParser.value(f, "caxton_membership_events_total", "kind", "probe")).isPositive();
            assertThat(ExpositionParser.value(f, "caxton_membership_events_total", "kind", "suspicion"))
                    .as("D's crash was suspected").isPositive();
            assertThat(f).containsKey("caxton_membership_packets_dropped_total");
            double count = ExpositionParser.value(f, "caxton_gossip_convergence_time_seconds_count");
            double sum = ExpositionParser.value(f, "caxton_gossip_convergence_time_seconds_sum");
            System.out.printf("swim cluster: node A applied %.0f stamped changes, mean convergence %.1f ms%n",
                    count, 1000 * sum / count);
        } finally {
            ClusterNodes.closeAll(s);
            if (d2 != null) {
                d2.close();
            }
        }
    }
}
