package dev.caxton.cli;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code config validate} and {@code server start} read a file through the same checks: every
 * file one refuses, the other refuses too, naming the file and the key. (Each of these was once
 * "valid" and then stopped the server, or started one that refused every message.)
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ConfigAgreementTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            static node list entry without address | coordination:\\n  cluster:\\n    static:\\n      nodes: ["garbage"] | coordination.cluster.static.nodes | id@host:port
            static node list entry without port    | coordination:\\n  cluster:\\n    static:\\n      nodes: ["n2@10.0.0.2"] | coordination.cluster.static.nodes | id@host:port
            static node list with an id twice      | coordination:\\n  cluster:\\n    static:\\n      nodes: ["n2@a:1", "n2@b:2"] | coordination.cluster.static.nodes | twice
            empty node name                        | server:\\n  node_name: "" | server.node_name | letters, digits
            node name with a quote and a newline   | server:\\n  node_name: "evil\\"\\n{}" | server.node_name | letters, digits
            node name with a space                 | server:\\n  node_name: "node one" | server.node_name | letters, digits
            """)
    void bothCommandsRefuseTheFileNamingTheKey(String what, String yaml, String key, String allowed) throws Exception {
        String base = LocalCommandTest.testConfig(0, dir.resolve("data"));
        Path file = Files.writeString(dir.resolve("caxton.yaml"), merge(base, yaml.replace("\\n", "\n")));

        Cli.Result validate = Cli.run("config", "validate", file.toString());
        Cli.Result start = Cli.run("server", "start", "--config", file.toString(), "--data-dir", dir.resolve("data").toString());

        for (Cli.Result r : new Cli.Result[] {validate, start}) {
            assertThat(r.code()).as(what + ": " + r.err()).isEqualTo(1);
            assertThat(r.errLines()).as(what).singleElement().asString()
                    .contains(file.toString()).contains(key).contains(allowed);
        }
        assertThat(start.errLines()).isEqualTo(validate.errLines());
        assertThat(dir.resolve("data")).as("nothing was started").doesNotExist();
    }

    /** The test base configuration plus one more section (the base has no server.node_name, nor coordination). */
    private static String merge(String base, String extra) {
        if (extra.startsWith("server:\n")) {
            return base.replace("server:\n", extra + "\n");
        }
        return base + extra + "\n";
    }
}
