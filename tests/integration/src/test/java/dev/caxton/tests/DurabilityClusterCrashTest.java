package dev.caxton.tests;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.caxton.tests.DurabilityCrashTest.awaitCount;
import static dev.caxton.tests.DurabilityCrashTest.deploy;
import static dev.caxton.tests.DurabilityCrashTest.send;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * At-least-once across nodes: clients send through node A to a durable counter on node B (A
 * forwards it) and to a relay on A whose {@code send_message} reaches another durable counter on B.
 * Either A or B is killed with {@code kill -9} at a random moment, several rounds over. A keeps
 * what it forwarded until B confirms it stored it, and sends it again when B is back; B drops the
 * repeats. At the end both counters equal exactly the number of distinct messages sent.
 */
class DurabilityClusterCrashTest {

    @TempDir
    Path dir;

    @Test
    @DisplayName("kill -9 of the sending or the receiving node, three rounds: counters on B exact")
    void forwardedMessagesSurviveTheCrashOfEitherNode() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        System.out.println("durability cluster crash test: seed " + seed);
        // dead_after long enough that a restarted B is back before A would judge it dead and drop
        // its agents (messages for a dead node's agents are refused, not kept).
        List<Image.Server> nodes = new ArrayList<>(ClusterNodes.start(dir, new ClusterNodes.Spec("tcp", "msgpack", "sqlite",
                "enable_persistence: true", """
                heartbeat_interval: 200ms
                suspect_after: 2s
                dead_after: 120s
                """, "")));
        Map<String, Set<String>> sent = new LinkedHashMap<>();
        Map<String, String> targetOf = new LinkedHashMap<>();
        Set<String> unconfirmed = new LinkedHashSet<>();
        try {
            Image.Server a = nodes.get(0);
            Image.Server b = nodes.get(1);
            byte[] counter = Files.readAllBytes(Image.example("counter/counter.wasm"));
            deploy(b, "counter", counter, "wasmtime", true);
            deploy(b, "tally", counter, "chicory", true);
            deploy(a, "relay", Files.readAllBytes(Image.testAgent("forwarder.wasm")), "chicory", false);
            Image.Server sender = a;
            ClusterNodes.await("A knows B's agents", () -> {
                Map<String, String> all = ClusterNodes.allAgents(sender);
                return "B".equals(all.get("tally")) && "B".equals(all.get("counter"));
            });
            List<String> targets = List.of("tally", "relay");
            targets.forEach(t -> sent.put(t, new LinkedHashSet<>()));
            int next = 0;
            for (int round = 1; round <= 3; round++) {
                int victim = random.nextBoolean() ? 0 : 1;
                Image.Server doomed = nodes.get(victim);
                Image.Server via = nodes.get(0);
                AtomicBoolean killed = new AtomicBoolean();
                long delay = 300 + random.nextInt(1200);
                Thread killer = DurabilityCrashTest.killLater(doomed, delay, killed);
                int inRound = 0;
                int afterKill = 0;
                while (true) {
                    // A killed: its API is gone. B killed: A keeps accepting for B's agents; send some
                    // more to show it, then restart B.
                    if (killed.get() && !doomed.process.isAlive() && (victim == 0 || afterKill++ >= 50)) {
                        break;
                    }
                    String target = targets.get(next % targets.size());
                    String id = "c-" + round + "-" + next;
                    next++;
                    sent.get(target).add(id);
                    targetOf.put(id, target);
                    if (!send(via, target, id)) {
                        unconfirmed.add(id);
                    }
                    inRound++;
                }
                killer.join();
                System.out.printf("round %d: killed %s after %d ms, %d sent in the round, %d unconfirmed%n", round,
                        ClusterNodes.NAMES[victim], delay, inRound, unconfirmed.size());
                nodes.set(victim, doomed.restart());
                for (String id : List.copyOf(unconfirmed)) {
                    if (send(nodes.get(0), targetOf.get(id), id)) {
                        unconfirmed.remove(id);
                    }
                }
                assertThat(unconfirmed).as("refused after the restart").isEmpty();
            }
            Map<String, Integer> queries = new LinkedHashMap<>();
            awaitCount(nodes.get(1), "tally", sent.get("tally").size(), queries);
            awaitCount(nodes.get(1), "counter", sent.get("relay").size(), queries);
            System.out.printf("durability cluster crash test: %d messages (%s), counters on B exact; A: %s%n", next,
                    sent.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().size()).toList(),
                    nodes.get(0).api("GET", "/api/v1/health", null));
        } finally {
            ClusterNodes.closeAll(nodes);
        }
    }
}
