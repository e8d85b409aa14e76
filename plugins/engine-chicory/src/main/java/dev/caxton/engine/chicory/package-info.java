/**
 * The Chicory engine provider and its implementation of the engine SPI.
 *
 * <p>How the SPI's guarantees map onto Chicory:
 * <ul>
 *   <li>decoding and validation happen in {@code compile}; in compiler mode the module is also
 *       translated to JVM bytecode there, once, and every instance reuses the result;</li>
 *   <li>the memory limit caps the maximum of each memory the instance defines, so Chicory itself
 *       answers a {@code memory.grow} past it with -1;</li>
 *   <li>the execution timeout is a deadline on a per-engine timer thread that interrupts the
 *       calling thread; compiled code polls the interrupt flag on calls and backward jumps, and an
 *       execution listener polls it every 1024 interpreted instructions (Chicory's interpreter
 *       alone misses loops closed by {@code br_if});</li>
 *   <li>fuel is counted by the same listener, so instances with a fuel budget always run in the
 *       interpreter, whatever the mode.</li>
 * </ul>
 */
package dev.caxton.engine.chicory;
