package dev.caxton.server;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.testkit.ExpositionParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.caxton.testkit.ExpositionParser.value;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The metrics endpoint on a real node: each upstream metric moves as the node works, both formats
 * parse with a strict reader, and the per-agent series stay under their cap.
 */
class MetricsTest {

    @TempDir
    Path dir;

    private static Map<String, ExpositionParser.Family> scrape(TestServer s) throws IOException {
        TestServer.Res r = s.metrics("GET", "/metrics");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("content-type")).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
        return ExpositionParser.parseText(r.body());
    }

    private static double v(TestServer s, String name, String... labels) {
        try {
            Double d = value(scrape(s), name, labels);
            return d == null ? Double.NaN : d;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static TestServer.Res send(TestServer s, String receiver) throws IOException {
        return s.call("POST", "/api/v1/messages", "{\"performative\":\"request\",\"receiver\":\"" + receiver
                + "\",\"content\":1,\"wait_ms\":30000}");
    }

    @Test
    void eachMetricMovesAsTheNodeDeploysSendsFaultsAndDeadLetters() throws Exception {
        try (TestServer s = new TestServer(dir, "", "")) {
            Map<String, ExpositionParser.Family> before = scrape(s);
            assertThat(value(before, "caxton_agents_active")).isEqualTo(0.0);
            assertThat(value(before, "caxton_agent_startup_time_seconds_count")).isEqualTo(0.0);
            assertThat(value(before, "caxton_dead_letters_total", "reason", "fault")).isEqualTo(0.0);
            assertThat(before).containsKeys("jvm_memory_used_bytes", "jvm_gc_collections_total", "jvm_threads_current",
                    "process_cpu_seconds_total", "caxton_queue_depth", "caxton_cluster_nodes_alive",
                    // the names docs/api.md listed before stay
                    "caxton_messages_routed_total", "caxton_agent_faults_total", "caxton_dead_letters", "caxton_agents");
            // The default scheduler is the pool: its workers are counted, and none is busy before any agent exists.
            assertThat(value(before, "caxton_scheduler_workers")).isGreaterThanOrEqualTo(1.0);
            assertThat(value(before, "caxton_scheduler_runnable_agents")).isEqualTo(0.0);
            assertThat(before).containsKey("caxton_scheduler_workers_busy");

            s.deploy("echo", TestServer.ECHO);
            assertThat(v(s, "caxton_agents_active")).isEqualTo(1.0);
            assertThat(v(s, "caxton_agent_startup_time_seconds_count")).isEqualTo(1.0);
            assertThat(v(s, "caxton_agent_up", "agent", "echo")).isEqualTo(1.0);

            assertThat(send(s, "echo").status()).isEqualTo(200);
            assertThat(v(s, "caxton_routing_latency_seconds_count")).isGreaterThanOrEqualTo(1.0);
            TestServer.await("processed counted", () -> v(s, "caxton_messages_processed_total") >= 1
                    && v(s, "caxton_message_processing_time_seconds_count") >= 1);
            assertThat(v(s, "caxton_agent_memory_bytes", "agent", "echo")).isPositive();
            // The rate is sampled once a second: keep the agent busy until a sample sees it.
            TestServer.await("a rate above zero", () -> {
                try {
                    send(s, "echo");
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
                return v(s, "caxton_messages_per_second") > 0;
            });

            s.deploy("trap", TestServer.TRAP);
            send(s, "trap");
            TestServer.await("the fault counted", () -> v(s, "caxton_errors_total", "kind", "fault") >= 1
                    && v(s, "caxton_dead_letters_total", "reason", "fault") >= 1);

            // The echo agent answers a sender that does not exist: its reply is dead-lettered.
            s.server.node().send(Envelope.builder(Performative.REQUEST).receiver("echo").sender("ghost")
                    .content(1L).build());
            TestServer.await("the dead letter counted",
                    () -> v(s, "caxton_dead_letters_total", "reason", "unknown_receiver") == 1);
            assertThat(v(s, "caxton_dead_letters_total", "reason", "other")).isEqualTo(0.0);
        }
    }

    @Test
    void openMetricsIsServedWhenAskedForAndParsesStrictly() throws Exception {
        try (TestServer s = new TestServer(dir, "", "")) {
            s.deploy("echo", TestServer.ECHO);
            send(s, "echo");
            TestServer.Res r = TestServer.raw(s.metricsPort, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n"
                    + "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n"
                    + "Connection: close\r\n\r\n");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("content-type")).isEqualTo("application/openmetrics-text; version=1.0.0; charset=utf-8");
            Map<String, ExpositionParser.Family> f = ExpositionParser.parseOpenMetrics(r.body());
            assertThat(f.get("caxton_messages_processed").type()).isEqualTo("counter");
            assertThat(value(f, "caxton_routing_latency_seconds_bucket", "le", "+Inf")).isPositive();
            assertThat(value(f, "caxton_agent_up", "agent", "echo")).isEqualTo(1.0);
        }
    }

    @Test
    void theDiagnosticsCarryTheProcessingHistogramTheMetricsServe() throws Exception {
        try (TestServer s = new TestServer(dir, "", "")) {
            s.deploy("echo", TestServer.ECHO);
            assertThat(send(s, "echo").status()).isEqualTo(200);
            com.fasterxml.jackson.databind.JsonNode p = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(s.call("GET", "/api/v1/diagnostics", null).body()).path("latency").path("message_processing");
            assertThat(p.path("bounds_seconds").size()).isEqualTo(19);
            assertThat(p.path("cumulative").size()).as("one count per bound and one for +Inf").isEqualTo(20);
            double count = v(s, "caxton_message_processing_time_seconds_count");
            assertThat(count).isGreaterThanOrEqualTo(1.0);
            assertThat(p.path("count").asDouble()).as("the same histogram as /metrics").isEqualTo(count);
            assertThat(p.path("cumulative").get(19).asDouble()).isEqualTo(count);
            assertThat(p.path("bounds_seconds").get(0).asDouble()).isEqualTo(0.00001);
        }
    }

    @Test
    void theMembershipsOwnFiguresAreServedOnlyWhenItReportsThem() throws Exception {
        try (TestServer plain = new TestServer(Files.createDirectories(dir.resolve("fixed")), "", "")) {
            Map<String, ExpositionParser.Family> f = scrape(plain);
            assertThat(f).as("the fixed membership measures nothing: no series rather than zeros")
                    .doesNotContainKeys("caxton_membership_packets_dropped_total", "caxton_membership_events_total",
                            "caxton_gossip_convergence_time_seconds");
        }
        String fake = "coordination:\n  cluster:\n    membership: fake-stats\n";
        try (TestServer s = new TestServer(Files.createDirectories(dir.resolve("fake")), "", fake)) {
            Map<String, ExpositionParser.Family> f = scrape(s);
            assertThat(f.get("caxton_membership_packets_dropped_total").type()).isEqualTo("counter");
            assertThat(value(f, "caxton_membership_packets_dropped_total", "reason", "malformed")).isEqualTo(3.0);
            assertThat(value(f, "caxton_membership_packets_dropped_total", "reason", "non_member")).isEqualTo(2.0);
            assertThat(value(f, "caxton_membership_packets_dropped_total", "reason", "flood")).isEqualTo(0.0);
            assertThat(value(f, "caxton_membership_events_total", "kind", "probe")).isEqualTo(7.0);
            assertThat(f.get("caxton_gossip_convergence_time_seconds").type()).isEqualTo("histogram");
            assertThat(value(f, "caxton_gossip_convergence_time_seconds_count")).isEqualTo(1.0);
            assertThat(value(f, "caxton_gossip_convergence_time_seconds_bucket", "le", "0.1")).isEqualTo(0.0);
            assertThat(value(f, "caxton_gossip_convergence_time_seconds_bucket", "le", "0.25")).isEqualTo(1.0);
            assertThat(value(f, "caxton_gossip_convergence_time_seconds_sum"))
                    .isCloseTo(FakeStatsMembershipProvider.CONVERGENCE_SECONDS, org.assertj.core.data.Offset.offset(1e-6));

            TestServer.Res r = TestServer.raw(s.metricsPort, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n"
                    + "Accept: application/openmetrics-text\r\nConnection: close\r\n\r\n");
            Map<String, ExpositionParser.Family> om = ExpositionParser.parseOpenMetrics(r.body());
            assertThat(om.get("caxton_membership_packets_dropped").type()).isEqualTo("counter");
            assertThat(value(om, "caxton_membership_events_total", "kind", "suspicion")).isEqualTo(1.0);
        }
    }

    @Test
    void agentsPastTheSeriesCapAreSummedUnderOther() throws Exception {
        try (TestServer s = new TestServer(dir, "", "observability:\n  metrics_max_agent_series: 2\n")) {
            for (String n : new String[] {"a1", "a2", "a3", "a4"}) {
                s.deploy(n, TestServer.ECHO);
            }
            Map<String, ExpositionParser.Family> f = scrape(s);
            assertThat(f.get("caxton_agent_up").samples()).hasSize(3);
            assertThat(value(f, "caxton_agent_up", "agent", "a1")).isEqualTo(1.0);
            assertThat(value(f, "caxton_agent_up", "agent", "a2")).isEqualTo(1.0);
            assertThat(value(f, "caxton_agent_up", "agent", "_other")).isEqualTo(2.0);
            assertThat(f.get("caxton_agent_memory_bytes").samples()).hasSize(3);
            assertThat(f.get("caxton_agent_fuel_used").samples()).hasSize(3);
            assertThat(value(f, "caxton_agents_active")).isEqualTo(4.0);
        }
    }

    @Test
    void aMessageToAnAgentOnAnotherNodeMovesTheRemoteRoutingLatency() throws Exception {
        int[] ports = freePorts(2);
        String[] names = {"A", "B"};
        TestServer[] nodes = new TestServer[2];
        try {
            for (int i = 0; i < 2; i++) {
                Path d = Files.createDirectories(dir.resolve(names[i]));
                nodes[i] = new TestServer(d, "node_name: " + names[i], """
                        transport:
                          host: 127.0.0.1
                          port: %d
                        coordination:
                          cluster:
                            membership: static
                            directory_sync_interval: 300ms
                            static:
                              nodes: ["%s@127.0.0.1:%d"]
                        """.formatted(ports[i], names[1 - i], ports[1 - i]));
            }
            TestServer a = nodes[0];
            nodes[1].deploy("far", TestServer.ECHO);
            assertThat(v(a, "caxton_remote_routing_latency_seconds_count")).isEqualTo(0.0);
            TestServer.await("node A reaches the agent on node B", () -> {
                try {
                    return send(a, "far").status() == 200;
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(v(a, "caxton_remote_routing_latency_seconds_count")).isGreaterThanOrEqualTo(1.0);
            assertThat(v(nodes[1], "caxton_messages_processed_total")).isGreaterThanOrEqualTo(1.0);
        } finally {
            for (TestServer n : nodes) {
                if (n != null) {
                    n.close();
                }
            }
        }
    }

    /**
     * Prometheus' own parser and linter ({@code promtool check metrics}, from Debian's
     * {@code prometheus} package) reads the text exposition, when it is installed.
     */
    @Test
    void promtoolAcceptsTheTextExposition() throws Exception {
        Path promtool = Path.of("/usr/bin/promtool");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(promtool), "promtool is not installed");
        try (TestServer s = new TestServer(dir, "", "")) {
            s.deploy("echo", TestServer.ECHO);
            send(s, "echo");
            String text = s.metrics("GET", "/metrics").body();
            Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
            try (var in = p.getOutputStream()) {
                in.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(out).isZero();
        }
    }

    private static int[] freePorts(int n) throws IOException {
        ServerSocket[] sockets = new ServerSocket[n];
        int[] ports = new int[n];
        try {
            for (int i = 0; i < n; i++) {
                sockets[i] = new ServerSocket(0);
                ports[i] = sockets[i].getLocalPort();
            }
        } finally {
            for (ServerSocket s : sockets) {
                if (s != null) {
                    s.close();
                }
            }
        }
        return ports;
    }
}
