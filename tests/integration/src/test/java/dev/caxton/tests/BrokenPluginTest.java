package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caxton.testkit.plugin.PluginJars;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Deliberately broken plugin folders installed beside the image's own (issue 15, item 3): one built
 * for SPI 2.0, one missing a module it requires, one whose provider's constructor throws. The
 * documented outcome (docs/plugin-authors.md): a node whose configuration selects one of them
 * refuses to start naming the folder and the cause; a node that does not select them starts
 * without them, and {@code plugins list} shows them refused.
 */
class BrokenPluginTest {

    @TempDir
    static Path tmp;

    /** An installation sharing the built image's runtime and plugins, with the broken folders added. */
    private static Path home;

    @BeforeAll
    static void install() throws Exception {
        home = tmp.resolve("caxton");
        Files.createDirectories(home.resolve("bin"));
        Path launcher = Files.copy(Image.launcher(), home.resolve("bin/caxton"));
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(home.resolve("runtime"), Image.HOME.resolve("runtime"));
        Path plugins = Files.createDirectories(home.resolve("plugins"));
        try (Stream<Path> s = Files.list(Image.HOME.resolve("plugins"))) {
            for (Path p : s.toList()) {
                Files.createSymbolicLink(plugins.resolve(p.getFileName()), p);
            }
        }
        PluginJars jars = new PluginJars(tmp.resolve("work"));
        Path lib = jars.compile("test.absent.lib", PluginJars.library("test.absent.lib"), List.of());
        jars.plugin(plugins.resolve("serializer-future"), "test.serializer.future",
                PluginJars.serializer("test.serializer.future", "future", "", ""), List.of(),
                Map.of(PluginJars.SPI_RANGE, "[2.0,3.0)"));
        jars.plugin(plugins.resolve("serializer-orphan"), "test.serializer.orphan",
                PluginJars.serializer("test.serializer.orphan", "orphan", "requires test.absent.lib;", ""), List.of(lib),
                Map.of(PluginJars.SPI_RANGE, "[1.0,2.0)"));
        jars.plugin(plugins.resolve("serializer-boom"), "test.serializer.boom",
                PluginJars.serializer("test.serializer.boom", "boom", "",
                        "if (true) throw new IllegalStateException(\"boom: no licence key\");"), List.of(),
                Map.of(PluginJars.SPI_RANGE, "[1.0,2.0)"));
    }

    private static Path config(String name, String extra) throws IOException {
        int[] ports = Image.freePorts(3);
        Path dir = Files.createDirectories(tmp.resolve("node-" + name));
        return Files.writeString(dir.resolve("caxton.yaml"), """
                server:
                  port: %d
                  metrics_port: %d
                  data_dir: %s
                transport:
                  port: %d
                storage:
                  type: memory
                """.formatted(ports[0], ports[1], dir.resolve("data"), ports[2]) + extra);
    }

    private static Image.Result caxton(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(home.resolve("bin/caxton").toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("caxton " + String.join(" ", args) + " did not finish within 120s");
        }
        return new Image.Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    @DisplayName("plugins list shows each broken folder as refused, with its folder and cause, beside the image's plugins")
    void listedAsRefused() throws Exception {
        Image.Result r = caxton("plugins", "list", "--output", "json");

        assertThat(r.exit()).as(r.err()).isZero();
        Map<String, JsonNode> byName = new HashMap<>();
        r.json().forEach(p -> byName.put(p.get("name").asText(), p));
        assertThat(byName.get("future").get("state").asText()).isEqualTo("refused");
        assertThat(byName.get("future").get("reason").asText()).contains("serializer-future", "[2.0,3.0)", "SPI " + dev.caxton.spi.SpiVersion.CURRENT);
        assertThat(byName.get("orphan").get("reason").asText()).contains("serializer-orphan", "test.absent.lib");
        assertThat(byName.get("boom").get("reason").asText()).contains("serializer-boom", "boom: no licence key");
        assertThat(byName.get("msgpack").get("state").asText()).isEqualTo("ok");
        assertThat(byName.get("msgpack").get("spi_range").asText()).isEqualTo("[" + dev.caxton.spi.SpiVersion.CURRENT + ",2.0)");
    }

    @Test
    @DisplayName("a node whose configuration selects a broken plugin refuses to start, naming the folder and the cause")
    void selectedRefusesToStart() throws Exception {
        Map<String, List<String>> expected = Map.of(
                "future", List.of("messaging.serializer", "serializer-future", "[2.0,3.0)", "this node has SPI " + dev.caxton.spi.SpiVersion.CURRENT),
                "orphan", List.of("messaging.serializer", "serializer-orphan", "test.absent.lib"),
                "boom", List.of("messaging.serializer", "serializer-boom", "boom: no licence key"));
        for (Map.Entry<String, List<String>> e : expected.entrySet()) {
            Path cfg = config(e.getKey(), "messaging:\n  serializer: " + e.getKey() + "\n");
            Image.Result r = caxton("server", "start", "--config", cfg.toString());
            assertThat(r.exit()).as("server start selecting %s: %s", e.getKey(), r.out()).isNotZero();
            assertThat(r.err()).as("stderr of server start selecting %s", e.getKey()).contains(e.getValue());
        }
    }

    @Test
    @DisplayName("a node that does not select a broken plugin starts without it and serves")
    void notSelectedStarts() throws Exception {
        Path cfg = config("healthy", "");
        Path dataDir = cfg.getParent().resolve("data");
        Path log = cfg.getParent().resolve("server.log");
        Process p = new ProcessBuilder(home.resolve("bin/caxton").toString(), "server", "start", "--config", cfg.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            int port = Integer.parseInt(Files.readString(cfg).lines().filter(l -> l.strip().startsWith("port:"))
                    .findFirst().orElseThrow().split(":")[1].strip());
            HttpClient http = HttpClient.newHttpClient();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            int status = 0;
            while (System.nanoTime() < deadline && status != 200) {
                assertThat(p.isAlive()).as("server exited:\n%s", Files.exists(log) ? Files.readString(log) : "").isTrue();
                if (Files.exists(dataDir.resolve("api-token"))) {
                    try {
                        status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/health"))
                                        .header("X-Caxton-Token", Files.readString(dataDir.resolve("api-token")).trim()).build(),
                                HttpResponse.BodyHandlers.ofString()).statusCode();
                    } catch (IOException notYet) {
                        // not listening yet
                    }
                }
                if (status != 200) {
                    Thread.sleep(200);
                }
            }
            assertThat(status).as("health of a node beside broken plugins:\n%s", Files.readString(log)).isEqualTo(200);
            assertThat(Files.readString(log)).contains("serializer-future", "[2.0,3.0)", "will not start");
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    @Test
    @DisplayName("plugins verify passes a first-party folder and fails a broken one with the node's reason")
    void verify() throws Exception {
        Image.Result good = caxton("plugins", "verify", Image.HOME.resolve("plugins/storage-memory").toString());
        Image.Result boom = caxton("plugins", "verify", home.resolve("plugins/serializer-boom").toString());

        assertThat(good.exit()).as(good.out() + good.err()).isZero();
        assertThat(good.out()).containsPattern("(?m)^PASS +load +storage/memory +module dev.caxton.storage.memory")
                .containsPattern("(?m)^PASS +names +storage/memory");
        assertThat(boom.exit()).isEqualTo(1);
        assertThat(boom.out()).containsPattern("(?m)^FAIL +load +serializer/boom +.*boom: no licence key");
    }
}
