package dev.caxton.membership.fixed;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One packet of the static membership, and its wire format (version 1, big-endian):
 *
 * <pre>
 * offset size  field
 *  0     2     magic 0xCA 0x5E
 *  2     1     version (1)
 *  3     1     type: 1 heartbeat, 2 leave
 *  4     8     incarnation: the sender's join time in ms (raised on each join, so a restart is newer)
 * 12     8     sequence: raised by one for every packet of one incarnation
 * 20     1     number of metadata entries (at most {@value #MAX_ENTRIES})
 * 21     ...   entries: key length (1 byte, 1..255), key (UTF-8), value length (2 bytes), value (UTF-8)
 * </pre>
 *
 * <p>The entries take at most {@value #MAX_METADATA_BYTES} bytes with their length prefixes, so a
 * packet is never longer than {@value #MAX_BYTES} bytes. The decoder trusts nothing: every length is
 * checked against what remains before anything is allocated, and it answers with a reason instead of
 * throwing.
 *
 * @param type        heartbeat or leave
 * @param incarnation the sender's incarnation
 * @param sequence    the packet's number within the incarnation
 * @param metadata    the sender's metadata (a heartbeat's; empty in a leave)
 */
record Packet(Type type, long incarnation, long sequence, Map<String, String> metadata) {

    /** The first two bytes of every packet. */
    static final short MAGIC = (short) 0xCA5E;
    /** The only version this decoder reads. */
    static final byte VERSION = 1;
    /** The fixed part before the entries. */
    static final int HEADER_BYTES = 21;
    /** The most metadata entries a packet carries. */
    static final int MAX_ENTRIES = 32;
    /** The most bytes the encoded entries take, length prefixes included. */
    static final int MAX_METADATA_BYTES = 1024;
    /** The longest packet. */
    static final int MAX_BYTES = HEADER_BYTES + MAX_METADATA_BYTES;

    /** The kinds of packet. */
    enum Type {
        /** "I am alive", with the sender's metadata. */
        HEARTBEAT,
        /** "I am leaving": the receiver reports the sender as left instead of waiting for it to die. */
        LEAVE
    }

    /** Why a packet was dropped. */
    enum Drop {
        /** Shorter than its header or than a length it announces. */
        TRUNCATED,
        /** Longer than {@link #MAX_BYTES}, or with bytes after its last entry. */
        OVERSIZED,
        /** Not a membership packet (wrong magic), or an unknown type, or a malformed entry. */
        GARBAGE,
        /** A version this node does not read. */
        WRONG_VERSION,
        /** Older than a packet already accepted from the same node (replayed, or from before a restart). */
        STALE,
        /** From a node id that is not in the node list. */
        UNKNOWN_NODE
    }

    /** Checks and copies the parts. */
    Packet {
        Objects.requireNonNull(type, "type");
        metadata = Map.copyOf(metadata);
    }

    /**
     * What decoding gave: a packet or the reason it was dropped.
     *
     * @param packet the packet, or null
     * @param drop   the reason, or null
     */
    record Decoded(Packet packet, Drop drop) {
        static Decoded of(Packet p) {
            return new Decoded(p, null);
        }

        static Decoded dropped(Drop d) {
            return new Decoded(null, d);
        }
    }

    /**
     * How many bytes metadata takes on the wire, or -1 when it cannot be sent at all (too many
     * entries, an empty or overlong key, an overlong value).
     *
     * @param metadata the pairs
     * @return the encoded size of the entries
     */
    static int metadataBytes(Map<String, String> metadata) {
        if (metadata.size() > MAX_ENTRIES) {
            return -1;
        }
        int total = 0;
        for (var e : metadata.entrySet()) {
            int k = e.getKey().getBytes(StandardCharsets.UTF_8).length;
            int v = e.getValue().getBytes(StandardCharsets.UTF_8).length;
            if (k < 1 || k > 255 || v > 0xFFFF) {
                return -1;
            }
            total += 1 + k + 2 + v;
        }
        return total;
    }

    /**
     * Encodes this packet.
     *
     * @return a buffer ready to read
     * @throws IllegalArgumentException when the metadata exceeds the bounds
     */
    ByteBuffer encode() {
        int size = metadataBytes(metadata);
        if (size < 0 || size > MAX_METADATA_BYTES) {
            throw new IllegalArgumentException("membership metadata too large: at most " + MAX_ENTRIES
                    + " entries of at most " + MAX_METADATA_BYTES + " bytes in all");
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + size);
        b.putShort(MAGIC).put(VERSION).put((byte) (type.ordinal() + 1)).putLong(incarnation).putLong(sequence)
                .put((byte) metadata.size());
        // Sorted, so two nodes with the same metadata send the same bytes.
        for (var e : new TreeMap<>(metadata).entrySet()) {
            byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] v = e.getValue().getBytes(StandardCharsets.UTF_8);
            b.put((byte) k.length).put(k).putShort((short) v.length).put(v);
        }
        return b.flip();
    }

    /**
     * Decodes one packet from position to limit, leaving the buffer's position wherever it stops.
     * Never throws for any bytes.
     *
     * @param b the bytes
     * @return the packet or why it was dropped
     */
    static Decoded decode(ByteBuffer b) {
        try {
            return decodeChecked(b);
        } catch (BufferUnderflowException e) {
            // Every read is checked first; this is a second line of defence only.
            return Decoded.dropped(Drop.TRUNCATED);
        }
    }

    private static Decoded decodeChecked(ByteBuffer b) {
        if (b.remaining() > MAX_BYTES) {
            return Decoded.dropped(Drop.OVERSIZED);
        }
        if (b.remaining() < 3) {
            return Decoded.dropped(b.remaining() >= 2 && b.getShort(b.position()) != MAGIC ? Drop.GARBAGE
                    : Drop.TRUNCATED);
        }
        if (b.getShort() != MAGIC) {
            return Decoded.dropped(Drop.GARBAGE);
        }
        if (b.get() != VERSION) {
            return Decoded.dropped(Drop.WRONG_VERSION);
        }
        if (b.remaining() < HEADER_BYTES - 3) {
            return Decoded.dropped(Drop.TRUNCATED);
        }
        int typeByte = b.get();
        if (typeByte < 1 || typeByte > Type.values().length) {
            return Decoded.dropped(Drop.GARBAGE);
        }
        Type type = Type.values()[typeByte - 1];
        long incarnation = b.getLong();
        long sequence = b.getLong();
        int entries = b.get() & 0xFF;
        if (entries > MAX_ENTRIES || incarnation < 0 || sequence < 0) {
            return Decoded.dropped(Drop.GARBAGE);
        }
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        Map<String, String> metadata = new LinkedHashMap<>();
        for (int i = 0; i < entries; i++) {
            if (b.remaining() < 1) {
                return Decoded.dropped(Drop.TRUNCATED);
            }
            int kLen = b.get() & 0xFF;
            if (kLen == 0) {
                return Decoded.dropped(Drop.GARBAGE);
            }
            if (kLen > b.remaining()) {
                return Decoded.dropped(Drop.TRUNCATED);
            }
            String key = text(b, kLen, utf8);
            if (key == null) {
                return Decoded.dropped(Drop.GARBAGE);
            }
            if (b.remaining() < 2) {
                return Decoded.dropped(Drop.TRUNCATED);
            }
            int vLen = b.getShort() & 0xFFFF;
            if (vLen > b.remaining()) {
                return Decoded.dropped(Drop.TRUNCATED);
            }
            String value = text(b, vLen, utf8);
            if (value == null || metadata.put(key, value) != null) {
                return Decoded.dropped(Drop.GARBAGE);
            }
        }
        if (b.hasRemaining()) {
            return Decoded.dropped(Drop.OVERSIZED);
        }
        return Decoded.of(new Packet(type, incarnation, sequence, metadata));
    }

    /** Reads {@code len} bytes (the caller checked they remain) of strict UTF-8; null when not UTF-8. */
    private static String text(ByteBuffer b, int len, CharsetDecoder utf8) {
        ByteBuffer slice = b.slice(b.position(), len);
        b.position(b.position() + len);
        try {
            CharBuffer chars = utf8.reset().decode(slice);
            return chars.toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
