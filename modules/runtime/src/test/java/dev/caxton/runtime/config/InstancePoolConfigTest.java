package dev.caxton.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.spi.ConfigException;
import org.junit.jupiter.api.Test;

/**
 * {@code runtime.instance_pool.*}: written as a nested section like the others, off by default,
 * and a value out of range refused naming its key (checked with the core keys, before any provider).
 */
class InstancePoolConfigTest {

    @Test
    void thePoolIsOffAndNothingIsRecycledByDefault() {
        assertThat(ConfigSchema.OPTIONS.get("runtime.instance_pool.size").defaultValue()).isEqualTo("0");
        assertThat(ConfigSchema.OPTIONS.get("runtime.instance_pool.max_reuse").defaultValue()).isEqualTo("0");
        assertThat(ConfigSchema.OPTIONS.get("runtime.instance_pool.recycle_age").defaultValue()).isEqualTo("0s");
    }

    @Test
    void aSizeOutOfRangeIsRefusedNamingTheKey() {
        ConfigException e = ConfigRefusal.of("runtime:\n  instance_pool:\n    size: 65\n");
        assertThat(e.key()).isEqualTo("runtime.instance_pool.size");
        assertThat(e.getMessage()).contains("64");
    }

    @Test
    void theNestedSectionIsReadToTheProviderLookup() {
        // With every pool key valid, parsing gets past the core keys to the first provider lookup,
        // which fails here only because the test installs no plugins.
        ConfigException e = ConfigRefusal.of("runtime:\n  instance_pool:\n    size: 4\n    prewarm: false\n"
                + "    max_reuse: 1000\n    recycle_age: 10m\n");
        assertThat(e.key()).doesNotStartWith("runtime.instance_pool");
    }

    @Test
    void aNegativeRecycleAgeIsRefused() {
        ConfigException e = ConfigRefusal.of("runtime:\n  instance_pool:\n    recycle_age: -1s\n");
        assertThat(e.key()).isEqualTo("runtime.instance_pool.recycle_age");
    }
}
