package dev.caxton.spi.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The member record: the added last-heard part keeps the five-part form working. */
class MemberTest {

    private static final NodeId ID = new NodeId("n2");
    private static final InetSocketAddress ADDRESS = new InetSocketAddress("127.0.0.1", 7948);

    @Test
    void theFivePartFormHasNoLastHeard() {
        Member m = new Member(ID, ADDRESS, MemberState.ALIVE, 3, Map.of("agents", "2"));
        assertThat(m.lastHeard()).isNull();
        assertThat(m).isEqualTo(new Member(ID, ADDRESS, MemberState.ALIVE, 3, Map.of("agents", "2"), null));
    }

    @Test
    void aStateChangeKeepsWhenTheMemberWasLastHeard() {
        Instant heard = Instant.parse("2026-12-06T02:00:00Z");
        Member m = new Member(ID, ADDRESS, MemberState.ALIVE, 1, Map.of(), heard);
        assertThat(m.withState(MemberState.SUSPECT)).satisfies(s -> {
            assertThat(s.state()).isEqualTo(MemberState.SUSPECT);
            assertThat(s.lastHeard()).isEqualTo(heard);
            assertThat(s.incarnation()).isEqualTo(1);
        });
    }

    @Test
    void metadataIsCopiedAndThePartsAreRequired() {
        Map<String, String> metadata = new HashMap<>(Map.of("api", "127.0.0.1:8081"));
        Member m = new Member(ID, ADDRESS, MemberState.ALIVE, 0, metadata);
        metadata.put("agents", "9");
        assertThat(m.metadata()).containsOnlyKeys("api");
        assertThatThrownBy(() -> new Member(ID, null, MemberState.ALIVE, 0, Map.of())).isInstanceOf(NullPointerException.class);
    }
}
