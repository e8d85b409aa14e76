/**
 * The membership SPI: which nodes form the cluster, and news when that changes. A provider
 * ({@code swim}, {@code jgroups}, {@code static}) is selected by
 * {@code coordination.cluster.membership}.
 */
package dev.caxton.spi.membership;
