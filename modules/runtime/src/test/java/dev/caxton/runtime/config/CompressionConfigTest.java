package dev.caxton.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ConfigOption;
import org.junit.jupiter.api.Test;

/** The two compression keys the transports and the remote benchmark rely on, by name. */
class CompressionConfigTest {

    private static ConfigOption option(String key) {
        ConfigOption o = ConfigSchema.OPTIONS.get(key);
        assertThat(o).as(key + " in the schema").isNotNull();
        return o;
    }

    @Test
    void compressionIsOffByDefaultWithAOneKilobyteThreshold() {
        assertThat(option("messaging.enable_compression").defaultValue()).isEqualTo("false");
        assertThat(option("messaging.compression_threshold").defaultValue()).isEqualTo("1KB");
    }

    @Test
    void aThresholdOutOfRangeIsRefusedNamingTheKey() {
        ConfigOption t = option("messaging.compression_threshold");
        try {
            t.check("messaging.compression_threshold", "2GB");
        } catch (ConfigException e) {
            assertThat(e.key()).isEqualTo("messaging.compression_threshold");
            return;
        }
        throw new AssertionError("2GB accepted");
    }
}
