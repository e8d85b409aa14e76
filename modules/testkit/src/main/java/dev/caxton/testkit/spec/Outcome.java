package dev.caxton.testkit.spec;

/** How one spec command ended. */
public enum Outcome {
    /** The engine did what the spec says. */
    PASSED,
    /** The engine did something else, or the command could not be run because of an earlier failure. */
    FAILED,
    /** The command was not run, because the engine SPI (or the runner) cannot express it. */
    SKIPPED
}
