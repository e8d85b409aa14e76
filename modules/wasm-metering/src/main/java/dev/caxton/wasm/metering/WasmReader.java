package dev.caxton.wasm.metering;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A cursor over part of a WebAssembly binary that decodes its primitive encodings (LEB128
 * integers, names, raw bytes) and reports any malformed input with the offset where it was found.
 */
public final class WasmReader {

    /** Bad bytes, with the offset of the problem; turned into a compile error by the caller. */
    public static final class MalformedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MalformedException(String message, int offset) {
            super(message + " at byte offset " + hex(offset), null, false, false);
        }
    }

    private final byte[] bytes;
    private final int limit;
    private int pos;

    /**
     * @param bytes the whole binary
     * @param start the first byte to read
     * @param limit the offset just past the last byte this reader may read
     */
    public WasmReader(byte[] bytes, int start, int limit) {
        this.bytes = bytes;
        this.pos = start;
        this.limit = limit;
    }

    /** @return the offset of the next byte */
    public int pos() {
        return pos;
    }

    /** @return whether every byte has been read */
    public boolean atEnd() {
        return pos >= limit;
    }

    /** @return how many bytes are left */
    public int remaining() {
        return limit - pos;
    }

    /**
     * Reads one byte.
     *
     * @param what what the byte is, for the error message
     * @return the byte, 0 to 255
     */
    public int u8(String what) {
        if (pos >= limit) {
            throw new MalformedException("unexpected end of data while reading " + what, pos);
        }
        return bytes[pos++] & 0xFF;
    }

    /**
     * Looks at the next byte without reading it.
     *
     * @param what what the byte is, for the error message
     * @return the byte, 0 to 255
     */
    public int peek(String what) {
        if (pos >= limit) {
            throw new MalformedException("unexpected end of data while reading " + what, pos);
        }
        return bytes[pos] & 0xFF;
    }

    /**
     * Reads an unsigned 32-bit LEB128 integer.
     *
     * @param what what the integer is
     * @return its value, 0 to 2^32 - 1
     */
    public long u32(String what) {
        int start = pos;
        long result = 0;
        for (int shift = 0; ; shift += 7) {
            if (shift >= 35) {
                throw new MalformedException("integer representation too long for " + what, start);
            }
            int b = u8(what);
            if (shift == 28 && (b & 0x70) != 0) {
                throw new MalformedException("integer too large for " + what, start);
            }
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
    }

    /**
     * Reads an unsigned 32-bit LEB128 count or index that must fit a Java int.
     *
     * @param what what the number is
     * @return its value
     */
    public int u32Int(String what) {
        int start = pos;
        long v = u32(what);
        if (v > Integer.MAX_VALUE) {
            throw new MalformedException(what + " " + v + " is too large", start);
        }
        return (int) v;
    }

    /**
     * Reads a signed LEB128 integer of at most {@code bits} bits.
     *
     * @param bits 32 or 64
     * @param what what the integer is
     * @return its value, sign-extended
     */
    public long signed(int bits, String what) {
        int start = pos;
        long result = 0;
        int shift = 0;
        int b;
        int maxBytes = (bits + 6) / 7;
        int count = 0;
        do {
            if (count++ == maxBytes) {
                throw new MalformedException("integer representation too long for " + what, start);
            }
            b = u8(what);
            result |= (long) (b & 0x7F) << shift;
            shift += 7;
        } while ((b & 0x80) != 0);
        if (count == maxBytes) {
            // The unused bits of the last byte must repeat the sign bit.
            int used = bits - 7 * (maxBytes - 1);
            int rest = (b & 0x7F) >> (used - 1);
            if (rest != 0 && rest != (0x7F >> (used - 1))) {
                throw new MalformedException("integer too large for " + what, start);
            }
        }
        if (shift < 64 && (b & 0x40) != 0) {
            result |= -1L << shift;
        }
        return bits == 32 ? (long) (int) result : result;
    }

    /**
     * Skips bytes.
     *
     * @param n    how many
     * @param what what they are
     */
    public void skip(long n, String what) {
        if (n < 0 || n > remaining()) {
            throw new MalformedException("unexpected end of data: " + what + " needs " + n + " bytes but only "
                    + remaining() + " remain", pos);
        }
        pos += (int) n;
    }

    /**
     * Reads a name: a length-prefixed UTF-8 string.
     *
     * @param what what the name is
     * @return the name
     */
    public String name(String what) {
        int length = u32Int("the length of " + what);
        int start = pos;
        skip(length, what);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, start, length))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new MalformedException(what + " is not valid UTF-8", start);
        }
    }

    /**
     * A failure at the current position.
     *
     * @param message what is wrong
     * @return the exception to throw
     */
    public MalformedException malformed(String message) {
        return new MalformedException(message, pos);
    }

    /**
     * A failure at a given position.
     *
     * @param message what is wrong
     * @param offset  where
     * @return the exception to throw
     */
    public static MalformedException malformed(String message, int offset) {
        return new MalformedException(message, offset);
    }

    /**
     * An offset the way tools print it.
     *
     * @param offset the offset
     * @return e.g. {@code 0x1a}
     */
    public static String hex(int offset) {
        return "0x" + Integer.toHexString(offset).toLowerCase(Locale.ROOT);
    }
}
