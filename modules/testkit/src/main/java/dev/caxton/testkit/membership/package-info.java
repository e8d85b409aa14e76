/**
 * The membership conformance suite.
 */
package dev.caxton.testkit.membership;
