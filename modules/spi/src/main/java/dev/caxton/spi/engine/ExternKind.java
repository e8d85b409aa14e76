package dev.caxton.spi.engine;

/** The kinds of things a module imports or exports. */
public enum ExternKind {
    /** A function. */
    FUNCTION,
    /** A linear memory. */
    MEMORY,
    /** A table. */
    TABLE,
    /** A global. */
    GLOBAL,
    /** An exception tag. */
    TAG
}
