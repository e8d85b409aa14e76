/**
 * The Caxton runtime: a node's configuration, plugin discovery, agent host and local routing.
 *
 * <p>It knows providers only through {@code dev.caxton.spi}: {@link java.util.ServiceLoader} finds
 * them on the boot layer, the class path, or in plugin folders loaded as module layers of their own
 * ({@link dev.caxton.runtime.plugin.PluginCatalog}). No plugin module is required here, and an
 * architecture test keeps it that way.
 *
 * <h2>What an embedder may use</h2>
 *
 * Four packages are exported to everyone and are the runtime's API, kept compatible the way the SPI
 * is: {@code dev.caxton.runtime} (the node, {@link dev.caxton.runtime.CaxtonNode}, and what its
 * methods return or throw), {@code dev.caxton.runtime.api} (what is deployed and what is refused),
 * {@code dev.caxton.runtime.config} (a node's configuration, which {@code CaxtonNode.start} takes)
 * and {@code dev.caxton.runtime.plugin} (the catalog of providers it takes with it).
 *
 * <p>Every other package is the node's own machinery (the agent host, the router, the cluster,
 * durability, metrics, tracing). It changes whenever the node's design does, so it is exported only
 * to the first-party modules built and released with the runtime that need it, named one by one
 * below; an embedder or a plugin that tried to compile against it would be refused by the compiler
 * instead of breaking at the next release. Tests and benchmarks run on the class path, which
 * ignores module boundaries; an architecture test reads these exports and checks that no code
 * outside the runtime (the testkit and the plugins included) uses an internal package unless it is
 * exported to that code's module.
 */
@SuppressWarnings("module") // the modules the qualified exports name are compiled after this one
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

    // The API (see above).
    exports dev.caxton.runtime;
    exports dev.caxton.runtime.api;
    exports dev.caxton.runtime.config;
    exports dev.caxton.runtime.plugin;

    // Internals, each to the first-party modules that need it; durability to nobody.
    // `caxton agent check` reads a module's imports and exports against the ABI table; the metrics
    // endpoint reads the agent scheduler's gauges.
    exports dev.caxton.runtime.agent to dev.caxton.cli, dev.caxton.server;
    // `caxton server` installs the handler that stops the process on a fatal error.
    exports dev.caxton.runtime.fatal to dev.caxton.cli;
    // The FIPA bridge is the router's external route.
    exports dev.caxton.runtime.routing to dev.caxton.fipa;
    // The metrics endpoint, traces, structured logs and JFR events are served by the server; Flight
    // Recorder itself must see the event classes it instruments. `caxton benchmark run` counts its
    // node's dead letters by category to tell a lost message from a slow one.
    exports dev.caxton.runtime.metrics to dev.caxton.server, dev.caxton.cli;
    exports dev.caxton.runtime.trace to dev.caxton.server;
    exports dev.caxton.runtime.logging to dev.caxton.server;
    exports dev.caxton.runtime.jfr to dev.caxton.server, jdk.jfr;
    // A trace gathered from the cluster's nodes is rendered by the server's traces endpoint.
    exports dev.caxton.runtime.cluster to dev.caxton.server;
    // The API's and the FIPA MTP's TLS reload their PEM files through one watcher.
    exports dev.caxton.runtime.tls to dev.caxton.server, dev.caxton.fipa;

    uses dev.caxton.spi.engine.WasmEngineProvider;
    uses dev.caxton.spi.transport.TransportProvider;
    uses dev.caxton.spi.serializer.SerializerProvider;
    uses dev.caxton.spi.membership.MembershipProvider;
    uses dev.caxton.spi.storage.StorageProvider;
    uses dev.caxton.spi.trace.SpanExporterProvider;
}
