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
 * find each other, route messages, and report a {@code kill -9} as dead and a graceful stop as left.
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

    @Test
    @DisplayName("jgroups: three processes see three alive, route through A to C, kill -9 of C is dead, SIGTERM of B is left")
    void threeProcessesFormAGroup() throws Exception {
        List<Image.Server> s = start(dir);
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

            assertThat(b.terminate()).isZero();
            await("A reports B left", () -> "left".equals(memberState(a, "B")));
            assertThat(a.log()).doesNotContain("cluster: dead B");
            // JGroups' own chatter stays out of the node's log at the default level.
            assertThat(a.log()).doesNotContain("JGRP0");
        } finally {
            ClusterNodes.closeAll(s);
        }
    }
}
