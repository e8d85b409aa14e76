package dev.caxton.membership.swim;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SWIM packet, version 1: a header naming the sender, then a list of records (probes, acks and the
 * gossip piggybacked on them). Everything is bounded so that a packet, encrypted or not, fits in
 * {@link #MAX_PACKET} bytes, and the decoder treats its input as hostile: it either returns a packet
 * whose every field is within bounds or throws {@link Malformed}, never anything else, and never
 * allocates more than the input's length.
 *
 * <pre>
 * plain:     CA 5F | version 1 | flags 0 | sender (str8) | records...
 * encrypted: CA 5F | version 1 | flags 1 | nonce (12) | AES-GCM(sender | records...) + tag (16)
 * </pre>
 */
final class Wire {

    /** The largest packet sent or accepted: fits an Ethernet MTU with IP and UDP headers. */
    static final int MAX_PACKET = 1400;
    /** The longest node id, in UTF-8 bytes (the runtime's node names are at most 128 characters of ASCII). */
    static final int MAX_ID = 128;
    /** The most metadata entries a node may publish. */
    static final int MAX_META_ENTRIES = 32;
    /** The most bytes a node's metadata may take on the wire: each entry's key and value plus 3 bytes. */
    static final int MAX_META_BYTES = 768;
    /** The most records in one packet. */
    static final int MAX_RECORDS = 64;
    static final int HEADER_PLAIN = 4;
    static final byte VERSION = 1;
    static final byte FLAG_ENCRYPTED = 1;
    /**
     * Record types with this bit set are extensions: the type byte is followed by a one-byte length and
     * that many bytes, and a decoder skips an extension it does not know. New optional fields travel
     * this way, so that nodes of an older build ignore them instead of refusing the packet.
     */
    static final int EXTENSION = 0x80;
    private static final byte STAMP_TYPE = (byte) 0x80;
    private static final byte MAGIC0 = (byte) 0xCA;
    private static final byte MAGIC1 = (byte) 0x5F;

    private Wire() {
    }

    /** Why a packet was refused; thrown by the decoder only. */
    static final class Malformed extends Exception {
        Malformed(String why) {
            super(why, null, false, false);
        }
    }

    /** One record of a packet. */
    sealed interface Record permits Ping, PingReq, Ack, Nack, Alive, Suspect, Dead, Left, PushPull, Stamp {
    }

    /** A direct probe; answered with an {@link Ack} of the same sequence by the node named. */
    record Ping(int seq, String target) implements Record {
    }

    /** Asks the receiver to probe {@code target} at {@code address} and relay the ack (or a nack). */
    record PingReq(int seq, String target, InetSocketAddress address) implements Record {
    }

    /** The answer to a probe. */
    record Ack(int seq) implements Record {
    }

    /** An indirect probe's relay heard nothing from the target (Lifeguard): the asker is not the slow one. */
    record Nack(int seq) implements Record {
    }

    /** A node is alive in this incarnation, reachable there, with this metadata. */
    record Alive(String node, long incarnation, InetSocketAddress swim, InetSocketAddress transport,
                 Map<String, String> metadata) implements Record {
    }

    /** {@code from} suspects {@code node} in this incarnation. */
    record Suspect(String node, long incarnation, String from) implements Record {
    }

    /** {@code from} judged {@code node} dead in this incarnation. */
    record Dead(String node, long incarnation, String from) implements Record {
    }

    /** {@code node} left gracefully. */
    record Left(String node, long incarnation) implements Record {
    }

    /** Marks a packet of full state (anti-entropy); {@code reply} asks the receiver for its own. */
    record PushPull(boolean reply) implements Record {
    }

    /**
     * The wall-clock time (epoch milliseconds) at which the change in the record that follows was first
     * made, on the node that made it; relayed unchanged, so a receiver can tell how long the change took
     * to reach it. An extension record: see {@link #EXTENSION}.
     */
    record Stamp(long wallMillis) implements Record {
    }

    /**
     * A decoded packet.
     *
     * @param sender  the id the sender wrote (trusted only as far as the gossip key makes it so)
     * @param records its records
     */
    record Packet(String sender, List<Record> records) {
    }

    // ------------------------------------------------------------------------------------ encoding

    /**
     * Writes records after a header until the packet is full. Not thread-safe; one per packet.
     */
    static final class Builder {
        private final ByteBuffer buf;
        private final int limit;
        private int count;

        /**
         * @param sender   this node's id
         * @param overhead bytes the packet grows by after encoding (encryption), taken from the limit
         */
        Builder(String sender, int overhead) {
            this.buf = ByteBuffer.allocate(MAX_PACKET);
            this.limit = MAX_PACKET - overhead;
            buf.put(MAGIC0).put(MAGIC1).put(VERSION).put((byte) 0);
            putStr8(buf, sender);
        }

        /**
         * Adds a record when it fits.
         *
         * @param encoded a record from {@link #encode(Record)}
         * @return false when it does not fit (the packet is unchanged)
         */
        boolean add(byte[] encoded) {
            if (count >= MAX_RECORDS || buf.position() + encoded.length > limit) {
                return false;
            }
            buf.put(encoded);
            count++;
            return true;
        }

        int records() {
            return count;
        }

        /** Bytes still free for records. */
        int room() {
            return count >= MAX_RECORDS ? 0 : limit - buf.position();
        }

        byte[] bytes() {
            byte[] out = new byte[buf.position()];
            buf.get(0, out);
            return out;
        }
    }

    /**
     * Encodes one record.
     *
     * @param r the record, whose strings and metadata are within the bounds
     * @return its bytes
     * @throws IllegalArgumentException when a bound is exceeded
     */
    static byte[] encode(Record r) {
        ByteBuffer b = ByteBuffer.allocate(MAX_PACKET);
        switch (r) {
            case Ping p -> {
                b.put((byte) 1).putInt(p.seq());
                putStr8(b, p.target());
            }
            case PingReq p -> {
                b.put((byte) 2).putInt(p.seq());
                putStr8(b, p.target());
                putAddr(b, p.address());
            }
            case Ack a -> b.put((byte) 3).putInt(a.seq());
            case Nack n -> b.put((byte) 4).putInt(n.seq());
            case Alive a -> {
                b.put((byte) 5);
                putStr8(b, a.node());
                b.putLong(a.incarnation());
                putAddr(b, a.swim());
                putAddr(b, a.transport());
                checkMetadata(a.metadata());
                b.put((byte) a.metadata().size());
                for (var e : a.metadata().entrySet()) {
                    putStr8(b, e.getKey());
                    byte[] v = e.getValue().getBytes(StandardCharsets.UTF_8);
                    b.putShort((short) v.length).put(v);
                }
            }
            case Suspect s -> {
                b.put((byte) 6);
                putStr8(b, s.node());
                b.putLong(s.incarnation());
                putStr8(b, s.from());
            }
            case Dead d -> {
                b.put((byte) 7);
                putStr8(b, d.node());
                b.putLong(d.incarnation());
                putStr8(b, d.from());
            }
            case Left l -> {
                b.put((byte) 8);
                putStr8(b, l.node());
                b.putLong(l.incarnation());
            }
            case PushPull p -> b.put((byte) 9).put((byte) (p.reply() ? 1 : 0));
            case Stamp t -> b.put(STAMP_TYPE).put((byte) Long.BYTES).putLong(t.wallMillis());
        }
        byte[] out = new byte[b.position()];
        b.get(0, out);
        return out;
    }

    /**
     * Prefixes an encoded gossip record with the time its change was first made, so that both travel
     * (and are retransmitted) as one unit.
     *
     * @param record     an encoded record
     * @param originWall the epoch milliseconds of the change at its origin, or 0 when unknown
     * @return the record, stamped when the origin time is known
     */
    static byte[] stamped(byte[] record, long originWall) {
        if (originWall <= 0) {
            return record;
        }
        byte[] stamp = encode(new Stamp(originWall));
        byte[] out = new byte[stamp.length + record.length];
        System.arraycopy(stamp, 0, out, 0, stamp.length);
        System.arraycopy(record, 0, out, stamp.length, record.length);
        return out;
    }

    /**
     * Checks metadata against the wire's bounds.
     *
     * @param metadata the pairs
     * @throws IllegalArgumentException saying which bound is exceeded
     */
    static void checkMetadata(Map<String, String> metadata) {
        if (metadata.size() > MAX_META_ENTRIES) {
            throw new IllegalArgumentException("metadata has " + metadata.size() + " entries; at most "
                    + MAX_META_ENTRIES + " travel with the swim membership");
        }
        int bytes = 0;
        for (var e : metadata.entrySet()) {
            int k = e.getKey().getBytes(StandardCharsets.UTF_8).length;
            if (k == 0 || k > 255) {
                throw new IllegalArgumentException("metadata key '" + e.getKey() + "' must be 1 to 255 bytes");
            }
            bytes += k + e.getValue().getBytes(StandardCharsets.UTF_8).length + 3;
        }
        if (bytes > MAX_META_BYTES) {
            throw new IllegalArgumentException("metadata takes " + bytes + " bytes; at most " + MAX_META_BYTES
                    + " travel with the swim membership");
        }
    }

    private static void putStr8(ByteBuffer b, String s) {
        byte[] v = s.getBytes(StandardCharsets.UTF_8);
        if (v.length == 0 || v.length > MAX_ID) {
            throw new IllegalArgumentException("'" + s + "' must be 1 to " + MAX_ID + " bytes");
        }
        b.put((byte) v.length).put(v);
    }

    private static void putAddr(ByteBuffer b, InetSocketAddress a) {
        if (a.isUnresolved()) {
            throw new IllegalArgumentException("address " + a + " is not resolved");
        }
        byte[] ip = a.getAddress().getAddress();
        b.put((byte) ip.length).put(ip).putShort((short) a.getPort());
    }

    // ------------------------------------------------------------------------------------ decoding

    /**
     * Checks the header of a packet before any decryption.
     *
     * @param packet the bytes received
     * @return whether the packet says it is encrypted
     * @throws Malformed when it is not a SWIM packet of this version, or is too long or too short
     */
    static boolean header(byte[] packet) throws Malformed {
        if (packet.length > MAX_PACKET) {
            throw new Malformed("too_long");
        }
        if (packet.length < HEADER_PLAIN + 2 || packet[0] != MAGIC0 || packet[1] != MAGIC1) {
            throw new Malformed("not_swim");
        }
        if (packet[2] != VERSION) {
            throw new Malformed("version");
        }
        if (packet[3] != 0 && packet[3] != FLAG_ENCRYPTED) {
            throw new Malformed("not_swim");
        }
        return packet[3] == FLAG_ENCRYPTED;
    }

    /**
     * Decodes the body of a packet (what follows the header, decrypted where it was encrypted).
     *
     * @param body the sender's id and the records
     * @return the packet
     * @throws Malformed when anything is out of bounds, truncated, trailing or unknown
     */
    static Packet decodeBody(ByteBuffer body) throws Malformed {
        try {
            String sender = str8(body);
            List<Record> records = new ArrayList<>();
            int proper = 0;
            while (body.hasRemaining()) {
                Record r = record(body);
                if (r == null) {
                    continue;
                }
                // Stamps ride along with the records they date; only the records themselves count
                // against the limit (every record, a stamp included, takes at least 5 bytes).
                if (!(r instanceof Stamp) && ++proper > MAX_RECORDS) {
                    throw new Malformed("too_many_records");
                }
                records.add(r);
            }
            if (proper == 0) {
                throw new Malformed("empty");
            }
            return new Packet(sender, List.copyOf(records));
        } catch (BufferUnderflowException e) {
            throw new Malformed("truncated");
        }
    }

    /** One record, or null for an extension this build does not know (skipped). */
    private static Record record(ByteBuffer b) throws Malformed {
        int type = b.get();
        if ((type & EXTENSION) != 0) {
            int len = b.get() & 0xFF;
            if (len > b.remaining()) {
                throw new Malformed("truncated");
            }
            if (type == STAMP_TYPE && len == Long.BYTES) {
                long wall = b.getLong();
                if (wall <= 0) {
                    throw new Malformed("stamp");
                }
                return new Stamp(wall);
            }
            b.position(b.position() + len);
            return null;
        }
        return switch (type) {
            case 1 -> new Ping(b.getInt(), str8(b));
            case 2 -> new PingReq(b.getInt(), str8(b), addr(b));
            case 3 -> new Ack(b.getInt());
            case 4 -> new Nack(b.getInt());
            case 5 -> {
                String node = str8(b);
                long inc = incarnation(b);
                InetSocketAddress swim = addr(b);
                InetSocketAddress transport = addr(b);
                int n = b.get() & 0xFF;
                if (n > MAX_META_ENTRIES) {
                    throw new Malformed("metadata");
                }
                Map<String, String> meta = new LinkedHashMap<>();
                int bytes = 0;
                for (int i = 0; i < n; i++) {
                    int kl = b.get() & 0xFF;
                    if (kl == 0) {
                        throw new Malformed("metadata");
                    }
                    String k = utf8(b, kl);
                    int vl = b.getShort() & 0xFFFF;
                    bytes += kl + vl + 3;
                    if (bytes > MAX_META_BYTES) {
                        throw new Malformed("metadata");
                    }
                    if (meta.put(k, utf8(b, vl)) != null) {
                        throw new Malformed("metadata");
                    }
                }
                yield new Alive(node, inc, swim, transport, Map.copyOf(meta));
            }
            case 6 -> new Suspect(str8(b), incarnation(b), str8(b));
            case 7 -> new Dead(str8(b), incarnation(b), str8(b));
            case 8 -> new Left(str8(b), incarnation(b));
            case 9 -> {
                int reply = b.get();
                if (reply != 0 && reply != 1) {
                    throw new Malformed("unknown_record");
                }
                yield new PushPull(reply == 1);
            }
            default -> throw new Malformed("unknown_record");
        };
    }

    private static long incarnation(ByteBuffer b) throws Malformed {
        long v = b.getLong();
        if (v < 0) {
            throw new Malformed("incarnation");
        }
        return v;
    }

    private static String str8(ByteBuffer b) throws Malformed {
        int len = b.get() & 0xFF;
        if (len == 0 || len > MAX_ID) {
            throw new Malformed("id");
        }
        return utf8(b, len);
    }

    private static String utf8(ByteBuffer b, int len) throws Malformed {
        if (len > b.remaining()) {
            throw new Malformed("truncated");
        }
        ByteBuffer slice = b.slice(b.position(), len);
        b.position(b.position() + len);
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer c = d.decode(slice);
            return c.toString();
        } catch (CharacterCodingException e) {
            throw new Malformed("utf8");
        }
    }

    private static InetSocketAddress addr(ByteBuffer b) throws Malformed {
        int len = b.get() & 0xFF;
        if (len != 4 && len != 16) {
            throw new Malformed("address");
        }
        byte[] ip = new byte[len];
        b.get(ip);
        int port = b.getShort() & 0xFFFF;
        if (port == 0) {
            throw new Malformed("address");
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new Malformed("address");
        }
    }
}
