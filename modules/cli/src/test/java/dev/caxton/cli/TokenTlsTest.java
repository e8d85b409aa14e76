package dev.caxton.cli;

import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.server.CaxtonServer;
import io.netty.handler.ssl.util.SelfSignedCertificate;
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
 * {@code caxton token ...} and {@code --ca-file} against a real node serving its API over TLS with
 * a test certificate, trusted only through the file given on the command line.
 */
class TokenTlsTest {

    @TempDir
    static Path dir;

    static SelfSignedCertificate cert;
    static CaxtonServer server;
    static Path data;
    static String url;

    @BeforeAll
    static void start() throws Exception {
        cert = new SelfSignedCertificate("localhost");
        data = dir.resolve("data");
        Path config = Files.writeString(dir.resolve("caxton.yaml"), """
                server:
                  port: 0
                  metrics_enabled: false
                  data_dir: "%s"
                  tls:
                    cert_file: "%s"
                    key_file: "%s"
                runtime:
                  chicory:
                    mode: interpreter
                messaging:
                  serializer: json
                storage:
                  type: memory
                transport:
                  port: 0
                """.formatted(data.toString().replace("\\", "/"), cert.certificate().getPath(), cert.privateKey().getPath()));
        PluginCatalog catalog = PluginCatalog.discover(null);
        server = CaxtonServer.start(CaxtonConfig.load(config, catalog), null, catalog);
        // The certificate names localhost, so the client must ask for localhost to verify it.
        url = "https://localhost:" + server.apiUri().getPort();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (cert != null) {
            cert.delete();
        }
    }

    static Cli.Result caxton(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--server", url, "--data-dir", data.toString(), "--ca-file", cert.certificate().getPath()));
        return Cli.run(all.toArray(String[]::new));
    }

    @Test
    void reloadTlsReportsTheCertificateInUse() {
        Cli.Result r = caxton("server", "reload-tls");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("CN=localhost").contains("valid until");
    }

    @Test
    void createListRotateAndTheOldSecretIsRefusedAfterTheGrace() throws Exception {
        Cli.Result created = caxton("token", "create", "ci", "--role", "operator");
        assertThat(created.code()).as(created.err()).isZero();
        String old = created.out().strip();
        assertThat(old).matches("[0-9a-f]{64}");

        Cli.Result list = caxton("token", "list");
        assertThat(list.out()).contains("ci").contains("operator").contains("default").doesNotContain(old);

        Cli.Result rotated = caxton("token", "rotate", "ci", "--grace", "200ms");
        assertThat(rotated.code()).as(rotated.err()).isZero();
        String fresh = rotated.out().lines().findFirst().orElseThrow();
        assertThat(fresh).matches("[0-9a-f]{64}").isNotEqualTo(old);
        assertThat(rotated.out()).contains("previous secret is accepted until");

        long deadline = System.nanoTime() + 120_000_000_000L;
        while (caxton("agent", "list", "--token", old).code() == 0) {
            assertThat(System.nanoTime()).as("the old secret refused in the end").isLessThan(deadline);
            Thread.sleep(50);
        }
        Cli.Result refused = caxton("agent", "list", "--token", old);
        assertThat(refused.err()).contains("401");
        assertThat(caxton("agent", "list", "--token", fresh).code()).isZero();

        // An operator token may not manage tokens: the node names both roles.
        Cli.Result denied = caxton("token", "list", "--token", fresh);
        assertThat(denied.code()).isEqualTo(1);
        assertThat(denied.err()).contains("operator").contains("admin");

        assertThat(caxton("token", "revoke", "ci").code()).isZero();
        assertThat(caxton("agent", "list", "--token", fresh).code()).isEqualTo(1);
    }

    @Test
    void withoutTheCaTheCertificateIsNotTrusted() {
        Cli.Result r = Cli.run("agent", "list", "--server", url, "--data-dir", data.toString());
        assertThat(r.code()).isEqualTo(1);
        Cli.Result badCa = Cli.run("agent", "list", "--server", url, "--data-dir", data.toString(),
                "--ca-file", data.resolve("api-token").toString());
        assertThat(badCa.code()).isNotZero();
        assertThat(badCa.err()).contains("--ca-file");
    }
}
