package dev.caxton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.api.DeploySpec;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.testkit.Wat;
import dev.caxton.testkit.WatAgents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request-reply benchmark pointed at an agent that takes requests and does not answer them. It
 * used to wait the 60 s each request's reply was waited for, window after window, and say so only
 * at the end; now the agents must answer one request each before anything is measured (the error
 * names the agent and what to do), and a request left unanswered in the run is lost as
 * {@code no_reply} after {@code --reply-timeout} (default 5 s). The tests wait for the run to end
 * (bounded by a generous JUnit timeout); none asserts how long anything took.
 */
class BenchmarkReplyTimeoutTest {

    /** Echoes every other request it gets and answers nothing to the rest. */
    private static final String ANSWERS_EVERY_OTHER = """
            (module
              (memory (export "memory") 1)
              (global $n (mut i32) (i32.const 0))
              (func (export "alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "handle_message") (param $ptr i32) (param $len i32) (result i64)
                (global.set $n (i32.add (global.get $n) (i32.const 1)))
                (if (i32.rem_u (global.get $n) (i32.const 2)) (then (return (i64.const 0))))
                (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
                        (i64.extend_i32_u (local.get $len)))))
            """;

    @TempDir
    Path dir;

    private Path module(String name, String wat) throws Exception {
        Path file = dir.resolve(name);
        Files.write(file, Wat.compile(wat));
        return file;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void anAgentThatNeverAnswersStopsTheRunBeforeItIsMeasuredNamingTheAgentAndWhatToDo() throws Exception {
        Path silent = module("silent.wasm", WatAgents.SILENT);

        Cli.Result r = Cli.benchmarkSmall("--no-progress", "--agent", silent.toString());

        assertThat(r.code()).isEqualTo(CliException.FAILURE);
        assertThat(r.err()).contains("agent 'pool-0' (silent.wasm) answered no request within 5s")
                .contains("--pattern fire-and-forget").contains("--reply-timeout");
        // Stopped before the measuring: no report, no figures.
        assertThat(r.out()).doesNotContain("throughput");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void theRemoteSuiteChecksTheAgentsOnTheOtherNodeTheSameWay() throws Exception {
        Path silent = module("silent.wasm", WatAgents.SILENT);

        Cli.Result r = Cli.run("benchmark", "run", "--suite", "remote", "--serializer", "json", "--mode", "interpreter",
                "--round-trips", "5", "--messages", "20", "--agents", "1", "--in-flight", "5", "--no-progress",
                "--reply-timeout", "1s", "--agent", silent.toString());

        assertThat(r.code()).isEqualTo(CliException.FAILURE);
        assertThat(r.err()).contains("agent 'pool-0' (silent.wasm) answered no request within 1s");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void anAgentOfOnesOwnThatAnswersIsMeasuredAndTheReportSaysWhichAndTheReplyTimeout() throws Exception {
        Path echo = module("my-echo.wasm", WatAgents.ECHO);

        Cli.Result r = Cli.benchmarkSmall("--no-progress", "--agent", echo.toString(), "--reply-timeout", "2s", "--output", "json");

        assertThat(r.code()).as(r.err()).isZero();
        JsonNode report = Json.mapper().readTree(r.out());
        assertThat(report.path("agent").asText()).isEqualTo("my-echo.wasm");
        assertThat(report.at("/throughput/reply_timeout_ms").asLong()).isEqualTo(2000);
        assertThat(report.at("/throughput/lost").asLong()).isZero();
        assertThat(report.at("/throughput/messages").asLong()).isEqualTo(300);
    }

    @Test
    @Timeout(value = 45, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void requestsLeftUnansweredAreLostAsNoReplyAfterTheReplyTimeoutAndTheRunEnds() throws Exception {
        PluginCatalog catalog = PluginCatalog.discover(null);
        Properties props = new Properties();
        props.setProperty("caxton.storage.type", "memory");
        props.setProperty("caxton.transport.port", "0");
        props.setProperty("caxton.runtime.chicory.mode", "interpreter");
        props.setProperty("caxton.messaging.serializer", "json");
        try (CaxtonNode node = CaxtonNode.start(CaxtonConfig.parse("reply-timeout", "", catalog, props), catalog,
                dir.resolve("data"))) {
            node.deploy(new DeploySpec("pool-0", Wat.compile(ANSWERS_EVERY_OTHER), List.of("pool"), null, "json", null,
                    null));

            // 40 requests, 10 in flight: the 20 unanswered ones each held a slot for 60 s on the old
            // run, so it could not end within this test's timeout.
            LostMessages lost = RequestPump.run(node, 40, 10, Duration.ofMillis(500), Progress.OFF);

            assertThat(lost.count()).isEqualTo(20);
            assertThat(lost.reasons()).containsExactly(Map.entry("no_reply", 20L));
            assertThat(node.agent("pool-0").orElseThrow().messagesHandled()).isEqualTo(40);
        }
    }

    @Test
    void aReplyTimeoutLongerThanTheStallTimeoutIsNotTakenForAStall() {
        // Requests to an agent that stopped answering are known lost only after the reply timeout:
        // the stall timeout must leave room for it, or a long --reply-timeout would end in "stalled".
        assertThat(RequestPump.stallNanos(Duration.ofSeconds(5))).isEqualTo(TimeUnit.SECONDS.toNanos(120));
        assertThat(RequestPump.stallNanos(Duration.ofMinutes(10))).isEqualTo(TimeUnit.MINUTES.toNanos(11));
    }

    @Test
    void theOptionsAreCheckedBeforeAnythingRuns() throws Exception {
        Path echo = module("my-echo.wasm", WatAgents.ECHO);
        Path text = dir.resolve("agent.wat");
        Files.writeString(text, WatAgents.ECHO);

        Cli.Result standard = Cli.run("benchmark", "run", "--agent", echo.toString());
        assertThat(standard.code()).isEqualTo(CliException.USAGE);
        assertThat(standard.err()).contains("--agent goes with --suite custom or --suite remote");

        Cli.Result zero = Cli.run("benchmark", "run", "--reply-timeout", "0s");
        assertThat(zero.code()).isEqualTo(CliException.USAGE);
        assertThat(zero.err()).contains("--reply-timeout: must be more than zero");

        Cli.Result missing = Cli.benchmarkSmall("--no-progress", "--agent", dir.resolve("nope.wasm").toString());
        assertThat(missing.code()).isNotZero();
        assertThat(missing.err()).contains("nope.wasm: no such file");

        Cli.Result wat = Cli.benchmarkSmall("--no-progress", "--agent", text.toString());
        assertThat(wat.code()).isEqualTo(CliException.USAGE);
        assertThat(wat.err()).contains("compile the text format to .wasm first");
    }
}
