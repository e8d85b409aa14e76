package org.example.caxton.serializer.cbor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the conformance suite cannot know: the bytes are real CBOR, as other CBOR tools write them. */
class CborSerializerTest {

    @TempDir
    Path dir;

    private Serializer serializer() {
        CborSerializerProvider p = new CborSerializerProvider();
        return p.create(ProviderContext.of(ProviderConfig.of("messaging.cbor", Map.of()), dir), SerializerLimits.DEFAULT);
    }

    @Test
    void writesTheShortestDefiniteForms() {
        // {"a": [1, "x"]} in RFC 8949's preferred serialization
        assertThat(HexFormat.of().formatHex(serializer().encodeValue(Map.of("a", List.of(1L, "x")))))
                .isEqualTo("a1616182016178");
    }

    @Test
    void readsIndefiniteLengthsOtherWritersUse() {
        // [_ 1, 2] with an indefinite-length array, and a half-precision 1.5
        assertThat(serializer().decodeValue(HexFormat.of().parseHex("9f0102ff"))).isEqualTo(List.of(1L, 2L));
        assertThat(serializer().decodeValue(HexFormat.of().parseHex("f93e00"))).isEqualTo(1.5d);
    }

    @Test
    void refusesByteStringsAndTrailingItems() {
        assertThatThrownBy(() -> serializer().decodeValue(HexFormat.of().parseHex("4201ff")))
                .isInstanceOf(SerializationException.class).hasMessageContaining("byte strings");
        assertThatThrownBy(() -> serializer().decodeValue(HexFormat.of().parseHex("0102")))
                .isInstanceOf(SerializationException.class).hasMessageContaining("after the end");
    }

    @Test
    void namesItsMediaType() {
        assertThat(serializer().mediaType()).isEqualTo("application/cbor");
        assertThat(serializer().name()).isEqualTo("cbor");
    }
}
