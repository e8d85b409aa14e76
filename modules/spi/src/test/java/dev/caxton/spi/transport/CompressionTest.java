package dev.caxton.spi.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The compression setting a node offers its transport. */
class CompressionTest {

    @Test
    void appliesFromTheThresholdOnAndOnlyWhenEnabled() {
        Compression on = new Compression(true, 1024);
        assertThat(on.applies(1023)).isFalse();
        assertThat(on.applies(1024)).isTrue();
        assertThat(new Compression(false, 0).applies(1 << 20)).isFalse();
        assertThat(Compression.OFF.applies(Integer.MAX_VALUE)).isFalse();
    }

    @Test
    void aNegativeThresholdIsRefused() {
        assertThatThrownBy(() -> new Compression(true, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
    }

    @Test
    void transportsFindItAmongTheContextsServices() {
        ProviderContext ctx = new ProviderContext(ProviderConfig.of("transport.tcp", Map.of()), Path.of("."), "n1");
        assertThat(ctx.service(Compression.class)).isEmpty();
        assertThat(ctx.withService(Compression.class, new Compression(true, 64)).service(Compression.class))
                .contains(new Compression(true, 64));
    }
}
