/**
 * Trace export: {@link dev.caxton.testkit.trace.SpanExporterConformance}, the suite every
 * {@link dev.caxton.spi.trace.SpanExporterProvider} runs, and
 * {@link dev.caxton.testkit.trace.FakeSpanExporterProvider}, an exporter that keeps spans in memory
 * for tests of the runtime's export path.
 */
package dev.caxton.testkit.trace;
