package dev.caxton.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.ConfigException;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Tuning profiles: their values apply where nobody wrote one, and anything written wins key by key. */
class ProfilesTest {

    private static CaxtonConfig parse(String yaml, Properties properties) {
        return CaxtonConfig.parse("test.yaml", yaml, null, properties);
    }

    @Test
    void aProfileInTheFileSetsItsValues() {
        CaxtonConfig c = parse("server:\n  profile: high-throughput\n", new Properties());
        assertThat(c.integer("messaging.batch_size")).isEqualTo(1000);
        assertThat(c.integer("messaging.queue_size")).isEqualTo(100_000);
        assertThat(c.duration("storage.batch_linger").toMillis()).isEqualTo(5);
        assertThat(c.bool("messaging.enable_compression")).isTrue();
        assertThat(c.isWritten("messaging.batch_size")).isFalse();
    }

    @Test
    void theProfilesSetTheSchedulerKeysAndAFileValueStillWins() {
        CaxtonConfig low = parse("server:\n  profile: low-latency\n", new Properties());
        assertThat(low.integer("runtime.scheduler.throughput")).isEqualTo(4);
        CaxtonConfig small = parse("server:\n  profile: memory-optimized\n", new Properties());
        assertThat(small.integer("runtime.scheduler.max_compensation")).isEqualTo(8);
        CaxtonConfig none = parse("", new Properties());
        assertThat(none.integer("runtime.scheduler.throughput")).isEqualTo(32);
        assertThat(none.integer("runtime.scheduler.max_compensation")).isEqualTo(64);
        assertThat(none.string("runtime.scheduler.affinity")).isEqualTo("none");
        CaxtonConfig written = parse("server:\n  profile: low-latency\nruntime:\n  scheduler:\n    throughput: 16\n",
                new Properties());
        assertThat(written.integer("runtime.scheduler.throughput")).isEqualTo(16);
    }

    @Test
    void withoutAProfileTheDefaultsStand() {
        CaxtonConfig c = parse("", new Properties());
        assertThat(c.string(Profiles.KEY)).isEqualTo("none");
        assertThat(c.integer("messaging.batch_size")).isEqualTo(100);
        assertThat(c.size("agents.default_limits.memory")).isEqualTo(10L << 20);
    }

    @Test
    void aValueInTheFileWinsOverTheProfile() {
        CaxtonConfig c = parse("server:\n  profile: memory-optimized\nagents:\n  default_limits:\n    memory: 32MB\n",
                new Properties());
        assertThat(c.size("agents.default_limits.memory")).isEqualTo(32L << 20);
        // The profile's other keys still apply.
        assertThat(c.integer("runtime.module_cache_size")).isEqualTo(8);
    }

    @Test
    void aPropertyWinsOverTheProfileAndMayChooseIt() {
        Properties p = new Properties();
        p.setProperty("caxton.server.profile", "low-latency");
        p.setProperty("caxton.storage.batch_size", "7");
        CaxtonConfig c = parse("server:\n  profile: high-throughput\n", p);
        assertThat(c.string(Profiles.KEY)).isEqualTo("low-latency");
        assertThat(c.integer("messaging.batch_size")).isEqualTo(1);
        assertThat(c.integer("storage.batch_size")).isEqualTo(7);
        // high-throughput's queue size is not left behind by the profile the property replaced.
        assertThat(c.integer("messaging.queue_size")).isEqualTo(10_000);
    }

    @Test
    void anUnknownProfileIsRefusedNamingTheChoices() {
        assertThatThrownBy(() -> parse("server:\n  profile: turbo\n", new Properties()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("server.profile").hasMessageContaining("high-throughput")
                .hasMessageContaining("low-latency").hasMessageContaining("memory-optimized");
        assertThatThrownBy(() -> Profiles.values("turbo")).hasMessageContaining("unknown profile 'turbo'")
                .hasMessageContaining("memory-optimized");
    }

    @Test
    void everyPresetValueIsAKeyOfTheSchemaWithinItsRange() {
        for (String name : Profiles.names()) {
            Properties p = new Properties();
            p.setProperty("caxton.server.profile", name);
            CaxtonConfig c = parse("", p);
            for (String key : Profiles.values(name).keySet()) {
                assertThat(ConfigSchema.OPTIONS).as(name + ": " + key).containsKey(key);
                assertThat(c.effectiveValues()).containsKey(key);
            }
        }
    }
}
