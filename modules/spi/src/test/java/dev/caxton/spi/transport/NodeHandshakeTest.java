package dev.caxton.spi.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import org.junit.jupiter.api.Test;

/** The shared handshake payload: round trip, and what is refused with which message. */
class NodeHandshakeTest {

    @Test
    void roundTripsANodeIdWithoutMovingTheBuffer() throws IOException {
        ByteBuffer b = ByteBuffer.wrap(NodeHandshake.encode("nœud-1"));
        assertThat(NodeHandshake.decode(b)).isEqualTo("nœud-1");
        assertThat(b.position()).isZero();
    }

    @Test
    void refusesWhatIsNotAHandshake() {
        assertThatThrownBy(() -> NodeHandshake.decode(ByteBuffer.wrap("HELLO, WORLD".getBytes(StandardCharsets.US_ASCII))))
                .isInstanceOf(IOException.class).hasMessageContaining("bad magic");
        assertThatThrownBy(() -> NodeHandshake.decode(ByteBuffer.wrap(new byte[] {'C', 'X'})))
                .hasMessageContaining("not a Caxton transport handshake");
        byte[] v2 = NodeHandshake.encode("n1");
        v2[4] = 2;
        assertThatThrownBy(() -> NodeHandshake.decode(ByteBuffer.wrap(v2))).hasMessageContaining("version 2");
        byte[] empty = {'C', 'X', 'T', 'N', 1};
        assertThatThrownBy(() -> NodeHandshake.decode(ByteBuffer.wrap(empty))).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> NodeHandshake.encode("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NodeHandshake.encode("x".repeat(256))).hasMessageContaining("255");
    }

    @Test
    void aPeerWithoutACertificateIsRefused() {
        assertThatThrownBy(() -> NodeHandshake.checkCertificate("n1", new Certificate[0]))
                .isInstanceOf(IOException.class).hasMessageContaining("n1 presented no X.509 certificate");
        assertThatThrownBy(() -> NodeHandshake.checkCertificate("n1", null)).isInstanceOf(IOException.class);
    }
}
