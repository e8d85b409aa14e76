/**
 * The transport SPI: framed bytes between nodes. A frame is an opaque byte array that arrives
 * whole and in order per connection, or not at all. Providers ({@code tcp}, {@code quic}) are
 * selected by {@code transport.type}; TLS settings come from their configuration section.
 */
package dev.caxton.spi.transport;
