package dev.caxton.fipa;

import dev.caxton.fipa.acl.AclCodec;
import dev.caxton.fipa.acl.AclMessage;
import dev.caxton.fipa.acl.Aid;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class FipaMappingTest {

    @Test
    void jsonContentTravelsAsJsonText() {
        Envelope e = Envelope.builder(Performative.PROPOSE).sender("seller-b").receiver("buyer@JadePeer")
                .content(Map.of("price", 95L)).conversationId("cn-1").inReplyTo("cfp-1").replyBy(1_800_000_000_000L)
                .hops(3).build();
        AclMessage m = FipaMapping.toAcl(e, Aid.of("seller-b@caxton-1", "http://127.0.0.1:7779/acc"),
                Aid.of("buyer@JadePeer", "http://127.0.0.1:7778/acc"));
        assertThat(m.content()).isEqualTo("{\"price\":95}");
        assertThat(m.language()).isEqualTo(FipaMapping.JSON_LANGUAGE);
        assertThat(m.userParams()).containsEntry(FipaMapping.HOPS, "3");
        AclMessage back = AclCodec.parse(AclCodec.print(m));
        Envelope in = FipaMapping.toCaxton(back, "buyer");
        assertThat(in.content()).isEqualTo(Map.of("price", 95L));
        assertThat(in.sender()).isEqualTo("seller-b@caxton-1");
        assertThat(in.receiver()).isEqualTo("buyer");
        assertThat(in.conversationId()).isEqualTo("cn-1");
        assertThat(in.inReplyTo()).isEqualTo("cfp-1");
        assertThat(in.replyBy()).isEqualTo(1_800_000_000_000L);
        assertThat(in.hops()).isEqualTo(3);
    }

    @Test
    void textStaysText() {
        AclMessage m = new AclMessage("request", Aid.of("a@P"), List.of(Aid.of("echo@caxton-1")), List.of(),
                "{not json", FipaMapping.JSON_LANGUAGE, null, null, null, null, null, null, null, Map.of());
        assertThat(FipaMapping.toCaxton(m, "echo").content()).isEqualTo("{not json");
        AclMessage plain = new AclMessage("request", Aid.of("a@P"), List.of(), List.of(), "{\"a\":1}", "fipa-sl",
                null, null, null, null, null, null, null, Map.of(FipaMapping.HOPS, "x"));
        Envelope e = FipaMapping.toCaxton(plain, "echo");
        assertThat(e.content()).isEqualTo("{\"a\":1}");
        assertThat(e.hops()).isZero();
    }
}
