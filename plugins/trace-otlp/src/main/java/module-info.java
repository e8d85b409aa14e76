/**
 * Sends the spans of traced messages to an OpenTelemetry collector over OTLP/HTTP, in the protobuf
 * JSON encoding ({@code POST <endpoint>/v1/traces}), for {@code observability.tracing.exporter: otlp}.
 *
 * <p>It needs no OpenTelemetry SDK: the JDK's HTTP client sends, and the few hundred bytes of JSON
 * per span are written by hand. Its options live under {@code observability.tracing.otlp}.
 */
module dev.caxton.trace.otlp {
    requires dev.caxton.spi;
    requires java.net.http;

    provides dev.caxton.spi.trace.SpanExporterProvider with dev.caxton.trace.otlp.OtlpSpanExporterProvider;
}
