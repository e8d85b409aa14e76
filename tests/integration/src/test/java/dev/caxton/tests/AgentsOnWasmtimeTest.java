package dev.caxton.tests;

/** The agents' end-to-end behaviour with {@code runtime.engine: wasmtime}. */
class AgentsOnWasmtimeTest extends AgentsEndToEnd {

    @Override
    String engine() {
        return "wasmtime";
    }
}
