/**
 * The serializer conformance suite.
 */
package dev.caxton.testkit.serializer;
