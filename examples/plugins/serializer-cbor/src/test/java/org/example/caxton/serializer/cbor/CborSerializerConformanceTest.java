package org.example.caxton.serializer.cbor;

import dev.caxton.spi.serializer.SerializerProvider;
import dev.caxton.testkit.serializer.SerializerConformance;
import java.util.Arrays;
import java.util.List;

/**
 * The serializer conformance suite of the Caxton testkit, run against this plugin: the same checks
 * the first-party serializers pass, taken from the published kit.
 */
class CborSerializerConformanceTest extends SerializerConformance {

    @Override
    protected SerializerProvider provider() {
        return new CborSerializerProvider();
    }

    /** Headers that lie about lengths, and nesting bombs, in CBOR's own encoding. */
    @Override
    protected List<byte[]> hostileInputs() {
        byte[] nestedArrays = new byte[100_000];
        Arrays.fill(nestedArrays, (byte) 0x81);           // array of one item, again and again
        byte[] indefiniteArrays = new byte[100_000];
        Arrays.fill(indefiniteArrays, (byte) 0x9F);       // indefinite-length arrays, never closed
        byte[] nestedMaps = new byte[100_000];
        for (int i = 0; i + 1 < nestedMaps.length; i += 2) {
            nestedMaps[i] = (byte) 0xA1;                  // map of one entry ...
            nestedMaps[i + 1] = (byte) 0x60;              // ... keyed by the empty string
        }
        return List.of(
                // an array declaring 2^32 - 1 items, with none following
                new byte[] {(byte) 0x9B, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF},
                // a map declaring 2^63 - 1 entries
                new byte[] {(byte) 0xBB, 0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF},
                // a text string declaring 2^31 bytes, then three
                new byte[] {(byte) 0x7A, (byte) 0x80, 0, 0, 0, 'a', 'b', 'c'},
                // a text string declaring 2^64 - 1 bytes
                new byte[] {(byte) 0x7B, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF},
                // a byte string of a megabyte declared in the header
                new byte[] {(byte) 0x5A, 0, 0x10, 0, 0},
                nestedArrays, indefiniteArrays, nestedMaps);
    }
}
