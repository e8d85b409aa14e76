package dev.caxton.spi.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The hop count in the envelope and its map form. */
class EnvelopeHopsTest {

    @Test
    @DisplayName("hops is in the map form when above 0, absent reads as 0, and copies keep it")
    void mapForm() {
        Envelope e = Envelope.builder(Performative.INFORM).receiver("b").hops(3).build();
        assertThat(EnvelopeFields.toMap(e)).containsEntry(EnvelopeFields.HOPS, 3L);
        assertThat(EnvelopeFields.fromMap(EnvelopeFields.toMap(e))).isEqualTo(e);
        assertThat(e.withReceiver("c").hops()).isEqualTo(3);
        assertThat(e.toBuilder().build()).isEqualTo(e);
        assertThat(EnvelopeFields.fromMap(Map.of("performative", "inform")).hops()).isZero();
        assertThat(EnvelopeFields.toMap(e.withHops(0))).doesNotContainKey(EnvelopeFields.HOPS);
    }

    @Test
    @DisplayName("the next hop is one more, and saturates instead of overflowing")
    void nextHop() {
        assertThat(Envelope.builder(Performative.INFORM).build().nextHop()).isEqualTo(1);
        assertThat(Envelope.builder(Performative.INFORM).hops(Integer.MAX_VALUE).build().nextHop())
                .isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    @DisplayName("a negative or non-integer hops field is refused, naming the field")
    void badHops() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("performative", "inform");
        m.put("hops", -2L);
        assertThatThrownBy(() -> EnvelopeFields.fromMap(m)).isInstanceOf(InvalidEnvelopeException.class)
                .hasMessage("field 'hops': cannot be negative, got -2");
        m.put("hops", "lots");
        assertThatThrownBy(() -> EnvelopeFields.fromMap(m)).isInstanceOf(InvalidEnvelopeException.class)
                .hasMessageContaining("'hops'").hasMessageContaining("a string");
        assertThatThrownBy(() -> Envelope.builder(Performative.INFORM).hops(-1).build())
                .isInstanceOf(IllegalArgumentException.class);
    }
}
