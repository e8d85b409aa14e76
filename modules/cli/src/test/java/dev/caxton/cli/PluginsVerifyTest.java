package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caxton.testkit.plugin.PluginJars;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code caxton plugins verify} on folders a node would refuse before running any of their code
 * (the SPI range is read from the manifest first). A folder that passes is verified through the
 * built image in tests/integration, where the SPI is a module plugin layers can read.
 */
class PluginsVerifyTest {

    @TempDir
    Path dir;

    /** A serializer plugin jar, compiled for real, with the given SPI range (null: none). */
    private Path plugin(String folderName, String range) throws Exception {
        Path folder = dir.resolve("plugins/" + folderName);
        new PluginJars(dir.resolve("work")).plugin(folder, "test.ser", PluginJars.serializer("test.ser", "ser", "", ""),
                List.of(), range == null ? Map.of() : Map.of(PluginJars.SPI_RANGE, range));
        return folder;
    }

    @Test
    void aPluginBuiltForAnotherSpiFailsNamingBothVersions() throws Exception {
        Path folder = plugin("serializer-ser", "[2.0,3.0)");

        Cli.Result r = Cli.run("plugins", "verify", folder.toString());
        Cli.Result json = Cli.run("plugins", "verify", folder.toString(), "--output", "json");

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).containsPattern("(?m)^FAIL +load +serializer/ser +.*\\[2\\.0,3\\.0\\); this node has SPI " + java.util.regex.Pattern.quote(dev.caxton.spi.SpiVersion.CURRENT));
        assertThat(r.errLines()).hasSize(1).first().asString().startsWith("caxton: ").contains("refused");
        JsonNode first = Json.mapper().readTree(json.out()).get(0);
        assertThat(first.get("result").asText()).isEqualTo("FAIL");
        assertThat(first.get("detail").asText()).contains("serializer-ser", "test.ser");
    }

    @Test
    void aPluginWithoutARangeFails() throws Exception {
        Cli.Result r = Cli.run("plugins", "verify", plugin("serializer-ser", null).toString());

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("does not declare", "Caxton-Spi-Range");
    }

    @Test
    void aFolderWithoutAPluginOrNoFolderAtAllFails() throws Exception {
        Cli.Result empty = Cli.run("plugins", "verify", Files.createDirectories(dir.resolve("empty")).toString());
        Cli.Result missing = Cli.run("plugins", "verify", dir.resolve("nowhere").toString());

        assertThat(empty.code()).isEqualTo(1);
        assertThat(empty.out()).contains("no module that provides a Caxton SPI");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.errLines()).hasSize(1).first().asString().contains("not a directory");
    }
}
