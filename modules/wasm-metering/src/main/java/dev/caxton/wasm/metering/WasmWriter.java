package dev.caxton.wasm.metering;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable byte buffer with the WebAssembly binary encodings, for rewriting modules. */
public final class WasmWriter {

    private byte[] buf;
    private int size;

    /** @param capacity the initial capacity */
    public WasmWriter(int capacity) {
        buf = new byte[Math.max(16, capacity)];
    }

    /** @return how many bytes have been written */
    public int size() {
        return size;
    }

    /** @return a copy of what has been written */
    public byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    private void ensure(int extra) {
        if (size + extra > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + extra));
        }
    }

    /** @param b one byte @return this writer */
    public WasmWriter u8(int b) {
        ensure(1);
        buf[size++] = (byte) b;
        return this;
    }

    /** @param bytes bytes to append @param from first @param to just past the last @return this writer */
    public WasmWriter bytes(byte[] bytes, int from, int to) {
        int n = to - from;
        ensure(n);
        System.arraycopy(bytes, from, buf, size, n);
        size += n;
        return this;
    }

    /** @param bytes bytes to append @return this writer */
    public WasmWriter bytes(byte[] bytes) {
        return bytes(bytes, 0, bytes.length);
    }

    /** @param v an unsigned 32-bit value @return this writer */
    public WasmWriter u32(long v) {
        do {
            int b = (int) (v & 0x7F);
            v >>>= 7;
            u8(v == 0 ? b : b | 0x80);
        } while (v != 0);
        return this;
    }

    /** @param v a signed value (i32 values sign-extended) @return this writer */
    public WasmWriter signed(long v) {
        while (true) {
            int b = (int) (v & 0x7F);
            v >>= 7;
            boolean done = (v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0);
            u8(done ? b : b | 0x80);
            if (done) {
                return this;
            }
        }
    }

    /** @param v raw bits, written little-endian @param n how many bytes @return this writer */
    public WasmWriter littleEndian(long v, int n) {
        for (int i = 0; i < n; i++) {
            u8((int) (v >>> (8 * i)));
        }
        return this;
    }

    /** @param s a name, written as its UTF-8 length and bytes @return this writer */
    public WasmWriter name(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        u32(utf8.length);
        return bytes(utf8);
    }

    /**
     * Appends a section: its id, its size and its payload.
     *
     * @param id      the section id
     * @param payload the payload
     * @return this writer
     */
    public WasmWriter section(int id, WasmWriter payload) {
        u8(id);
        u32(payload.size);
        return bytes(payload.buf, 0, payload.size);
    }

    /**
     * Appends an entry of the code section: a function body preceded by its size.
     *
     * @param body the body (local declarations, instructions and the final {@code end})
     * @return this writer
     */
    public WasmWriter body(WasmWriter body) {
        u32(body.size);
        return bytes(body.buf, 0, body.size);
    }
}
