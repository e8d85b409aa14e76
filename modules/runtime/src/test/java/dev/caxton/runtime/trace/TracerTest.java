package dev.caxton.runtime.trace;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.message.Performative;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TracerTest {

    private static Envelope msg(String id, String conv) {
        return Envelope.builder(Performative.INFORM).receiver("a").messageId(id).conversationId(conv).build();
    }

    @Test
    void offTracerNeitherSamplesNorRecords() {
        Tracer t = new Tracer(false, 1.0, 10, "n");
        Envelope e = t.start(msg("m1", "c1"));
        assertThat(e.traceparent()).isNull();
        t.record(e.withTraceparent(Traceparent.newTrace()), Hop.ACCEPTED, null, null);
        assertThat(t.recorded()).isZero();
    }

    @Test
    void sampleRateZeroTracesNothingAndOneTracesEverything() {
        Tracer none = new Tracer(true, 0.0, 10, "n");
        Tracer all = new Tracer(true, 1.0, 10, "n");
        for (int i = 0; i < 50; i++) {
            assertThat(none.start(msg("m" + i, null)).traceparent()).isNull();
            String tp = all.start(msg("m" + i, null)).traceparent();
            assertThat(EnvelopeFields.isValidTraceparent(tp)).as(tp).isTrue();
            assertThat(Traceparent.sampled(tp)).isTrue();
        }
    }

    @Test
    void aClientsTraceparentIsKept() {
        Tracer t = new Tracer(true, 0.0, 10, "n");
        String tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assertThat(t.start(msg("m", null).withTraceparent(tp)).traceparent()).isEqualTo(tp);
    }

    @Test
    void aChildKeepsTheTraceIdAndFlagsWithANewParentId() {
        String tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        String child = Traceparent.child(tp);
        assertThat(Traceparent.traceId(child)).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(Traceparent.spanId(child)).isNotEqualTo("00f067aa0ba902b7");
        assertThat(child).endsWith("-01");
        assertThat(Traceparent.child(null)).isNull();
    }

    @Test
    void unsampledMessagesRecordNothing() {
        Tracer t = new Tracer(true, 1.0, 10, "n");
        t.record(msg("m1", "c1"), Hop.ROUTED, "a", null);
        t.record(msg("m2", "c1").withTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"),
                Hop.ROUTED, "a", null);
        assertThat(t.recorded()).isZero();
        assertThat(t.find("c1")).isEmpty();
    }

    @Test
    void findByMessageGivesTheWholeTraceInOrderAndByConversationToo() {
        Tracer t = new Tracer(true, 1.0, 100, "n");
        Envelope first = t.start(msg("m1", "c1"));
        Envelope second = msg("m2", null).withTraceparent(Traceparent.child(first.traceparent()));
        t.record(first, Hop.ACCEPTED, null, null);
        t.record(first, Hop.QUEUED, "a", null);
        t.record(second, Hop.QUEUED, "b", null);
        t.record(msg("other", "c2").withTraceparent(Traceparent.newTrace()), Hop.QUEUED, "z", null);
        assertThat(t.find("m2")).extracting(TraceHop::messageId).containsExactly("m1", "m1", "m2");
        assertThat(t.find("c1")).hasSize(3);
        assertThat(t.find("c2")).singleElement().extracting(TraceHop::agent).isEqualTo("z");
        assertThat(t.find("m1")).isSortedAccordingTo(java.util.Comparator.comparingLong(TraceHop::atMicros));
    }

    @Test
    void theRingKeepsOnlyTheNewestHops() {
        Tracer t = new Tracer(true, 1.0, 4, "n");
        Envelope e = t.start(msg("m", null));
        for (int i = 0; i < 10; i++) {
            t.record(e, Hop.ROUTED, "a" + i, null);
        }
        assertThat(t.recorded()).isEqualTo(10);
        assertThat(t.find("m")).extracting(TraceHop::agent).containsExactly("a6", "a7", "a8", "a9");
    }

    @Test
    void aBadSampleRateIsRefusedNamingTheKey() {
        for (String bad : new String[] {"often", "1.5", "-0.1", "NaN"}) {
            assertThatThrownBy(() -> Tracer.parseRate(bad)).as(bad)
                    .hasMessageContaining("observability.tracing.sample_rate");
        }
        assertThat(Tracer.parseRate("0.25")).isEqualTo(0.25);
    }
}
