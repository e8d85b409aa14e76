package dev.caxton.runtime.config;

import dev.caxton.spi.ConfigException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code server.node_name} is restricted like agent names, because it ends up in message ids,
 * envelopes, logs and metric labels; these checks run before any provider is looked up, so they hold
 * whatever plugins are installed.
 */
class NodeNameTest {

    private static ConfigException refusal(String yaml, Properties props) {
        return ConfigRefusal.of(yaml, props);
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"\"", "\"evil\\\"\\n{}\"", "\"has space\"", "\"-leading-dash\"", "\"é\"", "\"a/b\""})
    void aBadNodeNameIsRefusedNamingTheKeyAndTheRule(String written) {
        ConfigException e = refusal("server:\n  node_name: " + written + "\n", new Properties());
        assertThat(e.key()).isEqualTo("server.node_name");
        assertThat(e.getMessage()).contains("server.node_name").contains("letters, digits").doesNotContain("\n");
    }

    @org.junit.jupiter.api.Test
    void aBadNodeNameFromASystemPropertyIsRefusedToo() {
        Properties p = new Properties();
        p.setProperty("caxton.server.node_name", "x y");
        assertThat(refusal("", p).key()).isEqualTo("server.node_name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"node-1", "n", "eu-west.1_a", "N0"})
    void aGoodNodeNamePassesThisCheck(String name) {
        // With no providers installed, parsing then stops at the first provider lookup, not at the name.
        assertThat(ConfigRefusal.of("server:\n  node_name: " + name + "\n").key()).isNotEqualTo("server.node_name");
    }
}
