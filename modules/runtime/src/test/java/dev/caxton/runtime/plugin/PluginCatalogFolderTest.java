package dev.caxton.runtime.plugin;

import dev.caxton.spi.SpiVersion;
import dev.caxton.testkit.plugin.PluginJars;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Plugin folders as a node meets them: compatible, built for another SPI, without a declared range,
 * with a missing dependency, with a provider that throws; and native access only where listed.
 */
class PluginCatalogFolderTest {

    private static final String RANGE = PluginCatalog.SPI_RANGE_ATTRIBUTE;

    @TempDir
    Path tmp;

    private PluginFolders folders;
    private PluginJars jars;
    private Path plugins;

    @BeforeEach
    void setUp() throws Exception {
        folders = new PluginFolders();
        jars = new PluginJars(tmp.resolve("work"));
        plugins = tmp.resolve("plugins");
    }

    private void good() throws Throwable {
        jars.plugin(plugins.resolve("serializer-good"), "test.serializer.good",
                PluginJars.serializer("test.serializer.good", "good", "", ""), List.of(), Map.of(RANGE, "[1.0,2.0)"));
    }

    @Test
    void aPluginBuiltForThisSpiIsUsable() throws Throwable {
        good();
        PluginFolders.Catalog catalog = folders.discover(plugins);
        Map<String, Object> p = catalog.plugin("good");
        assertThat(p.get("refusal")).isNull();
        assertThat(p.get("spiRange")).isEqualTo("[1.0,2.0)");
        assertThat(p.get("module")).isEqualTo("test.serializer.good");
        assertThat(p.get("location")).isEqualTo(plugins.resolve("serializer-good").toString());
        assertThat(catalog.selectSerializer("good")).isNotNull();
    }

    @Test
    void aPluginBuiltForAnotherSpiIsRefusedNamingBothVersions() throws Throwable {
        good();
        jars.plugin(plugins.resolve("serializer-future"), "test.serializer.future",
                PluginJars.serializer("test.serializer.future", "future", "", ""),
                List.of(), Map.of(RANGE, "[2.0,3.0)"));
        PluginFolders.Catalog catalog = folders.discover(plugins);

        Map<String, Object> p = catalog.plugin("future");
        assertThat((String) p.get("refusal"))
                .contains("serializer-future", "test.serializer.future", "[2.0,3.0)", "SPI " + SpiVersion.CURRENT);
        // Not selected: the rest of the catalog works.
        assertThat(catalog.selectSerializer("good")).isNotNull();
        // Selected: the configuration's key, the folder and the cause.
        assertThatThrownBy(() -> catalog.selectSerializer("future"))
                .hasMessageContaining("messaging.serializer")
                .hasMessageContaining("serializer-future")
                .hasMessageContaining("[2.0,3.0)")
                .hasMessageContaining("this node has SPI " + SpiVersion.CURRENT);
    }

    @Test
    void aRangeBelowThisSpiIsRefusedToo() throws Throwable {
        jars.plugin(plugins.resolve("serializer-old"), "test.serializer.old",
                PluginJars.serializer("test.serializer.old", "old", "", ""), List.of(), Map.of(RANGE, "[0.1,1.0)"));
        assertThat((String) folders.discover(plugins).plugin("old").get("refusal")).contains("[0.1,1.0)");
    }

    @Test
    void aPluginWithoutADeclaredRangeIsRefused() throws Throwable {
        jars.plugin(plugins.resolve("serializer-plain"), "test.serializer.plain",
                PluginJars.serializer("test.serializer.plain", "plain", "", ""), List.of(), Map.of());
        PluginFolders.Catalog catalog = folders.discover(plugins);
        assertThat((String) catalog.plugin("plain").get("refusal"))
                .contains("serializer-plain", "does not declare", RANGE);
        assertThatThrownBy(() -> catalog.selectSerializer("plain")).hasMessageContaining("Caxton-Spi-Range");
    }

    @Test
    void anUnreadableRangeIsRefusedSayingHowToWriteIt() throws Throwable {
        jars.plugin(plugins.resolve("serializer-typo"), "test.serializer.typo",
                PluginJars.serializer("test.serializer.typo", "typo", "", ""), List.of(), Map.of(RANGE, "1.0-2.0"));
        assertThat((String) folders.discover(plugins).plugin("typo").get("refusal"))
                .contains("invalid", "1.0-2.0", "[1.0,2.0)");
    }

    @Test
    void aFolderMissingADependencyIsRefusedNamingTheModule() throws Throwable {
        good();
        Path lib = jars.plugin(tmp.resolve("elsewhere"), "test.absent.lib",
                PluginJars.library("test.absent.lib"), List.of(), Map.of());
        jars.plugin(plugins.resolve("serializer-orphan"), "test.serializer.orphan",
                PluginJars.serializer("test.serializer.orphan", "orphan", "requires test.absent.lib;", ""),
                List.of(lib), Map.of(RANGE, "[1.0,2.0)"));
        PluginFolders.Catalog catalog = folders.discover(plugins);

        assertThat((String) catalog.plugin("orphan").get("refusal"))
                .contains("serializer-orphan", "cannot be loaded", "test.absent.lib");
        assertThat(catalog.selectSerializer("good")).isNotNull();
        assertThatThrownBy(() -> catalog.selectSerializer("orphan"))
                .hasMessageContaining("serializer-orphan").hasMessageContaining("test.absent.lib");
    }

    @Test
    void aProviderWhoseConstructorThrowsIsRefusedWithTheCause() throws Throwable {
        good();
        jars.plugin(plugins.resolve("serializer-broken"), "test.serializer.broken",
                PluginJars.serializer("test.serializer.broken", "broken", "",
                        "if (true) throw new IllegalStateException(\"no licence key\");"),
                List.of(), Map.of(RANGE, "[1.0,2.0)"));
        PluginFolders.Catalog catalog = folders.discover(plugins);

        assertThat((String) catalog.plugin("broken").get("refusal"))
                .contains("serializer-broken", "cannot be created", "no licence key");
        assertThat(catalog.selectSerializer("good")).isNotNull();
        assertThatThrownBy(() -> catalog.selectSerializer("broken"))
                .hasMessageContaining("serializer-broken").hasMessageContaining("no licence key");
    }

    @Test
    void aMisspelledProviderNameListsTheRefusedFoldersToo() throws Throwable {
        jars.plugin(plugins.resolve("serializer-future"), "test.serializer.future",
                PluginJars.serializer("test.serializer.future", "future", "", ""),
                List.of(), Map.of(RANGE, "[2.0,3.0)"));
        assertThatThrownBy(() -> folders.discover(plugins).selectSerializer("futur"))
                .hasMessageContaining("no serializer provider is named 'futur'")
                .hasMessageContaining("serializer-future");
    }

    @Test
    void nativeAccessIsGrantedOnlyToTheListedModules() throws Throwable {
        Path folder = plugins.resolve("serializer-natives");
        Path a = jars.plugin(folder, "test.natives.a", PluginJars.library("test.natives.a"), List.of(), Map.of());
        Path b = jars.plugin(folder, "test.natives.b", PluginJars.library("test.natives.b"), List.of(), Map.of());
        jars.plugin(folder, "test.serializer.natives",
                PluginJars.serializer("test.serializer.natives", "natives",
                        "requires test.natives.a; requires test.natives.b;", ""),
                List.of(a, b), Map.of(RANGE, "[1.0,2.0)",
                        PluginCatalog.NATIVE_ACCESS_ATTRIBUTE, "test.natives.a, test.serializer.natives, not.here"));
        PluginFolders.Catalog catalog = folders.discover(plugins);

        assertThat(catalog.plugin("natives").get("nativeAccess")).isEqualTo(List.of("test.natives.a", "test.serializer.natives"));
        Module provider = catalog.selectSerializer("natives").getClass().getModule();
        ModuleLayer layer = provider.getLayer();
        assertThat(provider.isNativeAccessEnabled()).isTrue();
        assertThat(layer.findModule("test.natives.a").orElseThrow().isNativeAccessEnabled()).isTrue();
        assertThat(layer.findModule("test.natives.b").orElseThrow().isNativeAccessEnabled()).isFalse();
    }

    @Test
    void withoutTheAttributeNoModuleGetsNativeAccess() throws Throwable {
        good();
        PluginFolders.Catalog catalog = folders.discover(plugins);
        assertThat(catalog.plugin("good").get("nativeAccess")).isEqualTo(List.of());
        assertThat(catalog.selectSerializer("good").getClass().getModule().isNativeAccessEnabled()).isFalse();
    }
}
