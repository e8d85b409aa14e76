package dev.caxton.spi.engine;

/**
 * A funcref table the host creates and offers as an import.
 *
 * @param module the import module name
 * @param name   the import field name
 * @param min    the initial number of elements
 * @param max    the maximum number of elements, or -1 for none
 */
public record HostTable(String module, String name, int min, int max) {
}
