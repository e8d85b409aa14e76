/**
 * The Caxton runtime: a node's configuration, plugin discovery, agent host and local routing.
 *
 * <p>It knows providers only through {@code dev.caxton.spi}: {@link java.util.ServiceLoader} finds
 * them on the boot layer, the class path, or in plugin folders loaded as module layers of their own
 * ({@link dev.caxton.runtime.plugin.PluginCatalog}). No plugin module is required here, and an
 * architecture test keeps it that way.
 */
module dev.caxton.runtime {
    requires transitive dev.caxton.spi;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;
    // JVM metrics (memory pools, GC, threads, process CPU) for the metrics endpoint.
    requires java.management;
    requires jdk.management;
    // Flight Recorder events for message handling and faults (dev.caxton.runtime.jfr).
    requires jdk.jfr;
    requires java.net.http;

    exports dev.caxton.runtime;
    exports dev.caxton.runtime.agent;
    exports dev.caxton.runtime.cluster;
    exports dev.caxton.runtime.config;
    exports dev.caxton.runtime.durability;
    exports dev.caxton.runtime.fatal;
    exports dev.caxton.runtime.metrics;
    exports dev.caxton.runtime.jfr;
    exports dev.caxton.runtime.plugin;
    exports dev.caxton.runtime.routing;
    exports dev.caxton.runtime.trace;
    exports dev.caxton.runtime.logging;

    uses dev.caxton.spi.engine.WasmEngineProvider;
    uses dev.caxton.spi.transport.TransportProvider;
    uses dev.caxton.spi.serializer.SerializerProvider;
    uses dev.caxton.spi.membership.MembershipProvider;
    uses dev.caxton.spi.storage.StorageProvider;
}
