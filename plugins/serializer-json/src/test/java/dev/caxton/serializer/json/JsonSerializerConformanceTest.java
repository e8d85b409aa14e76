package dev.caxton.serializer.json;

import dev.caxton.spi.serializer.SerializerProvider;
import dev.caxton.testkit.serializer.SerializerConformance;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Runs the serializer conformance suite against the JSON serializer. */
class JsonSerializerConformanceTest extends SerializerConformance {

    @Override
    protected SerializerProvider provider() {
        return new JsonSerializerProvider();
    }

    /**
     * Bracket and brace bombs far deeper than any limit, unterminated strings and numbers, and
     * arrays with more items than allowed.
     */
    @Override
    protected List<byte[]> hostileInputs() {
        return List.of(
                ascii("[".repeat(100_000)),
                ascii("{\"a\":".repeat(50_000)),
                ascii("[".repeat(100_000) + "]".repeat(100_000)),
                ascii("\"" + "x".repeat(60_000)),
                ascii("1".repeat(60_000)),
                ascii("[" + "1,".repeat(150_000) + "1]"),
                ascii("{" + "\"k\":1,".repeat(20_000) + "\"k\":1}"),
                ascii("[\"\\u" + "0".repeat(50_000)));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
