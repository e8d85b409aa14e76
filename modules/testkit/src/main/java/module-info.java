/**
 * The Caxton testkit: one conformance suite per SPI, which every provider (first- or third-party)
 * runs by extending it in its own tests, plus helpers for tests (WAT compilation).
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

    exports dev.caxton.testkit;
    // exports dev.caxton.testkit.serializer; (enabled once the suite exists)
    // exports dev.caxton.testkit.storage; (enabled once the suite exists)
    // exports dev.caxton.testkit.engine; (enabled once the suite exists)
    // exports dev.caxton.testkit.membership; (enabled once the suite exists)
}
