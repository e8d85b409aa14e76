package dev.caxton.serializer.json;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Finds, eight bytes at a time, where plain text ends: the first byte that a JSON string cannot
 * hold as it is (a quote, a backslash, a control character) or that is not ASCII. The reader looks
 * for this byte in every string and key, and until it, a string is one copy of its bytes.
 *
 * <p>The writer uses it, with question marks marked too, on a Latin-1 copy of each string of 32
 * characters or more (see {@code JsonWriter#writeLatin1}).
 */
final class PlainAscii {

    /** Eight bytes of an array as one little-endian long, so the byte first in the array is the lowest. */
    private static final VarHandle WORD = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    private PlainAscii() {
    }

    /**
     * The index of the first quote, backslash, control character or non-ASCII byte in
     * {@code b[from, to)}, or {@code to} when there is none.
     */
    static int end(byte[] b, int from, int to) {
        int p = from;
        for (; p <= to - Long.BYTES; p += Long.BYTES) {
            long special = specials((long) WORD.get(b, p));
            if (special != 0) {
                return p + (Long.numberOfTrailingZeros(special) >>> 3);
            }
        }
        for (; p < to; p++) {
            byte c = b[p];
            if (c == '"' || c == '\\' || c < 0x20) { // a non-ASCII byte is negative
                return p;
            }
        }
        return to;
    }

    /**
     * As {@link #end}, also stopping at a question mark: the writer's copy of a string holds one in
     * place of each character that has no Latin-1 byte, and must look at each.
     */
    static int endOrQuestionMark(byte[] b, int from, int to) {
        int p = from;
        for (; p <= to - Long.BYTES; p += Long.BYTES) {
            long w = (long) WORD.get(b, p);
            long question = w ^ 0x3F3F3F3F3F3F3F3FL;
            long special = specials(w) | ((question - ONES) & ~question & HIGHS);
            if (special != 0) {
                return p + (Long.numberOfTrailingZeros(special) >>> 3);
            }
        }
        for (; p < to; p++) {
            byte c = b[p];
            if (c == '"' || c == '\\' || c < 0x20 || c == '?') {
                return p;
            }
        }
        return to;
    }

    /**
     * The high bit of each byte of {@code w} that is a quote, a backslash, below 0x20, or 0x80 and
     * above, set; other bytes may be marked too, but only above the lowest marked one, so the
     * lowest mark is always exact.
     *
     * <p>Why: {@code (x - ONES) & ~x & HIGHS} marks the zero bytes of x, and a byte's subtraction
     * borrows only from a zero byte below it, so a wrong mark can only come after a right one; x
     * is w with the quotes (or the backslashes) turned to zero by an exclusive or. Bytes below
     * 0x20 are those where subtracting 0x20 borrows, in the same way. A byte of 0x80 and above is
     * marked by its own high bit, and {@code & ~w} keeps it from being marked twice for nothing.
     */
    static long specials(long w) {
        long quote = w ^ 0x2222222222222222L;
        long backslash = w ^ 0x5C5C5C5C5C5C5C5CL;
        long zeroQuote = (quote - ONES) & ~quote;
        long zeroBackslash = (backslash - ONES) & ~backslash;
        long control = (w - 0x20 * ONES) & ~w;
        return (zeroQuote | zeroBackslash | control | w) & HIGHS;
    }
}
