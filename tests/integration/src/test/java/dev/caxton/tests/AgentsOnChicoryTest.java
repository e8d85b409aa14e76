package dev.caxton.tests;

/** The agents' end-to-end behaviour with {@code runtime.engine: chicory}. */
class AgentsOnChicoryTest extends AgentsEndToEnd {

    @Override
    String engine() {
        return "chicory";
    }
}
