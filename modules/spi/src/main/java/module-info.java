/**
 * The Caxton service provider interfaces: what a plugin implements and what the runtime calls.
 *
 * <p>There is one package per SPI, each holding the provider type that {@link java.util.ServiceLoader}
 * finds and the values that provider speaks:
 * <ul>
 *   <li>{@link dev.caxton.spi.engine} &mdash; WebAssembly engines: compile, instantiate with host
 *       functions and limits, call exports;</li>
 *   <li>{@link dev.caxton.spi.transport} &mdash; framed bytes between nodes;</li>
 *   <li>{@link dev.caxton.spi.serializer} &mdash; envelopes and values to bytes and back;</li>
 *   <li>{@link dev.caxton.spi.membership} &mdash; which nodes form the cluster;</li>
 *   <li>{@link dev.caxton.spi.storage} &mdash; what must survive a restart;</li>
 *   <li>{@link dev.caxton.spi.trace} &mdash; where finished trace spans are sent (SPI 1.2).</li>
 * </ul>
 * The message model every SPI shares (the FIPA-ACL {@link dev.caxton.spi.message.Envelope}) lives in
 * {@link dev.caxton.spi.message}; {@link dev.caxton.spi} itself holds what all providers have in
 * common: a {@linkplain dev.caxton.spi.Provider name}, a {@linkplain dev.caxton.spi.ProviderContext
 * context} and their {@linkplain dev.caxton.spi.ProviderConfig configuration section}.
 *
 * <p>This module depends on {@code java.base} only, so that a plugin drags nothing of the runtime
 * into its own dependency graph. The {@code uses} clauses let the runtime's service loading work from
 * any layer that reads this module.
 */
module dev.caxton.spi {
    exports dev.caxton.spi;
    exports dev.caxton.spi.message;
    exports dev.caxton.spi.engine;
    exports dev.caxton.spi.transport;
    exports dev.caxton.spi.serializer;
    exports dev.caxton.spi.membership;
    exports dev.caxton.spi.storage;
    exports dev.caxton.spi.trace;

    uses dev.caxton.spi.engine.WasmEngineProvider;
    uses dev.caxton.spi.transport.TransportProvider;
    uses dev.caxton.spi.serializer.SerializerProvider;
    uses dev.caxton.spi.membership.MembershipProvider;
    uses dev.caxton.spi.storage.StorageProvider;
    uses dev.caxton.spi.trace.SpanExporterProvider;
}
