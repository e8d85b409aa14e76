package dev.caxton.spi.engine;

/** WebAssembly value types. */
public enum ValueType {
    /** 32-bit integer. */
    I32,
    /** 64-bit integer. */
    I64,
    /** 32-bit float (as raw bits). */
    F32,
    /** 64-bit float (as raw bits). */
    F64,
    /** 128-bit vector. */
    V128,
    /** Function reference. */
    FUNCREF,
    /** External reference. */
    EXTERNREF
}
