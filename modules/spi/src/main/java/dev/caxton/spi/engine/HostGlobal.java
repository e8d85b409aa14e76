package dev.caxton.spi.engine;

/**
 * A global the host offers as an import (the WebAssembly spec tests import some from
 * {@code spectest}).
 *
 * @param module  the import module name
 * @param name    the import field name
 * @param type    the value type
 * @param value   the initial value, encoded as described in the package documentation
 * @param mutable whether the global is mutable
 */
public record HostGlobal(String module, String name, ValueType type, long value, boolean mutable) {
}
