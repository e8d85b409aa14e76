package dev.caxton.spi.membership;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The optional statistics seam: a provider that says nothing reports nothing, and snapshots stay snapshots. */
class MembershipStatisticsTest {

    /** A membership written before the seam existed: only the abstract methods. */
    private static final class Minimal implements Membership {
        @Override
        public void join(Member self, MembershipListener listener) {
        }

        @Override
        public List<Member> members() {
            return List.of();
        }

        @Override
        public void updateMetadata(Map<String, String> metadata) {
        }

        @Override
        public void leave() {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aProviderWithoutStatisticsReportsNoneAndNoConvergence() {
        Membership m = new Minimal();
        assertThat(m.statistics()).isSameAs(MembershipStatistics.NONE);
        assertThat(m.statistics().packetsDropped()).isEmpty();
        assertThat(m.statistics().events()).isEmpty();
        double[] seen = {0};
        assertThat(m.reportConvergence(s -> seen[0] = s)).isFalse();
    }

    @Test
    void theMapsAreCopied() {
        Map<String, Long> dropped = new HashMap<>(Map.of("malformed", 1L));
        MembershipStatistics s = new MembershipStatistics(dropped, Map.of("probe", 2L));
        dropped.put("flood", 9L);
        assertThat(s.packetsDropped()).containsExactly(Map.entry("malformed", 1L));
    }
}
