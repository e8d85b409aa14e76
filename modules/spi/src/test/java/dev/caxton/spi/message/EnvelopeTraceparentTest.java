package dev.caxton.spi.message;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EnvelopeTraceparentTest {

    private static final String TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void theMapFormCarriesTheTraceparentOnlyWhenSet() {
        Envelope e = Envelope.builder(Performative.INFORM).traceparent(TP).build();
        assertThat(EnvelopeFields.toMap(e)).containsEntry("traceparent", TP);
        assertThat(EnvelopeFields.fromMap(EnvelopeFields.toMap(e))).isEqualTo(e);
        assertThat(EnvelopeFields.toMap(e.withTraceparent(null))).doesNotContainKey("traceparent");
        assertThat(e.toBuilder().build().traceparent()).isEqualTo(TP);
        assertThat(e.withHops(3).traceparent()).isEqualTo(TP);
    }

    @Test
    void aMalformedTraceparentIsRefusedNamingTheField() {
        for (String bad : new String[] {"x", TP.toUpperCase(), TP + "0", TP.replace("-01", "-1"),
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"}) {
            assertThatThrownBy(() -> EnvelopeFields.fromMap(Map.of("performative", "inform", "traceparent", bad)))
                    .as(bad).isInstanceOf(InvalidEnvelopeException.class).hasMessageContaining("'traceparent'");
        }
        assertThatThrownBy(() -> EnvelopeFields.fromMap(Map.of("performative", "inform", "traceparent", 7L)))
                .isInstanceOf(InvalidEnvelopeException.class).hasMessageContaining("'traceparent'");
    }
}
