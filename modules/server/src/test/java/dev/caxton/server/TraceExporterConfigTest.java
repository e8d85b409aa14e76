package dev.caxton.server;

import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.runtime.plugin.Spi;
import dev.caxton.spi.ConfigException;
import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Selecting a trace exporter: optional, checked like every provider, with errors naming the key. */
class TraceExporterConfigTest {

    private static final PluginCatalog CATALOG = PluginCatalog.discover(null);

    private static CaxtonConfig parse(String yaml) {
        // The plugins on this module's test path: json, memory.
        return CaxtonConfig.parse("test", "messaging:\n  serializer: json\nstorage:\n  type: memory\n" + yaml, CATALOG,
                new Properties());
    }

    @Test
    void noExporterIsTheDefaultAndOtlpIsInstalled() {
        assertThat(parse("").providerName(Spi.TRACE)).isEqualTo(Spi.NONE);
        assertThat(CATALOG.names(Spi.TRACE)).contains("otlp");
    }

    @Test
    void theOtlpExporterAndItsSectionAreRead() {
        CaxtonConfig c = parse("""
                observability:
                  tracing:
                    exporter: otlp
                    otlp:
                      endpoint: https://collector.example:4318
                      headers: ["x-api-key=abc"]
                """);
        assertThat(c.providerName(Spi.TRACE)).isEqualTo("otlp");
        assertThat(c.providerConfig(Spi.TRACE, "otlp").string("endpoint", "")).isEqualTo("https://collector.example:4318");
        assertThat(c.integer("observability.tracing.export_batch_size")).isEqualTo(512);
        assertThat(c.integer("observability.tracing.export_queue_size")).isEqualTo(8192);
    }

    @Test
    void anUnknownExporterABadEndpointAndAnUnknownKeyAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> parse("observability:\n  tracing:\n    exporter: zipkin\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("observability.tracing.exporter")
                .hasMessageContaining("otlp");
        assertThatThrownBy(() -> parse("""
                observability:
                  tracing:
                    exporter: otlp
                    otlp:
                      endpoint: collector:4318
                """)).isInstanceOf(ConfigException.class).hasMessageContaining("observability.tracing.otlp.endpoint");
        assertThatThrownBy(() -> parse("""
                observability:
                  tracing:
                    otlp:
                      compression: gzip
                """)).isInstanceOf(ConfigException.class).hasMessageContaining("observability.tracing.otlp.compression")
                .hasMessageContaining("endpoint");
        assertThatThrownBy(() -> parse("observability:\n  tracing:\n    export_queue_size: 0\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("observability.tracing.export_queue_size");
    }
}
