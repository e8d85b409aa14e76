package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Commands that run without a server: version, help, plugins, config validation, server start errors. */
class LocalCommandTest {

    @TempDir
    Path dir;

    /**
     * A configuration choosing providers that are on the test class path (chicory, json, static,
     * memory), with a provider section, so the file is checked the whole way through.
     */
    static String testConfig(int port, Path dataDir) {
        return """
                server:
                  port: %d
                  metrics_enabled: false
                  data_dir: "%s"
                runtime:
                  chicory:
                    mode: interpreter
                messaging:
                  serializer: json
                storage:
                  type: memory
                """.formatted(port, dataDir.toString().replace("\\", "/"));
    }

    @Test
    void versionPrintsTheBuildsVersion() {
        Cli.Result r = Cli.run("--version");

        assertThat(r.code()).isZero();
        assertThat(r.out().strip()).matches("caxton \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
        assertThat(VersionInfo.version()).isNotEqualTo("unknown");
    }

    @Test
    void helpListsTheCommands() {
        Cli.Result r = Cli.run("--help");

        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("server", "agent", "message", "dead-letters", "config", "plugins", "cluster");
        Cli.Result deploy = Cli.run("agent", "deploy", "--help");
        assertThat(deploy.code()).isZero();
        assertThat(deploy.out()).contains("--memory", "--timeout", "--fuel", "--codec", "--engine", "--server", "--token", "--output");
    }

    @Test
    void aMissingOrUnknownSubcommandIsOneLineUsageError() {
        Cli.Result none = Cli.run();
        Cli.Result group = Cli.run("agent");
        Cli.Result unknown = Cli.run("agent", "explode");

        for (Cli.Result r : new Cli.Result[] {none, group, unknown}) {
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.errLines()).hasSize(1);
            assertThat(r.errLines().getFirst()).startsWith("caxton: ");
        }
        assertThat(group.err()).contains("caxton agent --help");
        assertThat(unknown.err()).contains("explode");
    }

    @Test
    void pluginsListShowsTheProvidersFound() {
        Cli.Result r = Cli.run("plugins", "list");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines().toList()).first().asString()
                .matches("SPI +NAME +MODULE +VERSION +SPI-RANGE +SELECTED +ORIGIN +STATE");
        assertThat(r.out()).containsPattern("(?m)^engine +chicory +unnamed +\\S+ +- +\\S+ +image +ok$")
                .containsPattern("(?m)^storage +memory +unnamed +\\S+ +- +\\S+ +image +ok$");
    }

    @Test
    void pluginsListMarksTheProvidersTheConfigurationSelects() throws Exception {
        Path file = Files.writeString(dir.resolve("caxton.yaml"), testConfig(9000, dir));

        Cli.Result r = Cli.run("plugins", "list", "--config", file.toString());
        Cli.Result json = Cli.run("plugins", "list", "--config", file.toString(), "--output", "json");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("(?m)^storage +memory +.* yes +image +ok$")
                .containsPattern("(?m)^serializer +json +.* yes +image +ok$")
                .containsPattern("(?m)^membership +swim +.* no +image +ok$");
        List<String> selected = new ArrayList<>();
        Json.mapper().readTree(json.out()).forEach(p -> {
            assertThat(p.get("state").asText()).isEqualTo("ok");
            assertThat(p.get("spi_range").asText()).isEqualTo("-");
            if (p.get("selected").asBoolean()) {
                selected.add(p.get("spi").asText() + "/" + p.get("name").asText());
            }
        });
        assertThat(selected).contains("storage/memory", "serializer/json", "engine/chicory");
    }

    @Test
    void pluginsListAsJsonIsAnArrayOfObjects() throws Exception {
        Cli.Result r = Cli.run("plugins", "list", "--output", "json");

        JsonNode array = Json.mapper().readTree(r.out());
        assertThat(array.isArray()).isTrue();
        assertThat(array).allSatisfy(p -> {
            assertThat(p.get("module").asText()).isEqualTo("unnamed");
            assertThat(p.get("location").asText()).isEqualTo("image");
            assertThat(p.get("description").asText()).isNotBlank();
        });
        List<String> entries = new ArrayList<>();
        array.forEach(p -> entries.add(p.get("spi").asText() + "/" + p.get("name").asText()));
        assertThat(entries).containsExactlyInAnyOrder("engine/chicory", "serializer/json", "membership/fixed", "membership/swim", "storage/memory",
                "transport/tcp");
    }

    @Test
    void aValidConfigurationIsSaidToBeValid() throws Exception {
        Path file = Files.writeString(dir.resolve("caxton.yaml"), testConfig(9000, dir));

        Cli.Result r = Cli.run("config", "validate", file.toString());
        Cli.Result json = Cli.run("config", "validate", file.toString(), "--output", "json");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(file + ": valid\n");
        JsonNode result = Json.mapper().readTree(json.out());
        assertThat(result.get("valid").asBoolean()).isTrue();
        assertThat(result.get("values").get("server.port").asInt()).isEqualTo(9000);
        assertThat(result.get("values").get("runtime.chicory.mode").asText()).isEqualTo("interpreter");
    }

    @Test
    void anInvalidConfigurationFailsWithTheMessageNamingFileAndKey() throws Exception {
        Path file = Files.writeString(dir.resolve("caxton.yaml"), testConfig(9000, dir).replace("port: 9000", "port: 99999"));
        Path provider = Files.writeString(dir.resolve("p.yaml"), testConfig(9000, dir).replace("mode: interpreter", "speed: 3"));

        Cli.Result r = Cli.run("config", "validate", file.toString());
        Cli.Result p = Cli.run("config", "validate", provider.toString());
        Cli.Result json = Cli.run("config", "validate", file.toString(), "--output", "json");

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).singleElement().asString()
                .startsWith("caxton: " + file).contains("server.port").contains("99999");
        assertThat(p.code()).isEqualTo(1);
        assertThat(p.errLines()).singleElement().asString().contains("runtime.chicory.speed").contains("mode");
        assertThat(json.code()).isEqualTo(1);
        assertThat(json.out()).contains("\"valid\" : false");
    }

    @Test
    void validatingAMissingFileNamesIt() {
        Path missing = dir.resolve("absent.yaml");

        Cli.Result r = Cli.run("config", "validate", missing.toString());

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.errLines()).singleElement().asString().contains(missing.toString()).contains("no such file");
    }

    @Test
    void serverStartWithAnUnknownProviderIsOneLineNamingIt() throws Exception {
        Path file = Files.writeString(dir.resolve("caxton.yaml"),
                testConfig(0, dir).replace("type: memory", "type: nosuch"));

        Cli.Result r = Cli.run("server", "start", "--config", file.toString(), "--data-dir", dir.toString());

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.errLines()).singleElement().asString()
                .contains("storage.type").contains("nosuch").contains("memory");
    }
}
