package dev.caxton.serializer.json;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The word-at-a-time search for the end of plain ASCII text against the byte-at-a-time rule it
 * replaces: a quote, a backslash, a byte below 0x20 or a byte of 0x80 and above ends it; for the
 * writer's variant, a question mark too. Every case checks both.
 */
class PlainAsciiTest {

    /** Bytes on both sides of each boundary the word test draws, and bytes that make it borrow. */
    private static final int[] EDGES = {0x00, 0x01, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x3E, 0x3F, 0x40, 0x5B, 0x5C, 0x5D, 0x61, 0x7E,
            0x7F, 0x80, 0x81, 0xA2, 0xBF, 0xDC, 0xFF};

    @Test
    @DisplayName("every byte value at every offset of two words, after every kind of neighbour, from every start")
    void everyByteAtEveryOffset() {
        for (int filler : EDGES) {
            if (special(filler) || filler == '?') {
                continue;
            }
            for (int value = 0; value < 0x100; value++) {
                for (int at = 0; at < 20; at++) {
                    byte[] b = new byte[20];
                    java.util.Arrays.fill(b, (byte) filler);
                    b[at] = (byte) value;
                    for (int from = 0; from <= 4; from++) {
                        same(b, from, b.length);
                    }
                }
            }
        }
    }

    @Test
    @DisplayName("two edge bytes at every pair of offsets: a borrow from one never hides or invents the other")
    void pairsOfEdgeBytes() {
        for (int x : EDGES) {
            for (int y : EDGES) {
                for (int i = 0; i < 16; i++) {
                    for (int j = 0; j < 16; j++) {
                        byte[] b = "abcdefghijklmnop".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                        b[i] = (byte) x;
                        b[j] = (byte) y;
                        for (int to = 0; to <= 16; to++) {
                            same(b, 0, to);
                        }
                    }
                }
            }
        }
    }

    @Test
    @DisplayName("seeded random arrays of edge bytes, any start and end: the same end as byte by byte")
    void randomArrays() {
        Random r = new Random(16);
        for (int n = 0; n < 200_000; n++) {
            byte[] b = new byte[r.nextInt(48)];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) (r.nextInt(8) == 0 ? EDGES[r.nextInt(EDGES.length)] : 'a' + r.nextInt(26));
            }
            int from = b.length == 0 ? 0 : r.nextInt(b.length + 1);
            int to = from + r.nextInt(b.length - from + 1);
            same(b, from, to);
        }
    }

    /** Asserts through AssertJ only on a difference: there are millions of cases. */
    private static void same(byte[] b, int from, int to) {
        int words = PlainAscii.end(b, from, to);
        int bytes = scalar(b, from, to, false);
        if (words != bytes) {
            assertThat(words).as("end of %s from %d to %d", HexFormat.ofDelimiter(" ").formatHex(b), from, to).isEqualTo(bytes);
        }
        int wordsOrQuestion = PlainAscii.endOrQuestionMark(b, from, to);
        int bytesOrQuestion = scalar(b, from, to, true);
        if (wordsOrQuestion != bytesOrQuestion) {
            assertThat(wordsOrQuestion).as("end or question mark of %s from %d to %d", HexFormat.ofDelimiter(" ").formatHex(b),
                    from, to).isEqualTo(bytesOrQuestion);
        }
    }

    private static boolean special(int c) {
        return c == '"' || c == '\\' || c < 0x20 || c >= 0x80;
    }

    private static int scalar(byte[] b, int from, int to, boolean question) {
        for (int p = from; p < to; p++) {
            if (special(b[p] & 0xFF) || question && b[p] == '?') {
                return p;
            }
        }
        return to;
    }
}
