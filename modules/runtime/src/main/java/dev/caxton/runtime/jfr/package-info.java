/**
 * Java Flight Recorder events of the runtime ({@code dev.caxton.MessageHandled},
 * {@code dev.caxton.AgentFault}); they cost nothing measurable unless a recording enables them.
 */
package dev.caxton.runtime.jfr;
