package dev.caxton.spi.engine;

/**
 * One import of a module.
 *
 * @param module the import's module name (e.g. {@code "caxton"})
 * @param name   the import's field name (e.g. {@code "send_message"})
 * @param kind   what is imported
 * @param type   the signature for a function import; null for other kinds
 */
public record ImportDescriptor(String module, String name, ExternKind kind, FunctionType type) {

    @Override
    public String toString() {
        return module + "." + name + " (" + kind.name().toLowerCase(java.util.Locale.ROOT)
                + (type == null ? "" : " " + type) + ")";
    }
}
