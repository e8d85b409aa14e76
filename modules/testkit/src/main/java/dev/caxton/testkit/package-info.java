/**
 * Helpers shared by the conformance suites and by tests of other parts.
 */
package dev.caxton.testkit;
