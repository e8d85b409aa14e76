package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

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
        Path src = Files.createDirectories(dir.resolve("src/" + folderName + "/test/ser"));
        Files.writeString(src.getParent().getParent().resolve("module-info.java"),
                "module test.ser { requires dev.caxton.spi; provides dev.caxton.spi.serializer.SerializerProvider with test.ser.P; }");
        Files.writeString(src.resolve("P.java"), """
                package test.ser;
                public final class P implements dev.caxton.spi.serializer.SerializerProvider {
                    public String name() { return "ser"; }
                    public dev.caxton.spi.serializer.Serializer create(dev.caxton.spi.ProviderContext c,
                            dev.caxton.spi.serializer.SerializerLimits l) { return null; }
                }
                """);
        Path out = Files.createDirectories(dir.resolve("out/" + folderName));
        Path spi = Path.of(dev.caxton.spi.Provider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        StringWriter err = new StringWriter();
        int rc = java.util.spi.ToolProvider.findFirst("javac").orElseThrow().run(new PrintWriter(err), new PrintWriter(err),
                "-d", out.toString(), "--module-path", spi.toString(),
                src.getParent().getParent().resolve("module-info.java").toString(), src.resolve("P.java").toString());
        assertThat(rc).as(err.toString()).isZero();
        Path folder = Files.createDirectories(dir.resolve("plugins/" + folderName));
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (range != null) {
            mf.getMainAttributes().putValue("Caxton-Spi-Range", range);
        }
        try (OutputStream os = Files.newOutputStream(folder.resolve("test-ser.jar"));
             JarOutputStream jar = new JarOutputStream(os, mf);
             Stream<Path> files = Files.walk(out)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                jar.putNextEntry(new JarEntry(out.relativize(f).toString().replace('\\', '/')));
                jar.write(Files.readAllBytes(f));
                jar.closeEntry();
            }
        }
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
        JsonNode first = Json.MAPPER.readTree(json.out()).get(0);
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
