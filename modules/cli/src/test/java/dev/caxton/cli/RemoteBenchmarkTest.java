package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code caxton benchmark run --suite remote}, run small: two real nodes in this process over TCP on
 * loopback. Only the report's shape and that its figures are positive are checked; how fast the
 * machine is never decides a test.
 */
class RemoteBenchmarkTest {

    /** The smallest useful run on the providers of the test class path (tcp, json, static, memory). */
    private static Cli.Result runSmall(String... more) {
        List<String> args = new ArrayList<>(List.of("benchmark", "run", "--suite", "remote", "--transport", "tcp",
                "--serializer", "json", "--mode", "interpreter", "--round-trips", "20", "--messages", "200",
                "--agents", "2", "--in-flight", "20"));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    @Test
    void remoteSuiteReportsLatencyAndThroughputBetweenTwoNodesAsJson() throws Exception {
        Cli.Result r = runSmall("--output", "json");

        assertThat(r.code()).as(r.err()).isZero();
        JsonNode report = Json.mapper().readTree(r.out());
        assertThat(report.path("suite").asText()).isEqualTo("remote");
        assertThat(report.path("transport").asText()).isEqualTo("tcp");
        assertThat(report.path("serializer").asText()).isEqualTo("json");
        assertThat(report.path("nodes").asInt()).isEqualTo(2);
        assertThat(report.path("compression").asText()).isEqualTo("default");
        for (String measure : List.of("round_trip_us", "local_round_trip_us")) {
            JsonNode m = report.path(measure);
            assertThat(m.path("n").asInt()).as(measure).isEqualTo(20);
            assertThat(m.path("p50").asDouble()).as(measure).isPositive();
            assertThat(m.path("p99").asDouble()).as(measure).isGreaterThanOrEqualTo(m.path("p50").asDouble());
            assertThat(m.path("max").asDouble()).as(measure).isGreaterThanOrEqualTo(m.path("p99").asDouble());
        }
        JsonNode t = report.path("throughput");
        assertThat(t.path("messages").asInt()).isEqualTo(200);
        assertThat(t.path("agents").asInt()).isEqualTo(2);
        assertThat(t.path("in_flight").asInt()).isEqualTo(20);
        assertThat(t.path("seconds").asDouble()).isPositive();
        assertThat(t.path("messages_per_second").asLong()).isPositive();
        // Requests lost between the nodes are accounted for as in the local suites: here none.
        assertThat(t.path("lost").isIntegralNumber()).isTrue();
        assertThat(t.path("lost").asLong()).isZero();
        assertThat(t.path("warmup_lost").asLong()).isZero();
        assertThat(t.path("lost_reasons").isObject()).isTrue();
    }

    @Test
    void remoteSuitePrintsATable() {
        Cli.Result r = runSmall("--compression", "off");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("caxton benchmark remote: tcp between two nodes on loopback, serializer json, compression off")
                .contains("MEASURE", "P50", "P99")
                .contains("round trip A -> echo on B -> A", "round trip A -> echo on A (local)")
                .containsPattern("throughput A -> B: 200 requests in [0-9.]+ s = [0-9,]+ replies/s");
    }

    /**
     * Compression on either runs (when the configuration knows {@code messaging.enable_compression})
     * or stops with a message naming the key, never with a stack trace.
     */
    @Test
    void compressionOnRunsOrNamesTheMissingKey() throws Exception {
        Cli.Result r = runSmall("--compression", "on", "--output", "json");

        if (r.code() == 0) {
            assertThat(Json.mapper().readTree(r.out()).path("compression").asText()).isEqualTo("on");
        } else {
            assertThat(r.err()).contains("messaging.enable_compression").doesNotContain("Exception", "\tat ");
        }
    }

    @Test
    void remoteOptionsGoWithTheRemoteSuite() {
        Cli.Result r = Cli.run("benchmark", "run", "--transport", "quic");

        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("--transport goes with --suite remote");
        Cli.Result bad = Cli.run("benchmark", "run", "--suite", "remote", "--compression", "maybe");
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err()).contains("--compression: on or off, got 'maybe'");
        Cli.Result startups = Cli.run("benchmark", "run", "--suite", "remote", "--startups", "5");
        assertThat(startups.code()).isNotZero();
        assertThat(startups.err()).contains("--startups goes with --suite custom");
    }
}
