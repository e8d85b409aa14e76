/**
 * Trace export: finished spans of traced messages, handed to a provider that sends them somewhere
 * (an OpenTelemetry collector, a file). Selected by {@code observability.tracing.exporter}; the
 * default {@code none} exports nothing. Added in SPI 1.2.
 *
 * <p>The runtime assembles the spans from the hops it records and calls the exporter from one
 * thread of its own, in batches, behind a bounded queue: an exporter may block (up to its own
 * timeout) without ever holding up message handling.
 */
package dev.caxton.spi.trace;
