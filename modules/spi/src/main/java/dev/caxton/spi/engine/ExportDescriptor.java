package dev.caxton.spi.engine;

/**
 * One export of a module.
 *
 * @param name the export name
 * @param kind what is exported
 * @param type the signature for a function export; null for other kinds
 */
public record ExportDescriptor(String name, ExternKind kind, FunctionType type) {
}
