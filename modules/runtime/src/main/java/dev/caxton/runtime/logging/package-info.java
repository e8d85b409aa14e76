/** Structured log fields the node's log formatter writes as fields of each line. */
package dev.caxton.runtime.logging;
