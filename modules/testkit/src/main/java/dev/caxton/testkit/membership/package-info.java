/**
 * The membership conformance suite, {@link dev.caxton.testkit.membership.MembershipConformance}:
 * what a provider must do for a node alone in its cluster (join, members, metadata updates, leave,
 * close), with events waited for so providers may deliver them on their own threads.
 */
package dev.caxton.testkit.membership;
