package dev.caxton.tests;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.caxton.tests.ClusterNodes.allAgents;
import static dev.caxton.tests.ClusterNodes.await;
import static dev.caxton.tests.ClusterNodes.deploy;
import static dev.caxton.tests.ClusterNodes.memberState;
import static dev.caxton.tests.ClusterNodes.request;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three {@code bin/caxton} processes with {@code membership: jgroups} on loopback, B and C knowing
 * only A's JGroups address as their seed: the plugin loads from its folder of the image, the nodes
 * find each other, route messages, report a {@code kill -9} as dead and a restart as a new
 * incarnation, and a {@code cluster leave} or a graceful stop as left.
 */
class JGroupsClusterTest {

    @TempDir
    Path dir;

    private static List<Image.Server> start(Path dir) throws Exception {
        int[] ports = Image.freePorts(6);
        String cluster = "it-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        List<Image.Server> servers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                String yaml = """
                        storage:
                          type: memory
                        runtime:
                          chicory:
                            mode: interpreter
                        transport:
                          type: tcp
                          host: 127.0.0.1
                          port: %d
                        coordination:
                          cluster:
                            membership: jgroups
                            directory_sync_interval: 300ms
                            seeds: ["127.0.0.1:%d"]
                            jgroups:
                              cluster_name: %s
                              bind_addr: "127.0.0.1:%d"
                              failure_timeout: 3s
                              join_timeout: 1s
                        """.formatted(ports[i], ports[3], cluster, ports[3 + i]);
                Path d = dir.resolve(ClusterNodes.NAMES[i]);
                Files.createDirectories(d);
                servers.add(new Image.Server(d, yaml, "node_name: " + ClusterNodes.NAMES[i]));
            }
        } catch (Exception | AssertionError e) {
            ClusterNodes.closeAll(servers);
            throw e;
        }
        return servers;
    }

    /** The incarnation {@code s} reports for node {@code name}. */
    private static long incarnation(Image.Server s, String name) {
        try {
            for (com.fasterxml.jackson.databind.JsonNode m : s.api("GET", "/api/v1/cluster/members", null).path("members")) {
                if (name.equals(m.path("name").asText())) {
                    return m.path("incarnation").asLong();
                }
            }
            throw new AssertionError(name + " is not listed by " + s.dir);
        } catch (java.io.IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    @DisplayName("jgroups: three processes see three alive, route through A to C; kill -9 of C is dead, its restart "
            + "a new incarnation; cluster leave of B and SIGTERM of C are left")
    void threeProcessesFormAGroup() throws Exception {
        List<Image.Server> s = start(dir);
        Image.Server c2 = null;
        try {
            Image.Server a = s.get(0);
            Image.Server b = s.get(1);
            Image.Server c = s.get(2);
            long started = System.nanoTime();
            for (Image.Server o : s) {
                await("every node sees A, B and C alive", () -> List.of("A", "B", "C").stream()
                        .allMatch(n -> "alive".equals(memberState(o, n))));
            }
            System.out.printf("jgroups cluster: all three alive everywhere %d ms after the last start%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));

            deploy(c, "echo", "echo/echo.wasm");
            await("A lists echo on C", () -> "C".equals(allAgents(a).get("echo")));
            assertThat(request(a, "\"receiver\":\"echo\"").path("sender").asText()).isEqualTo("echo");

            c.kill9();
            long killed = System.nanoTime();
            await("A and B judge C dead", () -> "dead".equals(memberState(a, "C")) && "dead".equals(memberState(b, "C")));
            System.out.printf("jgroups cluster: kill -9 of C to A and B reporting it dead: %d ms (failure_timeout 3s)%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
            await("A and B no longer list echo", () -> !allAgents(a).containsKey("echo") && !allAgents(b).containsKey("echo"));

            // C comes back on its ports: a new incarnation, alive again for A.
            long before = incarnation(a, "C");
            c2 = c.restart();
            await("A sees the restarted C alive", () -> "alive".equals(memberState(a, "C")));
            assertThat(incarnation(a, "C")).isGreaterThan(before);

            // B leaves through the CLI and keeps running; A reports it left, not dead.
            Image.Result leave = b.cli("cluster", "leave");
            assertThat(leave.exit()).as(leave.err()).isZero();
            assertThat(leave.out()).contains("node B left the cluster");
            await("A reports B left", () -> "left".equals(memberState(a, "B")));
            assertThat(b.process.isAlive()).isTrue();

            // A graceful stop (SIGTERM) of C leaves too.
            assertThat(c2.terminate()).isZero();
            await("A reports C left", () -> "left".equals(memberState(a, "C")));
            // One dead verdict for C (the kill), none for a goodbye.
            assertThat(a.log().lines().filter(l -> l.contains("cluster: dead C")).count()).isEqualTo(1);
            assertThat(a.log()).doesNotContain("cluster: dead B");
            // JGroups' own chatter stays out of the node's log at the default level.
            assertThat(a.log()).doesNotContain("JGRP0");
        } finally {
            ClusterNodes.closeAll(s);
            if (c2 != null) {
                c2.close();
            }
        }
    }
}
