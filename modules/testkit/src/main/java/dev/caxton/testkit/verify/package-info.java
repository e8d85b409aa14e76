/**
 * Runs the conformance suites against a provider that is already loaded, without a build: this is
 * what {@code caxton plugins verify} calls, from the installation's {@code tools/verify} folder, on
 * the provider it found in a plugin folder. {@link dev.caxton.testkit.verify.ConformanceRun} picks
 * the suite of the provider's SPI, runs it through the JUnit Platform launcher and returns one
 * outcome per test. Authors do not need this package: their own build runs the suites.
 */
package dev.caxton.testkit.verify;
