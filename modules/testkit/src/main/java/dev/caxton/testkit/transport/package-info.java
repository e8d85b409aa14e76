/**
 * The transport conformance suite ({@link dev.caxton.testkit.transport.TransportConformance}) and an
 * in-memory transport ({@code memory}) for fast tests of code above the transport SPI.
 */
package dev.caxton.testkit.transport;
