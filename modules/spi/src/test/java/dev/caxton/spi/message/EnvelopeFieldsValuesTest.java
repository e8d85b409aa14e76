package dev.caxton.spi.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Codecs that read an envelope into an array of field values get the same rules as the map form. */
class EnvelopeFieldsValuesTest {

    @Test
    void everyFieldHasItsIndexInAll() {
        for (int i = 0; i < EnvelopeFields.ALL.size(); i++) {
            assertThat(EnvelopeFields.indexOf(EnvelopeFields.ALL.get(i))).isEqualTo(i);
        }
        assertThat(EnvelopeFields.indexOf("colour")).isEqualTo(-1);
        assertThat(EnvelopeFields.indexOf("conversationId")).isEqualTo(-1);
    }

    @Test
    void valuesGiveTheSameEnvelopeAsTheMap() {
        Envelope e = Envelope.builder(Performative.REQUEST).sender("a").receiver("b").content(Map.of("n", 1L))
                .replyWith("r").replyBy(5L).priority(Priority.HIGH).messageId("m").hops(3).build();
        Map<String, Object> map = EnvelopeFields.toMap(e);
        Object[] values = new Object[EnvelopeFields.ALL.size()];
        map.forEach((k, v) -> values[EnvelopeFields.indexOf(k)] = v);
        assertThat(EnvelopeFields.fromValues(values, null)).isEqualTo(e).isEqualTo(EnvelopeFields.fromMap(map));
    }

    @Test
    void aMissingPerformativeTakesTheOneGivenOrIsRefused() {
        Object[] values = new Object[EnvelopeFields.ALL.size()];
        values[EnvelopeFields.indexOf(EnvelopeFields.CONTENT)] = "x";
        assertThat(EnvelopeFields.fromValues(values, Performative.INFORM).performative()).isEqualTo(Performative.INFORM);
        assertThatThrownBy(() -> EnvelopeFields.fromValues(values, null)).isInstanceOf(InvalidEnvelopeException.class)
                .hasMessageContaining("performative");
        values[EnvelopeFields.indexOf(EnvelopeFields.SENDER)] = 5L;
        assertThatThrownBy(() -> EnvelopeFields.fromValues(values, Performative.INFORM))
                .isInstanceOf(InvalidEnvelopeException.class).hasMessageContaining("sender");
        assertThatThrownBy(() -> EnvelopeFields.fromValues(new Object[3], null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anUnknownKeyIsNamed() {
        assertThat(EnvelopeFields.unknownField("colour").getMessage()).contains("colour").contains("unknown envelope field");
        assertThatThrownBy(() -> EnvelopeFields.fromMap(Map.of("performative", "inform", "colour", "red")))
                .isInstanceOf(InvalidEnvelopeException.class).hasMessageContaining("colour");
    }
}
