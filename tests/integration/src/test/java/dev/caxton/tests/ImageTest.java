package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The foundation, checked on the built image: launcher, plugin discovery, config checks, provider switching. */
class ImageTest {

    @Test
    @DisplayName("bin/caxton --version prints the version")
    void version() {
        Image.Result r = Image.run("--version");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("caxton").contains("0.1.0-SNAPSHOT");
    }

    @Test
    @DisplayName("client commands start from the AOT cache trained at build time, picocli included")
    void clientCommandsUseTheTrainedAotCache() throws Exception {
        assertThat(Image.HOME.resolve("runtime/lib/caxton-cli.aot")).isRegularFile();
        // The JVM's own log says whether it mapped the cache and where each class came from.
        Image.Result r = Image.run(List.of("JAVA_OPTS=-Xlog:aot=info -Xlog:class+load=info"), "--version");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("Opened AOT cache").contains("caxton-cli.aot");
        List<String> picocli = r.out().lines().filter(l -> l.contains("[class,load] picocli.CommandLine ")).toList();
        assertThat(picocli).as("picocli's root class is loaded").hasSize(1);
        assertThat(picocli.getFirst()).as("loaded from the cache, not verified again").contains("shared");
        // A server keeps the JVM's defaults and does not map the client's cache.
        assertThat(Files.readString(Image.launcher()).lines().filter(l -> l.contains("server|benchmark)")))
                .singleElement().asString().doesNotContain("AOTCache");
    }

    @Test
    @DisplayName("--version builds no command model, and reading a configuration needs no class outside the AOT cache")
    void clientStartupStaysInsideTheAotCache(@TempDir Path dir) throws Exception {
        // Where each class came from is the JVM's own record; timing is left to the benchmark.
        Image.Result version = Image.run(List.of("JAVA_OPTS=-Xlog:class+load=info"), "--version");
        assertThat(version.exit()).as(version.err()).isZero();
        assertThat(version.out().lines().filter(l -> l.contains("__dynamic_proxy__")))
                .as("annotation proxies: picocli read its annotations").isEmpty();
        // The shipped configuration, pointed at a port where nothing listens: the command fails to
        // connect, after it has read the file.
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("api-token"), "t\n");
        Image.Result list = Image.run(List.of("JAVA_OPTS=-Xlog:class+load=info",
                "CAXTON_OPTS=-Dcaxton.server.port=" + Image.freePort() + " -Dcaxton.server.data_dir=" + data),
                "agent", "list", "--config", Image.HOME.resolve("conf/caxton.yaml").toString());
        assertThat(list.err()).contains("caxton:");
        List<String> yaml = list.out().lines().filter(l -> l.contains("[class,load] org.yaml.snakeyaml.")).toList();
        assertThat(yaml).as("SnakeYAML is loaded to read the file").isNotEmpty();
        assertThat(yaml).as("and comes from the cache").allMatch(l -> l.contains("shared objects file"));
    }

    @Test
    @DisplayName("the image is self-contained: its own java runtime, no dependency on the JDK that built it")
    void selfContained() throws Exception {
        Path release = Image.HOME.resolve("runtime/release");
        assertThat(release).exists();
        assertThat(Files.readString(release)).contains("JAVA_VERSION=\"25");
        assertThat(Image.HOME.resolve("runtime/bin/java")).isExecutable();
        assertThat(Files.readString(Image.launcher())).contains("runtime/bin/java").doesNotContain("JAVA_HOME");
    }

    @Test
    @DisplayName("plugins list shows every provider of every SPI with name, module and version")
    void pluginsList() {
        Image.Result r = Image.run("plugins", "list", "--output", "json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode list = r.json();
        assertThat(list.isArray()).isTrue();
        List<String> rows = new java.util.ArrayList<>();
        list.forEach(p -> rows.add(p.get("spi").asText() + ":" + p.get("name").asText() + ":" + p.get("module").asText()
                + ":" + p.get("version").asText()));
        assertThat(rows).contains(
                "engine:chicory:dev.caxton.engine.chicory:0.1.0-SNAPSHOT",
                "serializer:json:dev.caxton.serializer.json:0.1.0-SNAPSHOT",
                "serializer:msgpack:dev.caxton.serializer.msgpack:0.1.0-SNAPSHOT",
                "storage:memory:dev.caxton.storage.memory:0.1.0-SNAPSHOT",
                "storage:sqlite:dev.caxton.storage.sqlite:0.1.0-SNAPSHOT",
                "membership:fixed:dev.caxton.membership.fixed:0.1.0-SNAPSHOT",
                "membership:jgroups:dev.caxton.membership.jgroups:0.1.0-SNAPSHOT",
                "membership:swim:dev.caxton.membership.swim:0.1.0-SNAPSHOT");
        Image.Result text = Image.run("plugins", "list");
        assertThat(text.exit()).isZero();
        assertThat(text.out()).contains("sqlite").contains("msgpack").contains("chicory");
    }

    @Test
    @DisplayName("config validate accepts a good file and names the bad key of a bad one")
    void configValidate(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good.yaml");
        Files.writeString(good, """
                server:
                  port: 8181
                storage:
                  type: memory
                  sqlite:
                    busy_timeout: 2s
                agents:
                  default_limits:
                    memory: 20MB
                  overrides:
                    heavy:
                      execution_timeout: 30s
                """);
        Image.Result shipped = Image.run("config", "validate", Image.HOME.resolve("conf/caxton.yaml").toString());
        assertThat(shipped.exit()).as("the shipped conf/caxton.yaml: %s", shipped.err()).isZero();

        Image.Result ok = Image.run("config", "validate", good.toString());
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("valid");

        Path unknown = dir.resolve("unknown.yaml");
        Files.writeString(unknown, "server:\n  prot: 8080\n");
        Image.Result bad = Image.run("config", "validate", unknown.toString());
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("server.prot").contains("unknown key").contains("port");

        Path wrongType = dir.resolve("type.yaml");
        Files.writeString(wrongType, "agents:\n  default_limits:\n    memory: lots\n");
        Image.Result typed = Image.run("config", "validate", wrongType.toString());
        assertThat(typed.exit()).isNotZero();
        assertThat(typed.err()).contains("agents.default_limits.memory").contains("10MB");

        Path range = dir.resolve("range.yaml");
        Files.writeString(range, "server:\n  port: 70000\n");
        Image.Result ranged = Image.run("config", "validate", range.toString());
        assertThat(ranged.exit()).isNotZero();
        assertThat(ranged.err()).contains("server.port").contains("0 to 65535");

        Path provider = dir.resolve("provider.yaml");
        Files.writeString(provider, "storage:\n  type: postgres\n");
        Image.Result named = Image.run("config", "validate", provider.toString());
        assertThat(named.exit()).isNotZero();
        assertThat(named.err()).contains("storage.type").contains("postgres").contains("memory").contains("sqlite");

        Path providerKey = dir.resolve("provider-key.yaml");
        Files.writeString(providerKey, "storage:\n  sqlite:\n    journal: wal\n");
        Image.Result pk = Image.run("config", "validate", providerKey.toString());
        assertThat(pk.exit()).isNotZero();
        assertThat(pk.err()).contains("storage.sqlite.journal");
    }

    @Test
    @DisplayName("switching serializer and storage in the YAML switches the providers the image uses")
    void providersFollowTheConfiguration(@TempDir Path dir) throws Exception {
        Path a = Files.createDirectories(dir.resolve("a"));
        try (Image.Server s = new Image.Server(a, """
                messaging:
                  serializer: json
                storage:
                  type: memory
                """)) {
            JsonNode health = s.api("GET", "/api/v1/health", null);
            assertThat(health.at("/providers/serializer").asText()).isEqualTo("json");
            assertThat(health.at("/providers/storage").asText()).isEqualTo("memory");
            assertThat(health.at("/storage_durable").asBoolean()).isFalse();
        }
        assertThat(a.resolve("data/caxton.db")).doesNotExist();

        Path b = Files.createDirectories(dir.resolve("b"));
        try (Image.Server s = new Image.Server(b, """
                messaging:
                  serializer: msgpack
                storage:
                  type: sqlite
                """)) {
            JsonNode health = s.api("GET", "/api/v1/health", null);
            assertThat(health.at("/providers/serializer").asText()).isEqualTo("msgpack");
            assertThat(health.at("/providers/storage").asText()).isEqualTo("sqlite");
            assertThat(health.at("/storage_durable").asBoolean()).isTrue();
            // A trapping agent dead-letters its message: the stored bytes show which serializer wrote them.
            Image.Result deploy = s.cli("agent", "deploy", Image.testAgent("trap.wasm").toString(), "--name", "trapper");
            assertThat(deploy.exit()).as(deploy.err()).isZero();
            s.cli("message", "send", "--to", "trapper", "--performative", "request", "--content", "{\"n\":1}", "--wait", "5s");
            assertThat(s.api("GET", "/api/v1/dead-letters", null).at("/total").asLong()).isEqualTo(1);
        }
        Path db = b.resolve("data/caxton.db");
        assertThat(db).exists();
        byte[] stored = firstDeadLetterEnvelope(db);
        // MessagePack encodes the envelope as a map (fixmap 0x80-0x8f, or map16 0xde), never as '{'.
        assertThat(stored[0] & 0xff).satisfiesAnyOf(first -> assertThat(first).isBetween(0x81, 0x8f), first -> assertThat(first).isEqualTo(0xde));

        Path c = Files.createDirectories(dir.resolve("c"));
        try (Image.Server s = new Image.Server(c, """
                messaging:
                  serializer: json
                """)) {
            s.cli("agent", "deploy", Image.testAgent("trap.wasm").toString(), "--name", "trapper");
            s.cli("message", "send", "--to", "trapper", "--performative", "request", "--content", "{\"n\":1}", "--wait", "5s");
        }
        byte[] json = firstDeadLetterEnvelope(c.resolve("data/caxton.db"));
        assertThat((char) json[0]).isEqualTo('{');
    }

    static byte[] firstDeadLetterEnvelope(Path db) throws Exception {
        try (Connection conn = DriverManager.getConnection("jdbc:sqlite:" + db);
             Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT envelope FROM dead_letters LIMIT 1")) {
            assertThat(rs.next()).as("a dead letter in " + db).isTrue();
            return rs.getBytes(1);
        }
    }

    @Test
    @DisplayName("jlink/custom-image.sh links the chosen explicit-module plugins into the image and leaves the rest out")
    void customImage(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("lean");
        ProcessBuilder pb = new ProcessBuilder("bash", Image.ROOT.resolve("jlink/custom-image.sh").toString(),
                "--output", out.toString(), "--plugins", "engine-chicory,serializer-json,serializer-msgpack,storage-memory,membership-fixed,membership-jgroups",
                "--link", "--jdk", System.getProperty("java.home")).redirectErrorStream(true);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(output).isZero();
        assertThat(output).contains("linking engine-chicory into the image").contains("linking serializer-msgpack into the image")
                .contains("membership-jgroups stays a plugin folder");
        // JGroups is an automatic module, which jlink cannot link: its plugin stays a folder.
        assertThat(out.resolve("plugins")).isDirectoryContaining(f -> f.getFileName().toString().equals("membership-jgroups"));
        assertThat(out.resolve("plugins/serializer-msgpack")).doesNotExist();
        assertThat(out.resolve("plugins/engine-chicory")).doesNotExist();
        assertThat(out.resolve("plugins/storage-sqlite")).doesNotExist();
        Process list = new ProcessBuilder(out.resolve("bin/caxton").toString(), "plugins", "list", "--output", "json")
                .redirectErrorStream(true).start();
        JsonNode plugins = Image.JSON.readTree(list.getInputStream().readAllBytes());
        assertThat(list.waitFor()).isZero();
        List<String> found = new java.util.ArrayList<>();
        plugins.forEach(n -> found.add(n.get("name").asText() + "@" + (n.get("location").asText().equals("image") ? "image" : "folder")));
        assertThat(found).containsExactlyInAnyOrder("chicory@image", "json@image", "memory@image", "fixed@image", "msgpack@image", "jgroups@folder");
    }

    @Test
    @DisplayName("caxton benchmark run measures startup, round trips and throughput on this machine")
    void benchmark() {
        Image.Result r = Image.run("benchmark", "run", "--suite", "custom", "--startups", "3", "--round-trips", "50",
                "--messages", "500", "--agents", "2", "--in-flight", "50", "--fuel", "100000", "--output", "json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode j = r.json();
        assertThat(j.at("/agent_startup_us/n").asInt()).isEqualTo(3);
        assertThat(j.at("/round_trip_us/n").asInt()).isEqualTo(50);
        assertThat(j.at("/round_trip_us/p50").asDouble()).isPositive();
        assertThat(j.at("/round_trip_us/p99").asDouble()).isGreaterThanOrEqualTo(j.at("/round_trip_us/p50").asDouble());
        assertThat(j.at("/throughput/messages").asInt()).isEqualTo(500);
        assertThat(j.at("/throughput/warmup_messages").asInt()).isEqualTo(250);
        assertThat(j.at("/throughput/messages_per_second").asLong()).isPositive();
        assertThat(j.get("cores").asInt()).isPositive();
        assertThat(j.get("fuel").asLong()).isEqualTo(100_000);
        Image.Result negative = Image.run("benchmark", "run", "--fuel", "-1");
        assertThat(negative.exit()).isEqualTo(2);
        assertThat(negative.err()).contains("--fuel");
        Image.Result wrong = Image.run("benchmark", "run", "--messages", "5");
        assertThat(wrong.exit()).isEqualTo(2);
        assertThat(wrong.err()).contains("--suite custom");
    }
}
