package dev.caxton.runtime.config;

import dev.caxton.spi.ConfigException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code fipa} section: peer platforms are a map of names to http(s) URLs, checked with the key named. */
class FipaConfigTest {

    @Test
    void aPeerAddressMustBeAnHttpUrl() {
        ConfigException e = ConfigRefusal.of("fipa:\n  platforms:\n    JadePeer: ftp://x/acc\n");
        assertThat(e.key()).isEqualTo("fipa.platforms.JadePeer");
        assertThat(e.getMessage()).contains("http://");
    }

    @Test
    void aPeerNameFollowsTheNameRule() {
        ConfigException e = ConfigRefusal.of("fipa:\n  platforms:\n    \"bad name\": http://127.0.0.1:7778/acc\n");
        assertThat(e.key()).isEqualTo("fipa.platforms.bad name");
    }

    @Test
    void thePlatformNameFollowsTheNameRule() {
        ConfigException e = ConfigRefusal.of("fipa:\n  platform_name: \"a@b\"\n");
        assertThat(e.key()).isEqualTo("fipa.platform_name");
    }

    @Test
    void unknownFipaKeysAreRefused() {
        ConfigException e = ConfigRefusal.of("fipa:\n  http_mtp:\n    prot: 1\n");
        assertThat(e.key()).isEqualTo("fipa.http_mtp.prot");
    }

    @Test
    void aGoodSectionPassesTheCoreChecks() {
        ConfigException e = ConfigRefusal.of("""
                fipa:
                  platform_name: caxton-1
                  http_mtp:
                    enabled: true
                    port: 7779
                    allowed_platforms: [JadePeer]
                  platforms:
                    JadePeer: http://127.0.0.1:7778/acc
                """);
        // With no providers installed, parsing stops at the first provider lookup, not in fipa.
        assertThat(e.key()).doesNotStartWith("fipa");
    }
}
