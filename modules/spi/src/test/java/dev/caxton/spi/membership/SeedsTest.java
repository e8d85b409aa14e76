package dev.caxton.spi.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class SeedsTest {

    @Test
    void splitsHostsPortsAndBracketedV6() {
        assertThat(Seeds.split("127.0.0.1:7946")).isEqualTo(new Seeds.HostPort("127.0.0.1", 7946));
        assertThat(Seeds.split("[::1]:7000")).isEqualTo(new Seeds.HostPort("::1", 7000));
        assertThat(Seeds.split("caxton-seeds.default.svc:7946").host()).isEqualTo("caxton-seeds.default.svc");
    }

    @Test
    void refusesMalformedEntriesNamingThem() {
        for (String bad : List.of("host", "host:", ":7946", "host:0", "host:70000", "host:x", "::1:7946")) {
            assertThatThrownBy(() -> new Seeds(List.of("127.0.0.1:1", bad)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'" + bad + "'");
        }
    }

    @Test
    void resolvesLiteralsAndSkipsNamesThatDoNotResolve() {
        Seeds s = new Seeds(List.of("127.0.0.1:7946", "127.0.0.1:7946", "no-such-host.invalid:7946", "[::1]:7947"));
        assertThat(s.resolve()).containsExactly(new InetSocketAddress("127.0.0.1", 7946),
                new InetSocketAddress("::1", 7947));
        assertThat(Seeds.NONE.isEmpty()).isTrue();
    }
}
