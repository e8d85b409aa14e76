package dev.caxton.cli;

import dev.caxton.testkit.Wat;
import dev.caxton.testkit.WatAgents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code caxton agent test}: a node in the process, real Chicory, real modules. */
class AgentTestTest {

    @TempDir
    Path dir;

    private Cli.Result test(Path module, String... args) throws Exception {
        Path config = dir.resolve("caxton.yaml");
        if (!Files.exists(config)) {
            Files.writeString(config, LocalCommandTest.testConfig(0, dir.resolve("data")));
        }
        String[] all = new String[args.length + 5];
        all[0] = "agent";
        all[1] = "test";
        all[2] = module.toString();
        System.arraycopy(args, 0, all, 3, args.length);
        all[args.length + 3] = "--config";
        all[args.length + 4] = config.toString();
        return Cli.run(all);
    }

    private Path wasm(String name, String wat) throws Exception {
        return Files.write(dir.resolve(name + ".wasm"), Wat.compile(wat));
    }

    @Test
    void anEchoAgentsReplyIsPrintedWithFuelAndTime() throws Exception {
        Cli.Result r = test(wasm("echo", WatAgents.ECHO), "--content", "{\"a\":[1,\"x\"]}");

        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("running ").contains("message 1: request {\"a\":[1,\"x\"]}")
                .containsPattern("fuel [1-9][0-9]*, [0-9.]+ ms");
    }

    @Test
    void stateLogsAndRepeatsShowInTheOutput() throws Exception {
        Path project = dir.resolve("counter");
        assertThat(Cli.run("agent", "new", "counter", "--lang", "wat", "--dir", project.toString()).code()).isZero();
        Path module = wasm("counter", Files.readString(project.resolve("counter.wat")));

        Cli.Result r = test(module, "--content", "\"hi\"", "--repeat", "3", "--performative", "query-ref");

        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("init log info: ready")
                .contains("message 1: inform {\"count\":1}")
                .contains("message 3: inform {\"count\":3}")
                .containsPattern("3 messages: p50 [0-9.]+ ms, max [0-9.]+ ms, fuel max [1-9][0-9]*, faults 0");
    }

    @Test
    void aFaultIsReportedAndTheExitCodeSaysSo() throws Exception {
        Cli.Result r = test(wasm("trap", WatAgents.TRAP), "--content", "1");

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("message 1: failure").contains("FAULT: ").contains("unreachable");
    }

    @Test
    void aRefusedModuleGetsEveryProblemListed() throws Exception {
        Path bad = wasm("bad", """
                (module
                  (import "env" "abort" (func (param i32 i32 i32 i32)))
                  (memory (export "memory") 1)
                  (func (export "alloc") (param i32) (result i32) (i32.const 0)))
                """);

        Cli.Result r = test(bad, "--content", "1");

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("bad.wasm: refused: ").contains("bad.wasm: 2 problems")
                .contains("Missing required export: 'handle_message'").contains("Forbidden import: 'env.abort'");
    }

    @Test
    void theAgentSeesTheSenderGivenWithFrom() throws Exception {
        Cli.Result r = test(wasm("echo", WatAgents.ECHO), "--content", "\"x\"", "--from", "alice");

        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("message 1: request \"x\"");
    }

    @Test
    void badOptionsAreUsageErrors() throws Exception {
        Path echo = wasm("echo", WatAgents.ECHO);
        assertThat(test(echo, "--performative", "shout").err()).contains("--performative: 'shout' is not a FIPA performative");
        assertThat(test(echo, "--content", "{oops").err()).contains("--content: not valid JSON");
        assertThat(test(echo, "--repeat", "0").code()).isEqualTo(2);
        assertThat(test(echo, "--from", "client-1").err()).contains("--from: 'client-1'");
    }
}
