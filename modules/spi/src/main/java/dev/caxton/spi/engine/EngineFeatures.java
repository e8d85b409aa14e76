package dev.caxton.spi.engine;

/**
 * What an engine enforces, so the runtime can refuse a limit the engine cannot honour instead of
 * silently ignoring it.
 *
 * @param fuel              whether {@link InstanceLimits#fuel()} is metered
 * @param executionTimeout  whether {@link InstanceLimits#executionTimeout()} interrupts running code
 * @param description       a short human description, e.g. {@code "chicory 1.7.5, compiler"}
 */
public record EngineFeatures(boolean fuel, boolean executionTimeout, String description) {
}
