package dev.caxton.runtime.config;

import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.spi.ConfigException;
import java.util.Properties;

/**
 * Parses a configuration with no providers installed and returns the refusal. The core checks run
 * before any provider is looked up, so with no plugins parsing always ends in a refusal: either the one
 * a test expects, or the first provider lookup after the core checks passed.
 */
final class ConfigRefusal {

    private static final PluginCatalog NONE = PluginCatalog.discover(null);

    private ConfigRefusal() {
    }

    static ConfigException of(String yaml) {
        return of(yaml, new Properties());
    }

    static ConfigException of(String yaml, Properties props) {
        try {
            CaxtonConfig.parse("test.yaml", yaml, NONE, props);
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("accepted: " + yaml);
    }
}
