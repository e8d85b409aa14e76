package dev.caxton.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.spi.ConfigException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Seeds select the swim membership unless a membership was written; {@code security.cluster.gossip_key}
 * is checked for its form and length (with the core keys, before any provider is looked up).
 */
class SwimDefaultConfigTest {

    private static ConfigException refusal(String yaml) {
        return ConfigRefusal.of(yaml);
    }

    @Test
    void seedsWithoutAnExplicitMembershipChooseSwim() {
        Map<String, Object> values = new HashMap<>(Map.of("coordination.cluster.seeds", List.of("127.0.0.1:7945")));
        CaxtonConfig.chooseMembership(values);
        assertThat(values).containsEntry("coordination.cluster.membership", "swim");
    }

    @Test
    void anExplicitMembershipWinsOverTheSeeds() {
        Map<String, Object> values = new HashMap<>(Map.of("coordination.cluster.seeds", List.of("127.0.0.1:7945"),
                "coordination.cluster.membership", "static"));
        CaxtonConfig.chooseMembership(values);
        assertThat(values).containsEntry("coordination.cluster.membership", "static");
    }

    @Test
    void withoutSeedsTheNodeStaysOnTheStaticDefault() {
        Map<String, Object> values = new HashMap<>(Map.of("coordination.cluster.seeds", List.of()));
        CaxtonConfig.chooseMembership(values);
        assertThat(values).doesNotContainKey("coordination.cluster.membership");
        assertThat(ConfigSchema.OPTIONS.get("coordination.cluster.membership").defaultValue()).isEqualTo("fixed");
    }

    @Test
    void aGossipKeyThatIsNotBase64OrNotAnAesKeyIsRefusedNamingTheKey() {
        ConfigException notBase64 = refusal("security:\n  cluster:\n    gossip_key: \"not base64!\"\n");
        assertThat(notBase64.key()).isEqualTo("security.cluster.gossip_key");
        assertThat(notBase64.getMessage()).contains("base64");
        ConfigException shortKey = refusal("security:\n  cluster:\n    gossip_key: \"AAAAAAAAAAA=\"\n");
        assertThat(shortKey.key()).isEqualTo("security.cluster.gossip_key");
        assertThat(shortKey.getMessage()).contains("8 bytes").contains("16, 24 or 32");
        ConfigException good = refusal("security:\n  cluster:\n    gossip_key: \"AAAAAAAAAAAAAAAAAAAAAA==\"\n");
        assertThat(good.key()).isNotEqualTo("security.cluster.gossip_key");
    }
}
