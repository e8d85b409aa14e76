/**
 * The Caxton testkit: one conformance suite per SPI, which every provider (first- or third-party)
 * runs by extending it in its own tests, plus helpers for tests (WAT compilation), and a runner of
 * the official WebAssembly core spec tests that checks any engine through the engine SPI
 * ({@code dev.caxton.testkit.spec}). {@code dev.caxton.testkit.verify} runs a suite against a provider
 * loaded at run time, for {@code caxton plugins verify} (it needs the JUnit Platform launcher, an
 * optional dependency).
 *
 * <p>A provider's test looks like:
 * <pre>{@code
 * class MySerializerTest extends SerializerConformance {
 *     protected SerializerProvider provider() { return new MySerializerProvider(); }
 * }
 * }</pre>
 */
module dev.caxton.testkit {
    requires transitive dev.caxton.spi;
    requires transitive org.junit.jupiter.api;
    requires transitive org.assertj.core;
    requires static wabt;
    requires static org.junit.platform.launcher;
    requires jdk.management;

    exports dev.caxton.testkit;
    exports dev.caxton.testkit.serializer;
    exports dev.caxton.testkit.storage;
    exports dev.caxton.testkit.engine;
    exports dev.caxton.testkit.membership;
    exports dev.caxton.testkit.transport;
    exports dev.caxton.testkit.trace;
    exports dev.caxton.testkit.spec;
    exports dev.caxton.testkit.verify;
    exports dev.caxton.testkit.plugin;
}
