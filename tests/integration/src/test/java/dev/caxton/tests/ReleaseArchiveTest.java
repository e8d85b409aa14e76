package dev.caxton.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release archive {@code distribution/target/caxton-VERSION-linux-x86_64.tar.gz} as a user
 * gets it: unpacked somewhere unrelated to the build, run through a symlink from yet another
 * directory, with an agent deployed from the archive's own examples.
 */
class ReleaseArchiveTest {

    @Test
    @DisplayName("the release archive unpacks into caxton-VERSION/ and runs an agent through a symlinked bin/caxton")
    void archiveUnpacksAndRuns(@TempDir Path tmp) throws Exception {
        String version = Files.readString(Image.HOME.resolve("VERSION")).trim();
        Path archive = Image.HOME.resolveSibling("caxton-" + version + "-linux-x86_64.tar.gz");
        assertThat(archive).as("written by ./mvnw package").exists();
        System.out.printf("release archive %s: %d MB%n", archive.getFileName(), Files.size(archive) >> 20);

        Path opt = Files.createDirectories(tmp.resolve("opt"));
        Process tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", opt.toString()).inheritIO().start();
        assertThat(tar.waitFor()).isZero();
        Path home = opt.resolve("caxton-" + version);
        for (String part : List.of("bin/caxton", "runtime/bin/java", "conf/caxton.yaml", "plugins/engine-chicory",
                "plugins/storage-sqlite", "examples/echo/echo.wasm", "tools/wat", "VERSION")) {
            assertThat(home.resolve(part)).as(part).exists();
        }
        assertThat(Files.readString(home.resolve("conf/caxton.yaml"))).startsWith("#");

        // As in /usr/local/bin/caxton -> /opt/caxton-VERSION/bin/caxton, called from elsewhere.
        Path bin = Files.createDirectories(tmp.resolve("usr/local/bin"));
        Path link = Files.createSymbolicLink(bin.resolve("caxton"), home.resolve("bin/caxton"));
        Image.Result plugins = Image.run(link, List.of(), "plugins", "list", "--output", "json");
        assertThat(plugins.exit()).as(plugins.err()).isZero();
        assertThat(plugins.out()).contains("\"chicory\"");

        Path work = Files.createDirectories(tmp.resolve("elsewhere"));
        try (Image.Server s = new Image.Server(link, work, "")) {
            Image.Result deploy = s.cli("agent", "deploy", home.resolve("examples/echo/echo.wasm").toString(), "--name", "echo");
            assertThat(deploy.exit()).as(deploy.err()).isZero();
            Image.Result reply = s.cli("message", "send", "--to", "echo", "--performative", "request",
                    "--content", "{\"hello\":\"archive\"}", "--wait", "30s", "--output", "json");
            assertThat(reply.exit()).as(reply.err()).isZero();
            assertThat(reply.out()).contains("archive");
            assertThat(s.log()).doesNotContain(Image.HOME.toString());
        }
    }
}
