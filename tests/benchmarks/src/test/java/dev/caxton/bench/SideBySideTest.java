package dev.caxton.bench;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every path {@link SideBySideBenchmarks} times really echoes the 128 bytes, so the benchmark
 * compares like with like. Correctness only: no timing is asserted.
 */
class SideBySideTest {

    private static SideBySide paths;

    @BeforeAll
    static void start() {
        paths = new SideBySide("compiler", true, true, true);
    }

    @AfterAll
    static void stop() {
        paths.close();
    }

    private static final byte[] PAYLOAD = SideBySide.PAYLOAD.getBytes(StandardCharsets.US_ASCII);

    @Test
    void theBareChicoryCallEchoesThe128Bytes() {
        assertThat(PAYLOAD).hasSize(128);
        for (int i = 0; i < 3; i++) {
            assertThat(paths.bareChicory()).isEqualTo(PAYLOAD);
        }
    }

    @Test
    void theExtismSdkRunsThePluginOnOurChicoryAndEchoesThe128Bytes() {
        for (int i = 0; i < 3; i++) {
            assertThat(paths.extismCall()).isEqualTo(PAYLOAD);
        }
    }

    @Test
    void caxtonsEchoAgentRepliesWithTheContent() throws Exception {
        Envelope reply = paths.caxtonRequestReply();
        assertThat(reply.performative()).isEqualTo(Performative.REQUEST);
        assertThat(reply.content()).isEqualTo(SideBySide.PAYLOAD);
    }

    @Test
    void theMsgpackEchoAgentRepliesWithTheContent() throws Exception {
        for (int i = 0; i < 3; i++) {
            Envelope reply = paths.caxtonMsgpackRequestReply();
            assertThat(reply.performative()).isEqualTo(Performative.REQUEST);
            assertThat(reply.content()).isEqualTo(SideBySide.PAYLOAD);
        }
        assertThat(paths.caxtonMsgpackRequestWindow().content()).isEqualTo(SideBySide.PAYLOAD);
    }

    @Test
    void theExtismPluginAsACaxtonAgentRepliesWithTheContent() throws Exception {
        Envelope reply = paths.caxtonExtismRequestReply();
        assertThat(reply.performative()).isEqualTo(Performative.INFORM);
        assertThat(reply.content()).isEqualTo(SideBySide.PAYLOAD);
    }

    @Test
    void aWindowOfRequestsAllComeBack() throws Exception {
        assertThat(paths.caxtonRequestWindow().content()).isEqualTo(SideBySide.PAYLOAD);
    }

    @Test
    void fireAndForgetReturnsOnceTheSinkHasHandledTheBatch() throws Exception {
        for (String sink : new String[] {"sink", "sink-msgpack"}) {
            boolean msgpack = sink.equals("sink-msgpack");
            long first = msgpack ? paths.caxtonMsgpackFireAndForget() : paths.caxtonFireAndForget();
            long second = msgpack ? paths.caxtonMsgpackFireAndForget() : paths.caxtonFireAndForget();
            assertThat(second - first).as(sink).isGreaterThanOrEqualTo(SideBySide.BATCH);
            assertThat(paths.node().agent(sink).orElseThrow().messagesHandled()).as(sink).isGreaterThanOrEqualTo(second);
        }
        Map<String, Long> c = paths.node().counters();
        assertThat(c.get("messages_dead_lettered")).isZero();
        assertThat(c.get("messages_refused")).isZero();
    }

    @Test
    void theRatioTableDividesByExtismAndByTheBareCall() {
        String table = SideBySideBenchmarks.table(new java.util.LinkedHashMap<>(Map.of(
                "bareChicory", new SideBySideBenchmarks.Figures(50, 100, 20e6, 60),
                "extismCall", new SideBySideBenchmarks.Figures(500, 1000, 2e6, 600),
                "caxtonMsgpackRequestReply", new SideBySideBenchmarks.Figures(750, 2_000, 1.5e6, 1_200),
                "caxtonRequestReply", new SideBySideBenchmarks.Figures(1_000, 3_000, 1e6, 1_800))));
        assertThat(table).contains("| caxtonRequestReply | 1.00 µs | 3.00 µs | 1.00 M | 1.80 µs | 2.00× | 20.00× | 0.50×"
                + " | 0.05× | 3.00× |");
        assertThat(table).contains("| caxtonMsgpackRequestReply | 750 ns | 2.00 µs | 1.50 M | 1.20 µs | 1.50× |");
        // The msgpack row follows the JSON one it is compared with.
        assertThat(table.indexOf("caxtonMsgpackRequestReply")).isGreaterThan(table.indexOf("caxtonRequestReply"));
    }
}
