package dev.caxton.tests;

import dev.caxton.runtime.config.ConfigSchema;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.runtime.plugin.Spi;
import dev.caxton.spi.ConfigOption;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.assertj.core.api.Assertions.assertThat;

/** The configuration reference documents every key that exists, with its default. */
class DocsTest {

    @Test
    @DisplayName("docs/configuration.md lists every core key and every provider option with its default")
    void everyKeyIsDocumented() throws Exception {
        String doc = Files.readString(Image.ROOT.resolve("docs/configuration.md"));
        for (ConfigOption o : ConfigSchema.OPTIONS.values()) {
            assertThat(doc).as("core key %s", o.key()).contains("| `" + o.key() + "` |");
            if (o.defaultValue() != null) {
                assertThat(doc).as("default of %s", o.key()).contains("| `" + o.key() + "` | " + typeName(o) + " | `" + o.defaultValue() + "` |");
            }
        }
        for (ConfigOption o : ConfigSchema.OVERRIDE_OPTIONS.values()) {
            assertThat(doc).contains("| `agents.overrides.<agent>." + o.key() + "` |");
        }
        PluginCatalog catalog = PluginCatalog.discover(null);
        for (Spi spi : Spi.values()) {
            for (String name : catalog.names(spi)) {
                for (ConfigOption o : catalog.find(spi, name).orElseThrow().options()) {
                    String key = spi.section() + "." + name + "." + o.key();
                    assertThat(doc).as("provider option %s", key).contains("| `" + key + "` |");
                }
            }
        }
    }

    private static String typeName(ConfigOption o) {
        return switch (o.type()) {
            case ENUM -> "enum";
            default -> o.type().name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
