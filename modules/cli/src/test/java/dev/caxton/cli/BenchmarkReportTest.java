package dev.caxton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark's patterns, HTML report, progress bar and baseline comparison, on small runs of a
 * real node in this process. Figures are checked for shape, never for speed.
 */
class BenchmarkReportTest {

    @TempDir
    Path dir;

    private static ObjectNode report(String pattern, double perSecond, double p50, double p99) {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("suite", "custom").put("pattern", pattern).put("engine", "chicory").put("codec", "json");
        o.putObject("round_trip_us").put("n", 10).put("p50", p50).put("p99", p99).put("max", p99 * 2);
        o.putObject("throughput").put("messages_per_second", perSecond);
        return o;
    }

    private Path write(String name, JsonNode n) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, Json.mapper().writeValueAsString(n));
        return f;
    }

    @Test
    void fireAndForgetHandlesEveryMessageOnSinkAgents() throws Exception {
        Cli.Result r = Cli.benchmarkSmall("--pattern", "fire-and-forget", "--output", "json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = Json.mapper().readTree(r.out());
        assertThat(j.path("pattern").asText()).isEqualTo("fire-and-forget");
        assertThat(j.at("/throughput/messages").asInt()).isEqualTo(300);
        assertThat(j.at("/throughput/messages_per_second").asLong()).isPositive();
        // The sink handles everything: the documented loss fields are there, and say none.
        assertThat(j.at("/throughput/lost").isIntegralNumber()).isTrue();
        assertThat(j.at("/throughput/lost").asLong()).isZero();
        assertThat(j.at("/throughput/warmup_lost").asLong()).isZero();
        assertThat(j.at("/throughput/lost_reasons").isEmpty()).isTrue();
    }

    @Test
    void requestReplyReportsItsLossesTooAndSaysNone() throws Exception {
        Cli.Result r = Cli.benchmarkSmall("--output", "json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = Json.mapper().readTree(r.out());
        assertThat(j.path("pattern").asText()).isEqualTo("request-reply");
        // Every request answered: the same loss fields as fire-and-forget, saying none was lost.
        assertThat(j.at("/throughput/lost").isIntegralNumber()).isTrue();
        assertThat(j.at("/throughput/lost").asLong()).isZero();
        assertThat(j.at("/throughput/warmup_lost").isIntegralNumber()).isTrue();
        assertThat(j.at("/throughput/lost_reasons").isObject()).isTrue();
        assertThat(j.at("/throughput/lost_reasons").isEmpty()).isTrue();
        assertThat(j.at("/throughput/messages_per_second").asLong()).isPositive();
    }

    @Test
    void reportDirGetsJsonAndAPageWithPlotsAndTheBaselineComparison() throws Exception {
        // A baseline no real run can match: ten billion messages a second flags a throughput regression.
        Path baseline = write("baseline.json", report("request-reply", 1e10, 0.001, 0.001));
        Path out = dir.resolve("report");
        Cli.Result r = Cli.benchmarkSmall("--report", out.toString(), "--baseline", baseline.toString(), "--progress");
        assertThat(r.code()).as(r.err()).isEqualTo(CliException.FAILURE);
        assertThat(r.out()).contains("REGRESSION").contains("throughput (messages/s)").contains("index.html");
        assertThat(r.err()).contains("round trips").contains("100%");
        JsonNode saved = Json.mapper().readTree(Files.readString(out.resolve("report.json")));
        assertThat(saved.at("/comparison/regressions").asInt()).isPositive();
        String html = Files.readString(out.resolve("index.html"));
        assertThat(html).startsWith("<!DOCTYPE html>").contains("<svg").contains("<polyline").contains("<rect")
                .contains("Message round trip").contains("Against the baseline");
    }

    @Test
    void compareFlagsOnlyWorseningBeyondTheThreshold() throws Exception {
        Path base = write("a.json", report("request-reply", 100_000, 30, 60));
        Path same = write("b.json", report("request-reply", 95_000, 31, 64));
        Path worse = write("c.json", report("request-reply", 80_000, 30, 90));

        Cli.Result ok = Cli.run("benchmark", "compare", base.toString(), same.toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("no regression beyond +10.0%");

        Cli.Result bad = Cli.run("benchmark", "compare", base.toString(), worse.toString(), "--output", "json");
        assertThat(bad.code()).isEqualTo(CliException.FAILURE);
        JsonNode j = Json.mapper().readTree(bad.out());
        assertThat(j.path("regressions").asInt()).isEqualTo(2);

        Cli.Result loose = Cli.run("benchmark", "compare", base.toString(), worse.toString(), "--threshold", "60");
        assertThat(loose.code()).as(loose.out()).isZero();
    }

    @Test
    void differentSettingsAreSaidAndBadFilesAreRefusedByName() throws Exception {
        Path a = write("a.json", report("request-reply", 100_000, 30, 60));
        Path b = write("b.json", report("fire-and-forget", 100_000, 30, 60));
        assertThat(Cli.run("benchmark", "compare", a.toString(), b.toString()).out())
                .contains("pattern request-reply -> fire-and-forget");

        Path junk = dir.resolve("junk.json");
        Files.writeString(junk, "{\"hello\": 1}");
        Cli.Result r = Cli.run("benchmark", "compare", a.toString(), junk.toString());
        assertThat(r.code()).isEqualTo(CliException.FAILURE);
        assertThat(r.err()).contains("CURRENT").contains("junk.json").contains("not a benchmark report");
        Cli.Result missing = Cli.benchmarkSmall("--baseline", dir.resolve("nope.json").toString());
        assertThat(missing.err()).contains("--baseline").contains("does not exist");
    }

    @Test
    void remoteRefusesFireAndForget() {
        Cli.Result r = Cli.run("benchmark", "run", "--suite", "remote", "--pattern", "fire-and-forget");
        assertThat(r.code()).isEqualTo(CliException.USAGE);
        assertThat(r.err()).contains("--pattern fire-and-forget");
    }
}
