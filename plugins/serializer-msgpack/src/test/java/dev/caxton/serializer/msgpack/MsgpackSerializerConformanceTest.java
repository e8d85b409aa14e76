package dev.caxton.serializer.msgpack;

import dev.caxton.spi.serializer.SerializerProvider;
import dev.caxton.testkit.serializer.SerializerConformance;
import java.util.List;

/** Runs the serializer conformance suite against the MessagePack serializer. */
class MsgpackSerializerConformanceTest extends SerializerConformance {

    @Override
    protected SerializerProvider provider() {
        return new MsgpackSerializerProvider();
    }

    /**
     * Headers that lie about their length (2^31 and 2^31 - 1 elements or bytes in ten bytes of input,
     * for every container, string, binary and extension form); a nest of array headers each claiming
     * as many elements as the input could just about hold, which a decoder that presized its lists
     * would pay for at every level; and a hundred thousand nested one-element arrays and maps.
     */
    @Override
    protected List<byte[]> hostileInputs() {
        return List.of(
                bytes(0xdd, 0x80, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0),    // array32, 2^31 elements
                bytes(0xdd, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0),    // array32, 2^31 - 1 elements
                bytes(0xdf, 0x80, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0),    // map32, 2^31 entries
                bytes(0xdf, 0x7f, 0xff, 0xff, 0xff, 0xa0, 0, 0, 0, 0), // map32, 2^31 - 1 entries
                bytes(0xdb, 0x80, 0x00, 0x00, 0x00, 'a', 'b', 'c', 'd', 'e'), // str32, 2^31 bytes
                bytes(0xdb, 0x7f, 0xff, 0xff, 0xff, 'a', 'b', 'c', 'd', 'e'), // str32, 2^31 - 1 bytes
                bytes(0xc6, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0),    // bin32
                bytes(0xc9, 0x7f, 0xff, 0xff, 0xff, 0x01, 0, 0, 0, 0), // ext32
                bytes(0x81, 0xdb, 0x7f, 0xff, 0xff, 0xff, 'k', 0, 0, 0), // a map whose key claims 2 GB
                bytes(0xdc, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0),          // array16, 65535 elements
                repeated(21_845, 0xdc, 0x55, 0x55),                  // 64k of headers, each claiming 21845
                repeated(100_000, 0x91),                             // 100k nested one-element arrays
                repeated(100_000, 0x81, 0xa0));                      // 100k nested one-entry maps
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static byte[] repeated(int times, int... unit) {
        byte[] b = new byte[times * unit.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) unit[i % unit.length];
        }
        return b;
    }
}
