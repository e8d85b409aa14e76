package dev.caxton.testkit.serializer;

import dev.caxton.spi.serializer.SerializerProvider;
import java.util.Arrays;
import java.util.List;

/** The serializer fake passes the serializer suite. */
class FakeSerializerConformanceTest extends SerializerConformance {

    @Override
    protected SerializerProvider provider() {
        return new FakeSerializerProvider();
    }

    /** Counts and lengths that lie, and a list bomb, in the fake's format. */
    @Override
    protected List<byte[]> hostileInputs() {
        byte[] nested = new byte[100_000];
        for (int i = 0; i + 4 < nested.length; i += 5) {
            nested[i] = 'L';
            nested[i + 4] = 1;                                            // a list of one, again and again
        }
        return List.of(
                new byte[] {'L', 0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF},   // 2^31 - 1 items, none there
                new byte[] {'M', 0, 0, 0x10, 0, 'N'},                         // a million entries
                new byte[] {'S', 0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 'a'},
                new byte[] {'G', (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF},
                Arrays.copyOf(nested, nested.length));
    }
}
