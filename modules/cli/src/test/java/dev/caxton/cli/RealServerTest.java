package dev.caxton.cli;

import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.server.CaxtonServer;
import dev.caxton.testkit.Wat;
import dev.caxton.testkit.WatAgents;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line against a real node in this JVM: the fake API proves what the client sends, this
 * proves the server understands it and the client understands the answers. The token is read from
 * the file the server wrote, as on an operator's machine.
 */
class RealServerTest {

    static final String ECHO = WatAgents.ECHO;
    static final String TRAP = WatAgents.TRAP;

    @TempDir
    static Path dir;

    static CaxtonServer server;
    static Path data;

    @BeforeAll
    static void start() throws Exception {
        data = dir.resolve("data");
        Path config = Files.writeString(dir.resolve("caxton.yaml"), """
                server:
                  port: 0
                  metrics_enabled: false
                  data_dir: "%s"
                runtime:
                  chicory:
                    mode: interpreter
                messaging:
                  serializer: json
                storage:
                  type: memory
                transport:
                  port: 0
                """.formatted(data.toString().replace("\\", "/")));
        PluginCatalog catalog = PluginCatalog.discover(null);
        server = CaxtonServer.start(CaxtonConfig.load(config, catalog), null, catalog);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static Cli.Result caxton(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--server", server.apiUri().toString(), "--data-dir", data.toString()));
        return Cli.run(all.toArray(String[]::new));
    }

    @Test
    void deployInspectTalkAndUndeploy() throws Exception {
        Path wasm = Files.write(dir.resolve("echo.wasm"), Wat.compile(ECHO));

        Cli.Result deploy = caxton("agent", "deploy", wasm.toString(), "--name", "echo", "--capability", "echo",
                "--memory", "1MB", "--timeout", "2s");
        Cli.Result inspect = caxton("agent", "inspect", "echo");
        Cli.Result talk = caxton("message", "send", "--to", "echo", "--performative", "request",
                "--content", "{\"text\":\"hi\"}", "--wait", "5s");
        Cli.Result byCapability = caxton("message", "send", "--capability", "echo", "--performative", "query-ref",
                "--content", "[1,2]", "--wait", "5s");
        Cli.Result list = caxton("agent", "list");
        Cli.Result undeploy = caxton("agent", "undeploy", "echo");
        Cli.Result gone = caxton("agent", "inspect", "echo");

        assertThat(deploy.code()).as(deploy.err()).isZero();
        assertThat(deploy.out()).startsWith("deployed agent echo (id ").endsWith(", state running)\n");
        assertThat(inspect.out()).contains("memory:            1MB (1048576 bytes)", "execution timeout: 2s",
                "capabilities: echo", "codec:        json");
        assertThat(talk.code()).as(talk.err()).isZero();
        assertThat(talk.out()).isEqualTo("request from echo: {\"text\":\"hi\"}\n");
        assertThat(byCapability.out()).isEqualTo("query-ref from echo: [1,2]\n");
        assertThat(list.out()).containsPattern("(?m)^echo +running +echo +\\d+ +0$");
        assertThat(undeploy.out()).isEqualTo("undeployed agent echo\n");
        assertThat(gone.code()).isEqualTo(1);
        assertThat(gone.errLines()).containsExactly("caxton: 404 agent 'echo' not found (kind: not_found)");
    }

    @Test
    void aTrapComesBackAsAFailureAndADeadLetter() throws Exception {
        Path wasm = Files.write(dir.resolve("trap.wasm"), Wat.compile(TRAP));
        assertThat(caxton("agent", "deploy", wasm.toString(), "--name", "crashy").code()).isZero();

        Cli.Result r = caxton("message", "send", "--to", "crashy", "--performative", "request", "--content", "{}",
                "--reply-with", "ask-1", "--wait", "5s");
        Cli.Result letters = caxton("dead-letters", "list", "--limit", "10");

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).startsWith("failure from crashy: ");
        assertThat(r.errLines()).singleElement().asString().contains("is a failure: ").contains("trap");
        assertThat(letters.out()).containsPattern("(?m)^\\S+ +\\S+ +crashy +request +.*trap");
    }

    @Test
    void refusalsFromTheServerAreOneLine() throws Exception {
        Path notAnAgent = Files.write(dir.resolve("empty.wasm"), Wat.compile("(module)"));

        Cli.Result refused = caxton("agent", "deploy", notAnAgent.toString(), "--name", "empty");
        Cli.Result badToken = Cli.run("agent", "list", "--server", server.apiUri().toString(), "--token", "nope");
        Cli.Result members = caxton("cluster", "members");

        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.errLines()).singleElement().asString().startsWith("caxton: 400 ").contains("memory");
        assertThat(badToken.code()).isEqualTo(1);
        assertThat(badToken.errLines()).singleElement().asString().startsWith("caxton: 401 ");
        assertThat(members.code()).as(members.err()).isZero();
        assertThat(members.out().lines().toList()).hasSizeGreaterThanOrEqualTo(2).first().asString().startsWith("NAME ")
                .contains("LAST HEARD");
    }

    @Test
    void aBackupOfANodeOnMemoryStorageIsRefusedInOneClearLine() throws Exception {
        Path file = dir.resolve("memory-backup.db");

        Cli.Result r = caxton("storage", "backup", file.toString());

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.errLines()).singleElement().asString().startsWith("caxton: 400 ")
                .contains("storage.type: memory").contains("cannot be backed up").doesNotContain("Exception");
        assertThat(file).doesNotExist();
        try (var leftovers = Files.list(dir)) {
            assertThat(leftovers.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".partial"));
        }
    }
}
