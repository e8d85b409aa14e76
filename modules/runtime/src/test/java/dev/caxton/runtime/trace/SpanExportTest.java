package dev.caxton.runtime.trace;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.trace.ExportedSpan;
import dev.caxton.spi.trace.SpanEvent;
import dev.caxton.testkit.trace.FakeSpanExporterProvider;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** Span assembly from hops, and the export path's promise never to hold up the recording thread. */
class SpanExportTest {

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

    private static TraceHop hop(String span, Hop h, String node, String agent, String detail, long at) {
        return new TraceHop(TRACE, span, "m-" + span, "c1", h, node, agent, detail, at, "request");
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("gave up waiting: " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void aMessageHandledHereIsOneSpanWithItsHopsAsEventsAndTheTraceparentsSpanId() {
        SpanAssembler a = new SpanAssembler(100, 30_000_000);
        List<ExportedSpan> out = new ArrayList<>();
        a.add(hop("00f067aa0ba902b7", Hop.ACCEPTED, "n1", null, "from an API client", 1000), out);
        a.add(hop("00f067aa0ba902b7", Hop.ROUTED, "n1", "sink", "local", 1010), out);
        a.add(hop("00f067aa0ba902b7", Hop.QUEUED, "n1", "sink", null, 1020), out);
        a.add(hop("00f067aa0ba902b7", Hop.DELIVERED, "n1", "sink", null, 1500), out);
        assertThat(out).isEmpty();
        a.add(hop("00f067aa0ba902b7", Hop.HANDLED, "n1", "sink", null, 4000), out);
        assertThat(out).hasSize(1);
        ExportedSpan s = out.getFirst();
        assertThat(s.traceId()).isEqualTo(TRACE);
        assertThat(s.spanId()).isEqualTo("00f067aa0ba902b7");
        assertThat(s.parentSpanId()).isNull();
        assertThat(s.name()).isEqualTo("message sink");
        assertThat(s.startNanos()).isEqualTo(1_000_000);
        assertThat(s.endNanos()).isEqualTo(4_000_000);
        assertThat(s.events()).extracting(SpanEvent::name)
                .containsExactly("accepted", "routed", "queued", "delivered", "handled");
        assertThat(s.events().get(1).attributes()).containsEntry("caxton.detail", "local").containsEntry("caxton.agent", "sink");
        assertThat(s.attributes()).containsEntry("caxton.agent", "sink").containsEntry("caxton.node", "n1")
                .containsEntry("caxton.performative", "request").containsEntry("messaging.message.conversation_id", "c1")
                .containsEntry("messaging.message.id", "m-00f067aa0ba902b7");
        assertThat(s.error()).isFalse();
        assertThat(a.openSpans()).isZero();
    }

    @Test
    void aRemoteMessageIsOneSpanPerNodeTheReceiversChildOfTheSenders() {
        SpanAssembler sender = new SpanAssembler(100, 30_000_000);
        SpanAssembler receiver = new SpanAssembler(100, 30_000_000);
        List<ExportedSpan> out = new ArrayList<>();
        sender.add(hop("00f067aa0ba902b7", Hop.ACCEPTED, "n1", null, "from an API client", 1000), out);
        sender.add(hop("00f067aa0ba902b7", Hop.ROUTED, "n1", "far", "to node n2", 1100), out);
        receiver.add(hop("00f067aa0ba902b7", Hop.ROUTED, "n2", "far", "arrived from another node", 1300), out);
        receiver.add(hop("00f067aa0ba902b7", Hop.QUEUED, "n2", "far", null, 1310), out);
        receiver.add(hop("00f067aa0ba902b7", Hop.DELIVERED, "n2", "far", null, 1320), out);
        receiver.add(hop("00f067aa0ba902b7", Hop.HANDLED, "n2", "far", null, 1400), out);
        assertThat(out).hasSize(2);
        assertThat(out.get(0).spanId()).isEqualTo("00f067aa0ba902b7");
        assertThat(out.get(1).parentSpanId()).isEqualTo("00f067aa0ba902b7");
        assertThat(out.get(1).spanId()).isNotEqualTo("00f067aa0ba902b7");
        assertThat(out.get(1).attributes()).containsEntry("caxton.node", "n2");
    }

    @Test
    void aDeadLetterIsAnErrorAndALateHopAfterTheEndIsAChildSpanNotASecondSpanWithTheSameId() {
        SpanAssembler a = new SpanAssembler(100, 30_000_000);
        List<ExportedSpan> out = new ArrayList<>();
        a.add(hop("00f067aa0ba902b7", Hop.ROUTED, "n1", "far", "to node n2", 1000), out);
        a.add(hop("00f067aa0ba902b7", Hop.DEAD_LETTERED, "n1", "far", "node n2 unreachable", 2000), out);
        assertThat(out).hasSize(2);
        assertThat(out.get(1).parentSpanId()).isEqualTo(out.get(0).spanId());
        assertThat(out.get(1).spanId()).isNotEqualTo(out.get(0).spanId());
        assertThat(out.get(1).error()).isTrue();
        assertThat(out.get(1).statusMessage()).isEqualTo("dead-lettered: node n2 unreachable");
        assertThat(out.get(1).name()).isEqualTo("dead-lettered far");
    }

    @Test
    void spansWithoutAnEndAreSentAfterTheIdleTimeAndTheOpenCountIsBounded() {
        SpanAssembler a = new SpanAssembler(2, 1000);
        List<ExportedSpan> out = new ArrayList<>();
        a.add(hop("0000000000000001", Hop.QUEUED, "n1", "x", null, 1000), out);
        a.add(hop("0000000000000002", Hop.QUEUED, "n1", "x", null, 1100), out);
        a.expire(1500, out);
        assertThat(out).isEmpty();
        a.add(hop("0000000000000003", Hop.QUEUED, "n1", "x", null, 1200), out);
        assertThat(out).extracting(ExportedSpan::spanId).containsExactly("0000000000000001");
        a.expire(2150, out);
        assertThat(out).extracting(ExportedSpan::spanId).containsExactly("0000000000000001", "0000000000000002");
        a.endAll(out);
        assertThat(out).hasSize(3);
    }

    @Test
    void aTracerFeedsTheExporterThroughTheExport(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        FakeSpanExporterProvider fake = new FakeSpanExporterProvider();
        Tracer t = new Tracer(true, 1.0, 100, "n1");
        try (SpanExport export = new SpanExport(fake.create(new ProviderContext(ProviderConfig.empty(), dir, "n1"), Map.of()),
                "fake", 100, 10)) {
            t.exportTo(export::offer);
            Envelope e = t.start(Envelope.builder(Performative.REQUEST).receiver("sink").messageId("m1").build());
            t.record(e, Hop.ACCEPTED, null, "from an API client");
            t.record(e, Hop.HANDLED, "sink", null);
            await(() -> export.exported() == 1, "the span is exported");
            assertThat(fake.spans().getFirst().spanId()).isEqualTo(Traceparent.spanId(e.traceparent()));
            assertThat(fake.spans().getFirst().attributes()).containsEntry("caxton.performative", "request");
        }
    }

    @Test
    void aHungExporterNeverBlocksTheRecordingThreadItsOverflowIsCountedAndAFailedBatchToo(
            @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        FakeSpanExporterProvider fake = new FakeSpanExporterProvider();
        fake.blocking();
        Tracer t = new Tracer(true, 1.0, 1000, "n1");
        SpanExport export = new SpanExport(fake.create(new ProviderContext(ProviderConfig.empty(), dir, "n1"), Map.of()),
                "fake", 8, 1, Duration.ofMillis(100));
        try {
            t.exportTo(export::offer);
            // Every offer returns although the exporter hangs: this loop finishing is the proof.
            long start = System.nanoTime();
            for (int i = 0; i < 500; i++) {
                Envelope e = t.start(Envelope.builder(Performative.INFORM).receiver("sink").messageId("m" + i).build());
                t.record(e, Hop.HANDLED, "sink", null);
            }
            System.out.printf("500 hops recorded beside a hung exporter in %.3f ms%n", (System.nanoTime() - start) / 1e6);
            assertThat(export.dropped(SpanExport.DropReason.QUEUE_FULL)).isGreaterThan(0);
            fake.failing(true);
            fake.release();
            await(() -> export.dropped(SpanExport.DropReason.EXPORT_FAILED) > 0, "a failed batch is counted");
            // Every hop is accounted for: exported, dropped at the queue, or dropped with a failed batch.
            await(() -> export.dropped(SpanExport.DropReason.QUEUE_FULL) + export.dropped(SpanExport.DropReason.EXPORT_FAILED)
                    + fake.spans().size() == 500, "all 500 hops are accounted for");
        } finally {
            export.close();
        }
    }
}
