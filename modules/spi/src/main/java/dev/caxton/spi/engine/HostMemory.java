package dev.caxton.spi.engine;

/**
 * A memory the host creates and offers as an import.
 *
 * @param module   the import module name
 * @param name     the import field name
 * @param minPages the initial size in 64 KiB pages
 * @param maxPages the maximum size in pages, or -1 for none
 */
public record HostMemory(String module, String name, int minPages, int maxPages) {
}
