/**
 * Message tracing: W3C traceparent handling and a bounded in-memory record of the hops of
 * sampled messages (see {@link dev.caxton.runtime.trace.Tracer}).
 */
package dev.caxton.runtime.trace;
