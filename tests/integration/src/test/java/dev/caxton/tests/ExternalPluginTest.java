package dev.caxton.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin kit from the outside: {@code examples/plugins/serializer-cbor} is built the way an
 * author outside this repository builds it (its own Maven project, importing {@code caxton-bom},
 * compiling against {@code caxton-spi}, testing with {@code caxton-testkit}), then its folder is
 * installed into a copy of the built distribution, selected by config and made to carry traffic.
 */
class ExternalPluginTest {

    private static final String EXAMPLE = "examples/plugins/serializer-cbor";

    /** Where the one external build of the class happens; both tests use its plugin folder. */
    @TempDir
    static Path shared;

    private static Path built;

    /** The example's plugin folder, built once for the whole class (the build takes a while). */
    private static synchronized Path cborFolder() throws IOException, InterruptedException {
        if (built == null) {
            built = KitBuild.build(shared, EXAMPLE, "serializer-cbor");
        }
        return built;
    }

    @Test
    @DisplayName("serializer-cbor, built outside the reactor from the kit, is listed, selected and stores the node's messages as CBOR")
    void externalPluginBuiltFromTheKitCarriesTraffic(@TempDir Path tmp) throws Exception {
        Path folder = cborFolder();
        assertThat(folder.resolve("serializer-cbor-1.0.0.jar")).exists();
        try (Stream<Path> jars = Files.list(folder)) {
            assertThat(jars.map(p -> p.getFileName().toString()))
                    .anyMatch(n -> n.startsWith("jackson-dataformat-cbor-"))
                    .noneMatch(n -> n.startsWith("caxton-spi"));
        }

        Path home = KitBuild.copyOfImage(tmp.resolve("caxton"));
        KitBuild.copyTree(folder, home.resolve("plugins/serializer-cbor"));
        Path launcher = home.resolve("bin/caxton");

        Image.Result list = Image.run(launcher, List.of(), "plugins", "list", "--output", "json");
        assertThat(list.exit()).as(list.err()).isZero();
        JsonNode cbor = null;
        for (JsonNode p : list.json()) {
            if (p.path("spi").asText().equals("serializer") && p.path("name").asText().equals("cbor")) {
                cbor = p;
            }
        }
        assertThat(cbor).as("cbor in plugins list: " + list.out()).isNotNull();
        assertThat(cbor.path("module").asText()).isEqualTo("org.example.caxton.serializer.cbor");
        assertThat(cbor.path("location").asText()).contains("serializer-cbor");

        Path nodeDir = Files.createDirectories(tmp.resolve("node"));
        try (Image.Server s = new Image.Server(launcher, nodeDir, """
                messaging:
                  serializer: cbor
                """)) {
            assertThat(s.cli("agent", "deploy", home.resolve("examples/echo/echo.wasm").toString(), "--name", "echo").exit()).isZero();
            Image.Result reply = s.cli("message", "send", "--to", "echo", "--performative", "request",
                    "--content", "{\"n\":1,\"word\":\"über\"}", "--conversation", "conv-cbor", "--wait", "30s", "--output", "json");
            assertThat(reply.exit()).as(reply.err()).isZero();
            assertThat(reply.out()).contains("über");

            // The conversation's record is written by the wire serializer and read back through it.
            JsonNode conv = s.api("GET", "/api/v1/conversations/conv-cbor", null);
            assertThat(conv.path("messages").size()).as(conv.toString()).isGreaterThanOrEqualTo(2);
            assertThat(conv.path("messages").get(0).path("envelope").path("content").path("word").asText()).isEqualTo("über");

            // An agent that speaks CBOR itself: the node encodes what it receives and decodes its
            // answer with the plugin (echo returns the very bytes it was given).
            // (Through the API: the command line's --codec offers only the first-party names.)
            String wasm = java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(home.resolve("examples/echo/echo.wasm")));
            var deployed = s.http("POST", "/api/v1/agents",
                    "{\"name\":\"echo-cbor\",\"codec\":\"cbor\",\"wasm_module\":\"" + wasm + "\"}", s.token());
            assertThat(deployed.statusCode()).as(deployed.body()).isBetween(200, 299);
            Image.Result cborReply = s.cli("message", "send", "--to", "echo-cbor", "--performative", "request",
                    "--content", "{\"list\":[1,2.5,true,null]}", "--wait", "30s", "--output", "json");
            assertThat(cborReply.exit()).as(cborReply.err()).isZero();
            assertThat(cborReply.out()).contains("2.5");

            // A message the agent faults on is dead-lettered: stored by the plugin, read back by it.
            s.cli("agent", "deploy", Image.testAgent("trap.wasm").toString(), "--name", "trapper");
            s.cli("message", "send", "--to", "trapper", "--performative", "request", "--content", "{\"n\":2}", "--wait", "5s");
            JsonNode dead = awaitDeadLetter(s);
            assertThat(dead.path("envelope").path("content").path("n").asLong()).isEqualTo(2);
        }
        byte[] stored = ImageTest.firstDeadLetterEnvelope(nodeDir.resolve("data/caxton.db"));
        // CBOR's major type 5 (a map) with its length in the low bits: 0xA0 to 0xBF.
        assertThat(stored[0] & 0xE0).as("first byte %02x of the stored envelope", stored[0]).isEqualTo(0xA0);
    }

    @Test
    @DisplayName("jlink/custom-image.sh builds an image of a chosen subset plus the third-party folder; it runs an agent and lists only those")
    void customImageWithAThirdPartyPlugin(@TempDir Path tmp) throws Exception {
        Path folder = cborFolder();
        Path out = tmp.resolve("lean");
        List<String> chosen = List.of("engine-chicory", "serializer-json", "storage-memory", "membership-fixed", "transport-tcp");
        Process p = new ProcessBuilder("bash", Image.ROOT.resolve("jlink/custom-image.sh").toString(),
                "--output", out.toString(), "--plugins", String.join(",", chosen),
                "--plugin-dir", folder.toString(), "--jdk", System.getProperty("java.home"))
                .redirectErrorStream(true).redirectOutput(tmp.resolve("image.log").toFile()).start();
        assertThat(p.waitFor(10, TimeUnit.MINUTES)).as("custom-image.sh finished").isTrue();
        String output = Files.readString(tmp.resolve("image.log"));
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("third-party plugin serializer-cbor added");
        long bytes;
        try (Stream<Path> files = Files.walk(out)) {
            bytes = files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
        System.out.printf("custom image (%s + serializer-cbor): %d MB%n", String.join(",", chosen), bytes >> 20);

        // As docs/custom-images.md says: the default configuration names providers left out.
        Path conf = out.resolve("conf/caxton.yaml");
        Files.writeString(conf, Files.readString(conf).replace("serializer: msgpack", "serializer: cbor")
                .replace("type: sqlite", "type: memory"));
        Path launcher = out.resolve("bin/caxton");
        Image.Result list = Image.run(launcher, List.of(), "plugins", "list", "--output", "json");
        assertThat(list.exit()).as(list.err()).isZero();
        List<String> names = new ArrayList<>();
        for (JsonNode plugin : list.json()) {
            names.add(plugin.path("spi").asText() + ":" + plugin.path("name").asText());
        }
        assertThat(names).containsExactlyInAnyOrder("engine:chicory", "serializer:json", "storage:memory",
                "membership:fixed", "transport:tcp", "serializer:cbor");

        Path nodeDir = Files.createDirectories(tmp.resolve("node"));
        try (Image.Server s = new Image.Server(launcher, nodeDir, """
                messaging:
                  serializer: cbor
                storage:
                  type: memory
                """)) {
            assertThat(s.cli("agent", "deploy", out.resolve("examples/echo/echo.wasm").toString(), "--name", "echo").exit()).isZero();
            Image.Result reply = s.cli("message", "send", "--to", "echo", "--performative", "request",
                    "--content", "{\"lean\":true}", "--wait", "30s", "--output", "json");
            assertThat(reply.exit()).as(reply.err()).isZero();
            assertThat(reply.out()).contains("lean");
        }
        // Netty's native transport is linked in, or the API listener would fall back to NIO.
        Process modules = new ProcessBuilder(out.resolve("runtime/bin/java").toString(), "--list-modules")
                .redirectErrorStream(true).start();
        String linked = new String(modules.getInputStream().readAllBytes());
        assertThat(modules.waitFor()).isZero();
        assertThat(linked).contains("io.netty.transport.epoll.linux.x86_64");
    }

    private static JsonNode awaitDeadLetter(Image.Server s) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            JsonNode letters = s.api("GET", "/api/v1/dead-letters?limit=10", null).path("dead_letters");
            if (letters.size() > 0) {
                return letters.get(0);
            }
            assertThat(System.nanoTime()).as("a dead letter within 60s").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /**
     * Builds an example plugin as a stranger would, from a clean local Maven repository: the kit's
     * artifacts (parent, BOM, SPI, testkit) just built by the reactor are laid out in a throwaway
     * repository in Maven's layout (what {@code ./mvnw install} would have put in {@code ~/.m2}),
     * and everything else comes from the user's repository (as a {@code file://} remote, read only)
     * or Maven Central. The shared {@code ~/.m2} is never written to.
     */
    static final class KitBuild {

        private KitBuild() {
        }

        /**
         * Copies the example project to {@code tmp/src}, builds it with this repository's
         * {@code mvnw package} and returns its plugin folder.
         */
        static Path build(Path tmp, String example, String folderName) throws IOException, InterruptedException {
            Path repo = populateRepository(tmp.resolve("m2"));
            Path project = tmp.resolve("src").resolve(folderName);
            copyTree(Image.ROOT.resolve(example), project);
            deleteTree(project.resolve("target"));
            Path settings = tmp.resolve("settings.xml");
            String userRepo = System.getProperty("caxton.m2", System.getProperty("user.home") + "/.m2/repository");
            Files.writeString(settings, """
                    <settings>
                      <profiles><profile><id>user-repository</id>
                        <repositories><repository><id>user-repository</id><url>%1$s</url></repository></repositories>
                        <pluginRepositories><pluginRepository><id>user-repository</id><url>%1$s</url></pluginRepository></pluginRepositories>
                      </profile></profiles>
                      <activeProfiles><activeProfile>user-repository</activeProfile></activeProfiles>
                    </settings>
                    """.formatted(Path.of(userRepo).toUri()));
            Path log = tmp.resolve("build.log");
            ProcessBuilder pb = new ProcessBuilder(Image.ROOT.resolve("mvnw").toString(), "-B", "-q",
                    "-f", project.resolve("pom.xml").toString(), "-s", settings.toString(),
                    "-Dmaven.repo.local=" + repo, "package")
                    .directory(project.toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
            long started = System.nanoTime();
            Process p = pb.start();
            if (!p.waitFor(20, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("the external build did not finish within 20 minutes:\n" + tail(log));
            }
            assertThat(p.exitValue()).as("external build of %s:%n%s", example, tail(log)).isZero();
            System.out.printf("external build of %s: %d s%n", example, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
            Path report = project.resolve("target/surefire-reports");
            try (Stream<Path> reports = Files.list(report)) {
                List<Path> xml = reports.filter(f -> f.getFileName().toString().matches("TEST-.*Conformance.*\\.xml")).toList();
                assertThat(xml).as("the conformance suite ran in the external build").isNotEmpty();
                for (Path f : xml) {
                    assertThat(Files.readString(f)).contains("failures=\"0\"").contains("errors=\"0\"").doesNotContain("tests=\"0\"");
                }
            }
            return project.resolve("target").resolve(folderName);
        }

        /** Lays out the kit's artifacts as {@code ./mvnw install} would, in {@code repo}. */
        static Path populateRepository(Path repo) throws IOException {
            String version = Files.readString(Image.HOME.resolve("VERSION")).trim();
            put(repo, "caxton-parent", version, Image.ROOT.resolve("pom.xml"), null);
            put(repo, "caxton-bom", version, Image.ROOT.resolve("bom/pom.xml"), null);
            put(repo, "caxton-spi", version, Image.ROOT.resolve("modules/spi/pom.xml"),
                    Image.ROOT.resolve("modules/spi/target/caxton-spi-" + version + ".jar"));
            put(repo, "caxton-testkit", version, Image.ROOT.resolve("modules/testkit/pom.xml"),
                    Image.ROOT.resolve("modules/testkit/target/caxton-testkit-" + version + ".jar"));
            return repo;
        }

        private static void put(Path repo, String artifact, String version, Path pom, Path jar) throws IOException {
            Path dir = Files.createDirectories(repo.resolve("dev/caxton").resolve(artifact).resolve(version));
            Files.copy(pom, dir.resolve(artifact + "-" + version + ".pom"));
            if (jar != null) {
                assertThat(jar).as("built by the reactor before the integration tests").exists();
                Files.copy(jar, dir.resolve(artifact + "-" + version + ".jar"));
            }
        }

        /** A private copy of the built distribution, to install plugins into. */
        static Path copyOfImage(Path to) throws IOException, InterruptedException {
            copyTree(Image.HOME, to);
            return to;
        }

        static void copyTree(Path from, Path to) throws IOException, InterruptedException {
            Files.createDirectories(to.getParent());
            Process p = new ProcessBuilder("cp", "-a", from.toString(), to.toString()).inheritIO().start();
            assertThat(p.waitFor()).as("cp -a %s %s", from, to).isZero();
        }

        static void deleteTree(Path dir) throws IOException, InterruptedException {
            if (Files.exists(dir)) {
                Process p = new ProcessBuilder("rm", "-rf", dir.toString()).inheritIO().start();
                assertThat(p.waitFor()).isZero();
            }
        }

        private static String tail(Path log) throws IOException {
            List<String> lines = Files.exists(log) ? Files.readAllLines(log) : new ArrayList<>();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
        }
    }
}
