package dev.caxton.spi.serializer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class EncodeBufferTest {

    @Test
    void growsAsBytesArriveAndKeepsThemInOrder() {
        EncodeBuffer b = new EncodeBuffer(2);
        for (int i = 0; i < 1000; i++) {
            b.write(i);
        }
        byte[] more = {1, 2, 3, 4, 5};
        b.write(more, 1, 3);
        assertThat(b.length()).isEqualTo(1003);
        assertThat(b.array()[999]).isEqualTo((byte) 999);
        assertThat(Arrays.copyOfRange(b.array(), 1000, 1003)).containsExactly(2, 3, 4);
        assertThat(b.toByteArray()).hasSize(1003);
    }

    @Test
    void reserveAndAdvanceLetAWriterFillTheArray() {
        EncodeBuffer b = new EncodeBuffer(4);
        b.write(9);
        byte[] a = b.reserve(100);
        a[1] = 7;
        a[2] = 8;
        b.advance(2);
        assertThat(b.toByteArray()).containsExactly(9, 7, 8);
        assertThatThrownBy(() -> b.advance(b.array().length)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void resetEmptiesAndGivesBackAnArrayGrownPastTheRetainedSize() {
        EncodeBuffer b = new EncodeBuffer(16);
        b.write(new byte[1 << 20], 0, 1 << 20);
        assertThat(b.array().length).isGreaterThanOrEqualTo(1 << 20);
        b.reset();
        assertThat(b.length()).isZero();
        assertThat(b.array().length).isEqualTo(64 * 1024);
        b.write(new byte[100], 0, 100);
        byte[] kept = b.array();
        b.reset();
        assertThat(b.array()).as("a small array is reused").isSameAs(kept);
        assertThat(b.toByteArray()).isEmpty();
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new EncodeBuffer(0)).isInstanceOf(IllegalArgumentException.class);
        EncodeBuffer b = new EncodeBuffer(4);
        assertThatThrownBy(() -> b.write(new byte[2], 1, 2)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(b.toString()).contains("0 of 4");
    }
}
