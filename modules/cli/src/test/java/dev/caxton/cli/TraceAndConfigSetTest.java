package dev.caxton.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code caxton message trace} with recorded hops, and {@code caxton config set} against a fake API. */
class TraceAndConfigSetTest {

    FakeApi api;

    @BeforeEach
    void start() throws Exception {
        api = new FakeApi();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private static final String HOPS = """
            {"id":"m-1","tracing_enabled":true,"total_us":2500,"hops":[
             {"hop":"accepted","message_id":"m-1","trace_id":"t","span_id":"s","node":"node-1","at":"2026-01-01T00:00:00.000Z","at_us":1000,"since_previous_us":0},
             {"hop":"queued","message_id":"m-1","trace_id":"t","span_id":"s","node":"node-1","agent":"fwd","at":"2026-01-01T00:00:00.000100Z","at_us":1100,"since_previous_us":100},
             {"hop":"handled","message_id":"m-1","trace_id":"t","span_id":"s","node":"node-1","agent":"fwd","at":"2026-01-01T00:00:00.002500Z","at_us":3500,"since_previous_us":2400}]}
            """;

    @Test
    void aTracedMessageIdShowsItsHopsAndWhereTheTimeWent() {
        api.on("GET", "/api/v1/traces/m-1", 200, HOPS);
        Cli.Result r = Cli.against(api, "message", "trace", "m-1");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("trace of m-1: 3 hops in 2.500 ms")
                .contains("accepted").contains("queued").contains("handled").contains("fwd")
                .contains("longest step: 2.400 ms before handled at fwd on node-1");
    }

    @Test
    void jsonOutputCarriesTheTrace() throws Exception {
        api.on("GET", "/api/v1/traces/m-1", 200, HOPS);
        Cli.Result r = Cli.against(api, "message", "trace", "m-1", "--output", "json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Json.mapper().readTree(r.out()).path("trace").path("hops").size()).isEqualTo(3);
    }

    @Test
    void anUnknownIdIsStillTheConversationsNotFound() {
        api.on("GET", "/api/v1/traces/nope", 200, "{\"id\":\"nope\",\"tracing_enabled\":true,\"total_us\":0,\"hops\":[]}");
        api.on("GET", "/api/v1/conversations/nope", 404, "{\"error\":\"conversation 'nope' not found\"}");
        Cli.Result r = Cli.against(api, "message", "trace", "nope");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("not found");
    }

    @Test
    void configSetChangesTheLiveLogLevel() {
        api.on("PUT", "/api/v1/config/logging", 200, "{\"level\":\"debug\",\"format\":\"plain\"}");
        Cli.Result r = Cli.against(api, "config", "set", "observability.logging.level=debug");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("log level is now debug");
        assertThat(api.only().json().get("level").asText()).isEqualTo("debug");
    }

    @Test
    void configSetRefusesOtherKeysAndBadLevelsBeforeSendingAnything() {
        Cli.Result other = Cli.against(api, "config", "set", "server.port=1");
        assertThat(other.code()).isEqualTo(2);
        assertThat(other.err()).contains("'server.port' cannot be changed on a running node");
        Cli.Result bad = Cli.against(api, "config", "set", "observability.logging.level=loud");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("loud");
        Cli.Result shape = Cli.against(api, "config", "set", "debug");
        assertThat(shape.code()).isEqualTo(2);
        assertThat(api.requests()).isEmpty();
    }
}
