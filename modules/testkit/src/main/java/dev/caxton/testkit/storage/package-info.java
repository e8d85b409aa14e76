/**
 * The storage conformance suite, {@link dev.caxton.testkit.storage.StorageConformance}: every
 * method of every store, the orders and numbering the SPI promises, concurrency, large modules and,
 * for durable stores, survival across close and reopen.
 */
package dev.caxton.testkit.storage;
