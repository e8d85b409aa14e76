/**
 * The WebAssembly engine conformance suite: the guest ABI v1 behaviours every engine must show.
 */
package dev.caxton.testkit.engine;
