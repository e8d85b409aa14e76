package dev.caxton.runtime.config;

import dev.caxton.spi.ConfigException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code observability.tracing.sample_rate} is a fraction: YAML reads {@code 0.1} as a number, which
 * the file may use, and anything that is not a number from 0 to 1 is refused at load, naming the key.
 */
class TracingConfigTest {

    @ParameterizedTest
    @ValueSource(strings = {"2", "-0.5", "\"often\"", "1.01", "[0.5]"})
    void aBadSampleRateIsRefusedNamingTheKey(String written) {
        ConfigException e = ConfigRefusal.of("observability:\n  tracing:\n    sample_rate: " + written + "\n");
        assertThat(e.key()).isEqualTo("observability.tracing.sample_rate");
        assertThat(e.getMessage()).contains("observability.tracing.sample_rate");
    }

    @org.junit.jupiter.api.Test
    void aBadSampleRateFromASystemPropertyIsRefusedToo() {
        Properties p = new Properties();
        p.setProperty("caxton.observability.tracing.sample_rate", "lots");
        assertThat(ConfigRefusal.of("", p).getMessage()).contains("observability.tracing.sample_rate");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "0.01", "1", "1.0", "\"0.25\""})
    void aGoodSampleRatePassesThisCheck(String written) {
        // With no providers installed, parsing then stops at the first provider lookup, not at the rate.
        ConfigException e = ConfigRefusal.of("observability:\n  tracing:\n    sample_rate: " + written + "\n");
        assertThat(e.key()).isNotEqualTo("observability.tracing.sample_rate");
    }
}
