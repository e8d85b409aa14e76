package dev.caxton.runtime.plugin;

import dev.caxton.spi.Provider;
import dev.caxton.spi.engine.WasmEngineProvider;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.spi.serializer.SerializerProvider;
import dev.caxton.spi.storage.StorageProvider;
import dev.caxton.spi.trace.SpanExporterProvider;
import dev.caxton.spi.transport.TransportProvider;

/**
 * The SPIs, with the configuration key that selects each one's provider and the section under
 * which a provider's own options live ({@code <section>.<provider name>}). The first five are
 * required (a node runs exactly one of each); {@link #TRACE} is optional: its selector may say
 * {@value #NONE}.
 */
public enum Spi {
    /** WebAssembly engines. */
    ENGINE("engine", WasmEngineProvider.class, "runtime.engine", "runtime"),
    /** Node-to-node transports. */
    TRANSPORT("transport", TransportProvider.class, "transport.type", "transport"),
    /** Envelope codecs. */
    SERIALIZER("serializer", SerializerProvider.class, "messaging.serializer", "messaging"),
    /** Cluster membership. */
    MEMBERSHIP("membership", MembershipProvider.class, "coordination.cluster.membership", "coordination.cluster"),
    /** Persistence. */
    STORAGE("storage", StorageProvider.class, "storage.type", "storage"),
    /** Where finished trace spans go (SPI 1.2); optional. */
    TRACE("trace", SpanExporterProvider.class, "observability.tracing.exporter", "observability.tracing");

    /** The selector value of an optional SPI that runs no provider. */
    public static final String NONE = "none";

    private final String label;
    private final Class<? extends Provider> type;
    private final String selectorKey;
    private final String section;

    Spi(String label, Class<? extends Provider> type, String selectorKey, String section) {
        this.label = label;
        this.type = type;
        this.selectorKey = selectorKey;
        this.section = section;
    }

    /** @return the short name shown to users, e.g. {@code storage} */
    public String label() {
        return label;
    }

    /** @return the provider interface ServiceLoader looks for */
    public Class<? extends Provider> type() {
        return type;
    }

    /** @return the configuration key naming the provider, e.g. {@code storage.type} */
    public String selectorKey() {
        return selectorKey;
    }

    /**
     * Whether a node may run without a provider of this SPI, selected by {@value #NONE}.
     *
     * @return true for {@link #TRACE}
     */
    public boolean optional() {
        return this == TRACE;
    }

    /**
     * Whether the configuration selects no provider of this SPI.
     *
     * @param name the configured name
     * @return true when this SPI is optional and the name is {@value #NONE}
     */
    public boolean none(String name) {
        return optional() && NONE.equals(name);
    }

    /** @return the section a provider's options live under, e.g. {@code storage} */
    public String section() {
        return section;
    }
}
