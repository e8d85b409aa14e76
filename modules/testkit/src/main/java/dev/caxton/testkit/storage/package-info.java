/**
 * The storage conformance suite.
 */
package dev.caxton.testkit.storage;
