package dev.caxton.testkit.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import dev.caxton.spi.serializer.SerializerProvider;
import dev.caxton.testkit.serializer.FakeSerializerProvider;
import dev.caxton.testkit.storage.FakeStorageProvider;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The suites run against a provider handed over at run time, as {@code caxton plugins verify} does. */
class ConformanceRunTest {

    /** A serializer whose values come back wrong: integers decode one higher. */
    static final class OffByOne implements SerializerProvider {
        @Override
        public String name() {
            return "off-by-one";
        }

        @Override
        public Serializer create(ProviderContext context, SerializerLimits limits) {
            Serializer real = new FakeSerializerProvider().create(context, limits);
            return new Serializer() {
                @Override
                public String name() {
                    return "off-by-one";
                }

                @Override
                public String mediaType() {
                    return real.mediaType();
                }

                @Override
                public byte[] encodeValue(Object value) {
                    return real.encodeValue(value);
                }

                @Override
                public Object decodeValue(byte[] bytes) {
                    Object v = real.decodeValue(bytes);
                    return v instanceof Long l ? l + 1 : v;
                }
            };
        }
    }

    private static List<Map<String, String>> with(List<Map<String, String>> outcomes, String result) {
        return outcomes.stream().filter(o -> o.get("result").equals(result)).toList();
    }

    @Test
    void aGoodProviderPassesEveryTestItRuns() {
        List<Map<String, String>> outcomes = ConformanceRun.run(new FakeStorageProvider());

        assertThat(with(outcomes, ConformanceRun.FAILED)).isEmpty();
        assertThat(with(outcomes, ConformanceRun.PASSED)).hasSizeGreaterThan(40)
                .extracting(o -> o.get("test")).contains("aBatchThatFailsLeavesNothingOfItVisibleAndSaysWhatFailed");
        assertThat(with(outcomes, ConformanceRun.SKIPPED)).isNotEmpty()
                .allSatisfy(o -> assertThat(o.get("detail")).as("the suite's own words, nothing around them")
                        .startsWith("only durable stores").doesNotContain("Exception", "assumption"));
    }

    @Test
    void aBrokenProviderFailsNamingTheTestsAndWhyOnOneLine() {
        List<Map<String, String>> outcomes = ConformanceRun.run(new OffByOne());
        List<Map<String, String>> failed = with(outcomes, ConformanceRun.FAILED);

        assertThat(with(outcomes, ConformanceRun.SKIPPED)).as("what only the plugin's build can run is said, not failed")
                .anySatisfy(o -> assertThat(o).containsEntry("test", "hostileInputsAreRefusedQuickly")
                        .hasEntrySatisfying("detail", d -> assertThat(d).contains("hostileInputs()")));
        assertThat(failed).extracting(o -> o.get("test")).doesNotContain("hostileInputsAreRefusedQuickly");

        assertThat(failed).isNotEmpty();
        assertThat(failed).allSatisfy(o -> {
            assertThat(o.get("test")).matches("[A-Za-z0-9]+");
            assertThat(o.get("detail")).isNotBlank().doesNotContain("\n");
        });
    }

    @Test
    void somethingThatIsNoProviderIsRefused() {
        assertThatThrownBy(() -> ConformanceRun.run("a string")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a Caxton provider");
    }
}
