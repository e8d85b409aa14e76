package dev.caxton.spi.trace;

import dev.caxton.spi.Provider;
import dev.caxton.spi.ProviderContext;

import java.util.Map;

/**
 * Creates a {@link SpanExporter}. Registered with {@code provides
 * dev.caxton.spi.trace.SpanExporterProvider with ...} in the plugin's {@code module-info}, or in
 * {@code META-INF/services} on the class path. Its {@link #name()} is the value of
 * {@code observability.tracing.exporter}, and its options live under
 * {@code observability.tracing.<name>}.
 *
 * @since SPI 1.2
 */
public interface SpanExporterProvider extends Provider {

    /**
     * Creates the exporter the node uses until it stops.
     *
     * @param context  the provider's section, the data directory and this node's name
     * @param resource what describes the node as the source of the spans, by OpenTelemetry resource
     *                 attribute name: {@code service.name} ({@code caxton}), {@code service.instance.id}
     *                 (the node name) and {@code service.version}
     * @return the exporter
     */
    SpanExporter create(ProviderContext context, Map<String, String> resource);
}
