package dev.caxton.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.transport.Compression;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.Test;

/** The frame format on an embedded pipeline: compression both ways, and what a hostile peer may send. */
class FrameCodecTest {

    private static final int MAX = 64 * 1024;

    private static byte[] json(int size) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; b.length() < size; k++) {
            b.append("{\"performative\":\"request\",\"receiver\":\"seller-").append(k % 5).append("\",\"n\":").append(k).append('}');
        }
        return b.substring(0, size).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.getBytes(b.readerIndex(), out);
        return out;
    }

    /** Feeds a sender's encoded frame to a receiver's decoder and returns what came out. */
    private static byte[] roundTrip(FrameCodec sender, FrameCodec receiver, byte[] frame) {
        EmbeddedChannel ch = new EmbeddedChannel(receiver.newDecoder());
        ByteBuf wire = sender.encode(ByteBufAllocator.DEFAULT, ByteBuffer.wrap(frame));
        assertThat(ch.writeInbound(wire)).isTrue();
        ByteBuf got = ch.readInbound();
        try {
            return bytes(got);
        } finally {
            got.release();
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void compressesFramesAtOrAboveTheThresholdWhenThatMakesThemSmaller() {
        FrameCodec on = new FrameCodec("transport.test", MAX, new Compression(true, 256));
        FrameCodec off = new FrameCodec("transport.test", MAX, Compression.OFF);
        byte[] small = json(255);
        byte[] big = json(16 * 1024);
        byte[] noise = new byte[4096];
        new Random(1).nextBytes(noise);

        ByteBuf wire = on.encode(ByteBufAllocator.DEFAULT, ByteBuffer.wrap(big));
        int word = wire.getInt(0);
        assertThat(word & FrameCodec.COMPRESSED).as("compressed flag").isNotZero();
        assertThat(wire.readableBytes()).isLessThan(big.length / 2);
        wire.release();
        ByteBuf plain = on.encode(ByteBufAllocator.DEFAULT, ByteBuffer.wrap(small));
        assertThat(plain.getInt(0)).as("below the threshold: as it is").isEqualTo(small.length);
        plain.release();
        ByteBuf random = on.encode(ByteBufAllocator.DEFAULT, ByteBuffer.wrap(noise));
        assertThat(random.getInt(0)).as("incompressible: as it is").isEqualTo(noise.length);
        random.release();

        for (byte[] f : new byte[][] {small, big, noise, new byte[0], json(MAX)}) {
            assertThat(roundTrip(on, off, f)).as("compressing sender, plain receiver").isEqualTo(f);
            assertThat(roundTrip(off, on, f)).as("plain sender, compressing receiver").isEqualTo(f);
            assertThat(roundTrip(on, on, f)).isEqualTo(f);
        }
        assertThat(on.counters().compressedFrames()).isPositive();
        assertThat(on.counters().bytesAfterCompression()).isLessThan(on.counters().bytesBeforeCompression());
        assertThat(off.counters().compressedFrames()).isZero();
    }

    @Test
    void aFrameLargerThanTheLimitIsRefusedBeforeCompression() {
        FrameCodec on = new FrameCodec("transport.test", MAX, new Compression(true, 0));
        assertThatThrownBy(() -> on.encode(ByteBufAllocator.DEFAULT, ByteBuffer.wrap(json(MAX + 1))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(String.valueOf(MAX)).hasMessageContaining("transport.test.max_frame_size");
    }

    /** A compressed frame with any declared size and body, as a hostile peer would write it. */
    private static ByteBuf compressedFrame(int declared, byte[] body) {
        return Unpooled.buffer().writeInt(FrameCodec.COMPRESSED | (4 + body.length)).writeInt(declared).writeBytes(body);
    }

    @Test
    void decompressionBombsAndGarbageAreDroppedAndCountedWhileTheStreamGoesOn() {
        FrameCodec receiver = new FrameCodec("transport.test", MAX, Compression.OFF);
        EmbeddedChannel ch = new EmbeddedChannel(receiver.newDecoder());
        // A real bomb: 1 MiB of zeros compresses to a few KiB, far below the frame limit, but
        // decompresses to 16 times the limit.
        byte[] zeros = new byte[16 * MAX];
        byte[] bomb = LZ4Factory.safeInstance().fastCompressor().compress(zeros);
        assertThat(bomb.length).isLessThan(MAX);
        byte[] ok = json(2000);
        byte[] okCompressed = LZ4Factory.safeInstance().fastCompressor().compress(ok);

        ch.writeInbound(compressedFrame(zeros.length, bomb));                    // declares 1 MiB
        ch.writeInbound(compressedFrame(ok.length, bomb));                       // declares little, inflates beyond it
        ch.writeInbound(compressedFrame(-1, okCompressed));                      // negative size
        ch.writeInbound(compressedFrame(ok.length + 1, okCompressed));           // lies about its size
        ch.writeInbound(compressedFrame(ok.length, new byte[] {(byte) 0xF0, 1, 2, 3, 4, 5})); // not LZ4
        ch.writeInbound(compressedFrame(ok.length, okCompressed));               // a good one after all that
        ch.writeInbound(Unpooled.buffer().writeInt(3).writeBytes(new byte[] {7, 8, 9}));

        ByteBuf first = ch.readInbound();
        assertThat(bytes(first)).as("the first frame that survives is the good one").isEqualTo(ok);
        first.release();
        ByteBuf second = ch.readInbound();
        assertThat(bytes(second)).containsExactly(7, 8, 9);
        second.release();
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(receiver.counters().refusedFrames()).isEqualTo(5);
        assertThat(ch.isActive()).as("the connection survives").isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void aLengthAboveTheLimitFailsTheConnectionBeforeAnyOfTheFrameIsBuffered() {
        FrameCodec receiver = new FrameCodec("transport.test", MAX, Compression.OFF);
        for (int word : new int[] {MAX + 1, FrameCodec.COMPRESSED | (MAX + 1), FrameCodec.COMPRESSED | 2}) {
            EmbeddedChannel ch = new EmbeddedChannel(receiver.newDecoder());
            assertThatThrownBy(() -> ch.writeInbound(Unpooled.buffer().writeInt(word).writeByte(1)))
                    .isInstanceOf(DecoderException.class)
                    .hasCauseInstanceOf(FrameDecoder.FrameTooLargeException.class);
            ch.finishAndReleaseAll();
        }
    }
}
