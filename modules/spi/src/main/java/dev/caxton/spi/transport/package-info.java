/**
 * The transport SPI: frames (opaque byte sequences) between nodes. A frame arrives whole and in
 * order per connection, or not at all. Providers ({@code tcp}, and {@code memory} in the testkit)
 * are selected by {@code transport.type}; their options live under {@code transport.<name>}.
 *
 * <p>How a node uses it: {@link dev.caxton.spi.transport.TransportProvider#create} while building
 * its services (no resources yet), {@link dev.caxton.spi.transport.Transport#start} with the handler
 * for inbound connections, {@link dev.caxton.spi.transport.Transport#connect} to each peer, then
 * {@link dev.caxton.spi.transport.Connection#send} on the hot path (a status, no future per frame)
 * while watching {@link dev.caxton.spi.transport.Connection#isWritable() writability}, and
 * {@link dev.caxton.spi.transport.Transport#close} last. See {@code docs/transports.md}.
 */
package dev.caxton.spi.transport;
