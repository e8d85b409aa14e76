/**
 * The membership conformance suite, {@link dev.caxton.testkit.membership.MembershipConformance}:
 * what a provider must do for a node alone in its cluster (join, members, metadata updates, leave,
 * close), with events waited for so providers may deliver them on their own threads; and
 * {@link dev.caxton.testkit.membership.MembershipSimulationConformance}: the multi-node cases (join,
 * leave, crash, refutation, metadata, rejoin, partition and heal) on a seeded
 * {@link dev.caxton.testkit.membership.SimulatedNetwork} and
 * {@link dev.caxton.testkit.membership.VirtualClock}, through the SPI's clock and datagram services.
 */
package dev.caxton.testkit.membership;
