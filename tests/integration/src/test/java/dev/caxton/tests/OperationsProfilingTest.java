package dev.caxton.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13's profiling, {@code caxton top} and diagnostics through the image: a CPU recording
 * downloaded by the CLI that the JDK's {@code jfr} tool reads, with Caxton's events in it;
 * {@code caxton top} in a real terminal (tmux) answering a key; the diagnostics against a live node.
 */
class OperationsProfilingTest {

    private static void deploy(Image.Server s, String name, Path wasm) {
        Image.Result d = s.cli("agent", "deploy", wasm.toString(), "--name", name);
        assertThat(d.exit()).as(d.err()).isZero();
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("gave up waiting for: " + what);
            }
            Thread.sleep(50);
        }
    }

    private static Image.Result exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).start();
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                return new byte[0];
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("did not finish: " + String.join(" ", cmd));
        }
        return new Image.Result(p.exitValue(), out, new String(err.join(), StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("caxton profile cpu downloads a recording that `jfr summary` reads, with the node's message and fault events")
    void profileCpu(@TempDir Path dir) throws Exception {
        try (Image.Server s = new Image.Server(Files.createDirectories(dir.resolve("n")), "")) {
            deploy(s, "echo", Image.example("echo/echo.wasm"));
            deploy(s, "trap", Image.testAgent("trap.wasm"));
            Path out = dir.resolve("cpu.jfr");
            // Ten minutes is never reached: the test ends the recording through the API once its messages are handled.
            CompletableFuture<Image.Result> profile = CompletableFuture.supplyAsync(() ->
                    s.cli("profile", "cpu", "--duration", "10m", "--output", out.toString()));
            String token = s.token();
            await("the recording runs", () -> {
                try {
                    return s.http("GET", "/api/v1/profile", null, token).body().contains("\"running\":true");
                } catch (IOException | InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });
            Image.Result second = s.cli("profile", "memory", "--duration", "1s", "--output", dir.resolve("m.jfr").toString());
            assertThat(second.exit()).isEqualTo(1);
            assertThat(second.err()).contains("409").contains("already running");
            for (int i = 0; i < 3; i++) {
                Image.Result r = s.cli("message", "send", "--to", "echo", "--performative", "request",
                        "--content", "{\"n\":" + i + "}", "--wait", "60s");
                assertThat(r.exit()).as(r.err()).isZero();
            }
            s.cli("message", "send", "--to", "trap", "--performative", "inform", "--content", "1");
            await("the trap faulted", () -> {
                try {
                    return s.api("GET", "/api/v1/agents/trap", null).path("counters").path("faults").asLong() >= 1;
                } catch (IOException | InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });
            assertThat(s.http("POST", "/api/v1/profile/stop", null, token).statusCode()).isEqualTo(200);
            Image.Result done = profile.get(5, TimeUnit.MINUTES);
            assertThat(done.exit()).as(done.err()).isZero();
            assertThat(done.out()).contains("wrote " + out);

            Path jfr = Path.of(System.getProperty("java.home"), "bin", "jfr");
            Image.Result summary = exec(jfr.toString(), "summary", out.toString());
            assertThat(summary.exit()).as(summary.err()).isZero();
            assertThat(summary.out()).contains("dev.caxton.MessageHandled").contains("dev.caxton.AgentFault")
                    .contains("jdk.ExecutionSample");
            Image.Result print = exec(jfr.toString(), "print", "--events", "dev.caxton.MessageHandled", out.toString());
            assertThat(print.out()).contains("agent = \"echo\"");
            Image.Result faults = exec(jfr.toString(), "print", "--events", "dev.caxton.AgentFault", out.toString());
            assertThat(faults.out()).contains("agent = \"trap\"").contains("reason = \"trap");
        }
    }

    @Test
    @DisplayName("caxton top runs in a terminal (tmux), shows the agents and changes the sort on a key")
    void topUnderTmux(@TempDir Path dir) throws Exception {
        boolean tmux;
        try {
            tmux = exec("tmux", "-V").exit() == 0;
        } catch (IOException e) {
            tmux = false;
        }
        Assumptions.assumeTrue(tmux, "tmux is not installed (apt-get install -y tmux); the terminal test of caxton top is skipped");
        try (Image.Server s = new Image.Server(Files.createDirectories(dir.resolve("n")), "")) {
            deploy(s, "echo", Image.example("echo/echo.wasm"));
            deploy(s, "trap", Image.testAgent("trap.wasm"));
            s.cli("message", "send", "--to", "trap", "--performative", "inform", "--content", "1");
            // A server socket of its own, so the test never touches a tmux the user runs.
            String socket = "caxton-top-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
            String command = Image.launcher() + " top --server " + s.url() + " --data-dir " + s.dataDir;
            try {
                Image.Result started = exec("tmux", "-L", socket, "new-session", "-d", "-s", "top", "-x", "160", "-y", "40",
                        command);
                assertThat(started.exit()).as(started.err()).isZero();
                String[] pane = new String[1];
                Predicate<String> shows = text -> {
                    try {
                        pane[0] = exec("tmux", "-L", socket, "capture-pane", "-p", "-t", "top").out();
                        return pane[0].contains(text);
                    } catch (IOException | InterruptedException e) {
                        throw new RuntimeException(e);
                    }
                };
                await("top shows its table sorted by name", () -> shows.test("sort: name") && shows.test("trap"));
                assertThat(pane[0]).contains("caxton top - node").contains("AGENT").contains("echo").contains("FAULTS");
                // By name, echo comes first.
                assertThat(pane[0].indexOf("\necho ")).isLessThan(pane[0].indexOf("\ntrap "));
                exec("tmux", "-L", socket, "send-keys", "-t", "top", "s");
                await("the s key changes the sort", () -> shows.test("sort: queued"));
                exec("tmux", "-L", socket, "send-keys", "-t", "top", "s");
                exec("tmux", "-L", socket, "send-keys", "-t", "top", "s");
                await("sorted by faults", () -> shows.test("sort: faults"));
                await("the agent with a fault first", () -> shows.test("sort: faults") && pane[0].contains("\ntrap ")
                        && pane[0].indexOf("\ntrap ") < pane[0].indexOf("\necho "));
                exec("tmux", "-L", socket, "send-keys", "-t", "top", "q");
                await("q ends top", () -> {
                    try {
                        return exec("tmux", "-L", socket, "has-session", "-t", "top").exit() != 0;
                    } catch (IOException | InterruptedException e) {
                        throw new RuntimeException(e);
                    }
                });
            } finally {
                exec("tmux", "-L", socket, "kill-server");
            }
            // Not a terminal: one frame, for scripts.
            Image.Result once = s.cli("top");
            assertThat(once.exit()).as(once.err()).isZero();
            assertThat(once.out()).contains("AGENT").contains("echo").contains("trap").doesNotContain("\033[");
        }
    }

    @Test
    @DisplayName("the diagnostics answer from a live node with findings and the settings to change")
    void diagnostics(@TempDir Path dir) throws Exception {
        try (Image.Server s = new Image.Server(Files.createDirectories(dir.resolve("n")), "")) {
            deploy(s, "echo", Image.example("echo/echo.wasm"));
            deploy(s, "trap", Image.testAgent("trap.wasm"));
            s.cli("message", "send", "--to", "trap", "--performative", "inform", "--content", "1");
            await("the trap faulted", () -> {
                try {
                    return s.api("GET", "/api/v1/agents/trap", null).path("counters").path("faults").asLong() >= 1;
                } catch (IOException | InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });
            Image.Result perf = s.cli("performance", "diagnose");
            assertThat(perf.exit()).as(perf.err()).isZero();
            assertThat(perf.out()).contains("performance of node").contains("warning  trap: 1 faults")
                    .contains("the agent trapped").contains("memory budget").contains("heap")
                    .contains("dead letters 'trap'");
            Image.Result json = s.cli("performance", "diagnose", "--output", "json");
            assertThat(json.exit()).as(json.err()).isZero();
            assertThat(json.json().path("findings").isArray()).isTrue();

            Image.Result mem = s.cli("memory", "analyze", "--duration", "1s", "--interval", "200ms");
            assertThat(mem.exit()).as(mem.err()).isZero();
            assertThat(mem.out()).contains("samples over 1s").contains("low point went from");

            Image.Result gossip = s.cli("cluster", "analyze-gossip");
            assertThat(gossip.exit()).as(gossip.err()).isZero();
            assertThat(gossip.out()).contains("no gossip membership running");
        }
    }
}
