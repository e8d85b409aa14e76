package dev.caxton.testkit.plugin;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PluginJarsTest {

    @TempDir
    Path tmp;

    @Test
    void aSerializerPluginIsARealModularJarWithItsManifest() throws Exception {
        PluginJars jars = new PluginJars(tmp.resolve("work"));
        Path folder = tmp.resolve("plugins/serializer-good");

        jars.plugin(folder, "test.serializer.good", PluginJars.serializer("test.serializer.good", "good", "", ""),
                List.of(), Map.of(PluginJars.SPI_RANGE, "[1.0,2.0)"));

        ModuleReference ref = ModuleFinder.of(folder).find("test.serializer.good").orElseThrow();
        ModuleDescriptor d = ref.descriptor();
        assertThat(d.requires()).extracting(ModuleDescriptor.Requires::name).contains("dev.caxton.spi");
        assertThat(d.provides()).singleElement().satisfies(p -> {
            assertThat(p.service()).isEqualTo("dev.caxton.spi.serializer.SerializerProvider");
            assertThat(p.providers()).containsExactly("test.serializer.good.P");
        });
        try (JarFile jar = new JarFile(folder.resolve("test.serializer.good.jar").toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue(PluginJars.SPI_RANGE)).isEqualTo("[1.0,2.0)");
        }
    }

    @Test
    void aPluginCanRequireALibraryBuiltBeforeIt() throws Exception {
        PluginJars jars = new PluginJars(tmp.resolve("work"));
        Path lib = jars.plugin(tmp.resolve("libs"), "test.lib", PluginJars.library("test.lib"), List.of(), Map.of());

        jars.plugin(tmp.resolve("plugins/serializer-uses"), "test.serializer.uses",
                PluginJars.serializer("test.serializer.uses", "uses", "requires test.lib;", ""), List.of(lib), Map.of());

        assertThat(ModuleFinder.of(tmp.resolve("plugins/serializer-uses")).find("test.serializer.uses").orElseThrow()
                .descriptor().requires()).extracting(ModuleDescriptor.Requires::name).contains("test.lib");
    }

    @Test
    void javacsRefusalNamesTheModuleAndSaysWhy() {
        PluginJars jars = new PluginJars(tmp.resolve("work"));

        assertThatThrownBy(() -> jars.plugin(tmp.resolve("plugins/serializer-orphan"), "test.serializer.orphan",
                PluginJars.serializer("test.serializer.orphan", "orphan", "requires test.absent;", ""), List.of(), Map.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("test.serializer.orphan")
                .hasMessageContaining("test.absent");
    }
}
