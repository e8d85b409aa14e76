package dev.caxton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code caxton top}'s frame: rates from two samples, and each sort order. */
class TopRenderTest {

    private static JsonNode json(String s) throws Exception {
        return Json.mapper().readTree(s);
    }

    private static JsonNode agents(long aHandled, long bHandled) throws Exception {
        return json("{\"agents\":[{\"name\":\"alpha\",\"state\":\"running\",\"limits\":{\"fuel\":1000},"
                + "\"counters\":{\"queued\":1,\"messages_handled\":" + aHandled + ",\"faults\":0,\"fuel_last\":5,\"fuel_max\":9}},"
                + "{\"name\":\"beta\",\"state\":\"running\",\"limits\":{\"fuel\":0},"
                + "\"counters\":{\"queued\":7,\"messages_handled\":" + bHandled + ",\"faults\":2,\"fuel_last\":null,\"fuel_max\":null}}]}");
    }

    private static int row(List<String> lines, String agent) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(agent + " ")) {
                return i;
            }
        }
        throw new AssertionError(agent + " not in " + lines);
    }

    @Test
    void ratesComeFromTwoSamplesAndEachKeySorts() throws Exception {
        JsonNode health = json("{\"node\":\"n1\",\"status\":\"ok\",\"uptime_ms\":65000,\"agents\":2,"
                + "\"memory_budget\":{\"budget_bytes\":1048576,\"in_use_bytes\":0},\"cluster\":{\"alive\":1,\"quorum\":1}}");
        TopCommand.Sample first = new TopCommand.Sample(0, health, agents(10, 0), MissingNode.getInstance());
        TopCommand.Sample second = new TopCommand.Sample(2_000_000_000L, health, agents(30, 1), MissingNode.getInstance());
        List<String> byName = TopCommand.render(first, second, TopCommand.Sort.NAME, 120);
        assertThat(byName.get(0)).contains("node n1").contains("2 agents");
        assertThat(byName.get(2)).contains("10.5/s handled").contains("8 queued").contains("2 faults");
        assertThat(byName.get(row(byName, "alpha"))).contains("10.0").contains("9/1000");
        assertThat(row(byName, "alpha")).isLessThan(row(byName, "beta"));
        List<String> byQueue = TopCommand.render(first, second, TopCommand.Sort.QUEUED, 120);
        assertThat(row(byQueue, "beta")).isLessThan(row(byQueue, "alpha"));
        List<String> byRate = TopCommand.render(first, second, TopCommand.Sort.RATE, 120);
        assertThat(row(byRate, "alpha")).isLessThan(row(byRate, "beta"));
        List<String> byFaults = TopCommand.render(first, second, TopCommand.Sort.FAULTS, 120);
        assertThat(row(byFaults, "beta")).isLessThan(row(byFaults, "alpha"));
        assertThat(String.join("\n", byFaults)).contains("sort: faults");
        assertThat(TopCommand.Sort.FUEL.next()).isEqualTo(TopCommand.Sort.NAME);
        // Without a previous sample there is no rate yet.
        assertThat(TopCommand.render(null, second, TopCommand.Sort.NAME, 120).get(2)).contains("0.0/s");
    }

    private static JsonNode diagnostics(long... cumulative) throws Exception {
        StringBuilder c = new StringBuilder();
        for (long n : cumulative) {
            c.append(c.length() == 0 ? "" : ",").append(n);
        }
        return json("{\"latency\":{\"message_processing\":{\"count\":" + cumulative[cumulative.length - 1]
                + ",\"bounds_seconds\":[0.001,0.01,0.1],\"cumulative\":[" + c + "]}}}");
    }

    @Test
    void p99IsTheNodesProcessingHistogramOverTheLastRefreshElseSinceStart() throws Exception {
        JsonNode health = json("{\"node\":\"n1\",\"status\":\"ok\",\"uptime_ms\":1000,\"agents\":2,"
                + "\"cluster\":{\"alive\":1,\"quorum\":1}}");
        // Since start: 100 messages, all within 1 ms: p99 interpolates to 0.99 ms.
        TopCommand.Sample first = new TopCommand.Sample(0, health, agents(10, 0), MissingNode.getInstance(),
                diagnostics(100, 100, 100, 100));
        assertThat(TopCommand.render(null, first, TopCommand.Sort.NAME, 120).get(2))
                .contains("p99 processing: 990us (since start)");
        // The next second: 100 more, all between 10 and 100 ms: p99 over the interval only.
        TopCommand.Sample second = new TopCommand.Sample(1_000_000_000L, health, agents(30, 1), MissingNode.getInstance(),
                diagnostics(100, 100, 200, 200));
        assertThat(TopCommand.render(first, second, TopCommand.Sort.NAME, 120).get(2))
                .contains("p99 processing: 99.1ms (last 1s)");
        // Nothing processed in between: the figure since start.
        TopCommand.Sample idle = new TopCommand.Sample(2_000_000_000L, health, agents(30, 1), MissingNode.getInstance(),
                diagnostics(100, 100, 200, 200));
        assertThat(TopCommand.render(second, idle, TopCommand.Sort.NAME, 120).get(2)).contains("(since start)");
        // Beyond the last bound, the last bound; no histogram at all (an older node), n/a.
        assertThat(TopCommand.quantile(0.99, new double[] {0.001, 0.01}, new double[] {0, 0, 5})).isEqualTo(0.01);
        assertThat(TopCommand.render(null, new TopCommand.Sample(0, health, agents(1, 1), MissingNode.getInstance()),
                TopCommand.Sort.NAME, 120).get(2)).contains("p99 processing: n/a");
        assertThat(TopCommand.render(null, new TopCommand.Sample(0, health, agents(1, 1), MissingNode.getInstance(),
                diagnostics(0, 0, 0, 0)), TopCommand.Sort.NAME, 120).get(2)).contains("p99 processing: - (no messages yet)");
    }
}
