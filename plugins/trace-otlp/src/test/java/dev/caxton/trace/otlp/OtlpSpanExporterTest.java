package dev.caxton.trace.otlp;

import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpServer;
import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.trace.ExportedSpan;
import dev.caxton.spi.trace.SpanExporter;
import dev.caxton.spi.trace.SpanExporterProvider;
import dev.caxton.testkit.trace.SpanExporterConformance;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The OTLP exporter against a collector played by the JDK's HTTP server on loopback: the conformance
 * suite, and every body the collector receives is parsed with the real OTLP schema
 * ({@code opentelemetry-proto}) by protobuf's own JSON parser, which refuses unknown fields.
 */
class OtlpSpanExporterTest extends SpanExporterConformance {

    private static final Pattern ID = Pattern.compile("\"(traceId|spanId|parentSpanId)\":\"([0-9a-f]*)\"");

    private HttpServer collector;
    private final List<ExportTraceServiceRequest> received = new CopyOnWriteArrayList<>();
    private final List<Map<String, List<String>>> requestHeaders = new CopyOnWriteArrayList<>();
    private final Set<String> spanIds = ConcurrentHashMap.newKeySet();
    private volatile int answer = 200;
    private volatile CountDownLatch hang;

    @BeforeEach
    void startCollector() throws IOException {
        collector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        collector.createContext("/v1/traces", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            requestHeaders.add(Map.copyOf(ex.getRequestHeaders()));
            CountDownLatch h = hang;
            if (h != null) {
                try {
                    h.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            int code = answer;
            if (code == 200) {
                assertThat(ex.getRequestMethod()).isEqualTo("POST");
                assertThat(ex.getRequestHeaders().getFirst("Content-Type")).isEqualTo("application/json");
                ExportTraceServiceRequest r = parseStrictly(new String(body, StandardCharsets.UTF_8));
                received.add(r);
                r.getResourceSpansList().forEach(rs -> rs.getScopeSpansList().forEach(ss ->
                        ss.getSpansList().forEach(s -> spanIds.add(HexFormat.of().formatHex(s.getSpanId().toByteArray())))));
            }
            byte[] out = (code == 200 ? "{}" : "{\"code\":14,\"message\":\"overloaded\"}").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(code, out.length);
            ex.getResponseBody().write(out);
            ex.close();
        });
        collector.start();
    }

    @AfterEach
    void stopCollector() {
        CountDownLatch h = hang;
        if (h != null) {
            h.countDown();
        }
        collector.stop(0);
    }

    /**
     * OTLP/JSON writes ids as hex where protobuf's JSON mapping expects base64; a collector converts
     * them before parsing, and so does this test. Everything else must parse as written.
     */
    static ExportTraceServiceRequest parseStrictly(String json) {
        Matcher m = ID.matcher(json);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(b, "\"" + m.group(1) + "\":\""
                    + Base64.getEncoder().encodeToString(HexFormat.of().parseHex(m.group(2))) + "\"");
        }
        m.appendTail(b);
        ExportTraceServiceRequest.Builder r = ExportTraceServiceRequest.newBuilder();
        try {
            JsonFormat.parser().merge(b.toString(), r);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError("not a valid OTLP ExportTraceServiceRequest: " + e.getMessage() + "\n" + json, e);
        }
        return r.build();
    }

    private String endpoint() {
        return "http://127.0.0.1:" + collector.getAddress().getPort();
    }

    @Override
    protected SpanExporterProvider provider() {
        return new OtlpSpanExporterProvider();
    }

    @Override
    protected Map<String, Object> section() {
        return Map.of("endpoint", endpoint(), "headers", List.of("x-api-key=s3cret"), "timeout", "5s");
    }

    @Override
    protected Set<String> exported() {
        return spanIds;
    }

    private SpanExporter exporter(Path dir, Map<String, Object> section) {
        ProviderConfig c = ProviderConfig.of("observability.tracing.otlp", section);
        provider().check(c);
        return provider().create(new ProviderContext(c, dir, "node-1"), RESOURCE);
    }

    private static String attr(List<KeyValue> kvs, String key) {
        return kvs.stream().filter(kv -> kv.getKey().equals(key)).map(kv -> kv.getValue().getStringValue())
                .findFirst().orElse(null);
    }

    @Test
    @DisplayName("what arrives parses as OTLP and keeps ids, times, attributes, events, status and the resource")
    void mapping(@TempDir Path dir) throws IOException {
        try (SpanExporter e = exporter(dir, section())) {
            e.export(List.of(span("00f067aa0ba902b8", false), span("00f067aa0ba902b9", true)));
        }
        assertThat(received).hasSize(1);
        var rs = received.getFirst().getResourceSpans(0);
        assertThat(attr(rs.getResource().getAttributesList(), "service.name")).isEqualTo("caxton");
        assertThat(attr(rs.getResource().getAttributesList(), "service.instance.id")).isEqualTo("node-1");
        assertThat(attr(rs.getResource().getAttributesList(), "service.version")).isEqualTo("test");
        assertThat(rs.getScopeSpans(0).getScope().getName()).isEqualTo("dev.caxton.runtime");
        List<Span> spans = rs.getScopeSpans(0).getSpansList();
        assertThat(spans).hasSize(2);
        Span ok = spans.get(0);
        assertThat(HexFormat.of().formatHex(ok.getTraceId().toByteArray())).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(HexFormat.of().formatHex(ok.getSpanId().toByteArray())).isEqualTo("00f067aa0ba902b8");
        assertThat(HexFormat.of().formatHex(ok.getParentSpanId().toByteArray())).isEqualTo("00f067aa0ba902b7");
        assertThat(ok.getName()).isEqualTo("message sink");
        assertThat(ok.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_INTERNAL);
        assertThat(ok.getStartTimeUnixNano()).isEqualTo(1_780_000_000_000_000_000L);
        assertThat(ok.getEndTimeUnixNano() - ok.getStartTimeUnixNano()).isEqualTo(3_000_000L);
        assertThat(attr(ok.getAttributesList(), "caxton.agent")).isEqualTo("sink");
        assertThat(attr(ok.getAttributesList(), "caxton.performative")).isEqualTo("request");
        assertThat(attr(ok.getAttributesList(), "messaging.message.conversation_id")).isEqualTo("conv \"1\"\n\u00e9");
        assertThat(ok.getEventsList()).extracting(Span.Event::getName).containsExactly("queued", "handled");
        assertThat(ok.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_UNSET);
        Span failed = spans.get(1);
        assertThat(failed.getParentSpanId().isEmpty()).isTrue();
        assertThat(failed.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
        assertThat(failed.getStatus().getMessage()).isEqualTo("dead-lettered: no such agent");
        assertThat(attr(failed.getEvents(1).getAttributesList(), "caxton.detail")).isEqualTo("no such agent");
        assertThat(requestHeaders.getFirst().get("X-api-key")).containsExactly("s3cret");
    }

    @Test
    @DisplayName("an endpoint already ending in /v1/traces is used as it is; another path gets it appended")
    void target() {
        assertThat(OtlpSpanExporterProvider.target(ProviderConfig.of("p", Map.of("endpoint", "http://h:4318/v1/traces"))))
                .hasToString("http://h:4318/v1/traces");
        assertThat(OtlpSpanExporterProvider.target(ProviderConfig.of("p", Map.of("endpoint", "https://h/otel/"))))
                .hasToString("https://h/otel/v1/traces");
        assertThat(OtlpSpanExporterProvider.target(ProviderConfig.of("p", Map.of()))).hasToString("http://127.0.0.1:4318/v1/traces");
    }

    @Test
    @DisplayName("bad settings are refused naming the key, and a header's value is never echoed")
    void badSettings() {
        var p = provider();
        assertThatThrownBy(() -> p.check(ProviderConfig.of("observability.tracing.otlp", Map.of("endpoint", "grpc://h:4317"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("observability.tracing.otlp.endpoint")
                .hasMessageContaining("http://");
        assertThatThrownBy(() -> p.check(ProviderConfig.of("observability.tracing.otlp", Map.of("endpoint", "http://u:pw@h:4318"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("user info");
        assertThatThrownBy(() -> p.check(ProviderConfig.of("observability.tracing.otlp", Map.of("headers", List.of("novalue")))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("observability.tracing.otlp.headers[0]");
        assertThatThrownBy(() -> p.check(ProviderConfig.of("observability.tracing.otlp", Map.of("headers", List.of("ok=1", "Host=evil")))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("headers[1]").hasMessageContaining("Host");
        assertThatThrownBy(() -> p.check(ProviderConfig.of("observability.tracing.otlp",
                Map.of("headers", List.of("x-key=top\nsecret")))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("control character")
                .satisfies(t -> assertThat(t.getMessage()).doesNotContain("secret"));
    }

    @Test
    @DisplayName("a collector answering an error status makes the export fail with the status, not the headers")
    void collectorRefuses(@TempDir Path dir) {
        answer = 503;
        try (SpanExporter e = exporter(dir, section())) {
            assertThatThrownBy(() -> e.export(List.of(span("00f067aa0ba902b8", false))))
                    .isInstanceOf(IOException.class).hasMessageContaining("503").hasMessageContaining(endpoint())
                    .satisfies(t -> assertThat(t.getMessage()).doesNotContain("s3cret"));
        }
    }

    @Test
    @DisplayName("a dead collector (nothing listening) fails the export with an IOException naming the URL")
    void deadCollector(@TempDir Path dir) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (SpanExporter e = exporter(dir, Map.of("endpoint", "http://127.0.0.1:" + port, "timeout", "5s"))) {
            assertThatThrownBy(() -> e.export(List.of(span("00f067aa0ba902b8", false))))
                    .isInstanceOf(IOException.class).hasMessageContaining("127.0.0.1:" + port);
        }
    }

    @Test
    @DisplayName("a collector that never answers fails the export once the timeout has passed")
    void hungCollector(@TempDir Path dir) {
        hang = new CountDownLatch(1);
        try (SpanExporter e = exporter(dir, Map.of("endpoint", endpoint(), "timeout", "300ms"))) {
            assertThatThrownBy(() -> e.export(List.of(span("00f067aa0ba902b8", false))))
                    .isInstanceOf(IOException.class).hasMessageContaining("did not answer within 300 ms");
        }
        assertThat(received).isEmpty();
        assertThat(spanIds.stream().collect(Collectors.toSet())).isEmpty();
    }
}
