package dev.caxton.membership.jgroups;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What members tell each other on top of JGroups: who they are ({@link Kind#INFO}: node id, transport
 * address, incarnation and metadata), that they are leaving ({@link Kind#BYE}), that a goodbye was
 * heard ({@link Kind#BYE_ACK}), and that the sender still lacks the receiver's INFO ({@link Kind#ASK},
 * answered with one; a node that predates it drops it as a note it cannot read).
 *
 * <p>JGroups only knows its own addresses; the node id, the transport address that
 * {@code Member.address} must be and the metadata travel in these notes. Received bytes are hostile:
 * {@link #decode} bounds every length and returns null rather than throwing.
 *
 * @param kind        what the note says
 * @param nodeId      the sender's node id
 * @param transport   where the sender's transport listens (INFO only; null otherwise)
 * @param incarnation the sender's join time in ms
 * @param metadata    the sender's metadata (INFO only; empty otherwise)
 */
record Note(Kind kind, String nodeId, InetSocketAddress transport, long incarnation, Map<String, String> metadata) {

    /** The kinds of note. */
    enum Kind { INFO, BYE, BYE_ACK, ASK }

    /** The first bytes of every note, so stray messages of another application are told apart. */
    static final int MAGIC = 0xCA5E_4A47;
    static final int VERSION = 1;
    /** Most entries of metadata a note carries. */
    static final int MAX_ENTRIES = 32;
    /** Most bytes a string of a note may take (node ids, hosts, keys, values). */
    static final int MAX_STRING = 1024;
    /** Most bytes a whole note may take. */
    static final int MAX_BYTES = 16 * 1024;

    Note {
        metadata = Map.copyOf(metadata);
    }

    static Note info(String nodeId, InetSocketAddress transport, long incarnation, Map<String, String> metadata) {
        return new Note(Kind.INFO, nodeId, transport, incarnation, metadata);
    }

    static Note bye(String nodeId, long incarnation) {
        return new Note(Kind.BYE, nodeId, null, incarnation, Map.of());
    }

    static Note byeAck(String nodeId, long incarnation) {
        return new Note(Kind.BYE_ACK, nodeId, null, incarnation, Map.of());
    }

    static Note ask(String nodeId, long incarnation) {
        return new Note(Kind.ASK, nodeId, null, incarnation, Map.of());
    }

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeByte(VERSION);
            out.writeByte(kind.ordinal());
            out.writeUTF(nodeId);
            out.writeLong(incarnation);
            if (kind == Kind.INFO) {
                out.writeUTF(transport.getHostString());
                out.writeShort(transport.getPort());
                out.writeByte(metadata.size());
                for (Map.Entry<String, String> e : metadata.entrySet()) {
                    out.writeUTF(e.getKey());
                    out.writeUTF(e.getValue());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Checks metadata fits a note before it is published, so a too-large update is refused at the
     * caller rather than dropped by every receiver.
     *
     * @param metadata the metadata
     * @return null when it fits, else what is wrong
     */
    static String checkMetadata(Map<String, String> metadata) {
        if (metadata.size() > MAX_ENTRIES) {
            return "at most " + MAX_ENTRIES + " metadata entries (got " + metadata.size() + ")";
        }
        int total = 0;
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            int k = utf8(e.getKey());
            int v = utf8(e.getValue());
            if (k == 0 || k > MAX_STRING || v > MAX_STRING) {
                return "metadata key '" + e.getKey() + "': keys take 1 to " + MAX_STRING + " bytes and values at most "
                        + MAX_STRING + " bytes in UTF-8";
            }
            total += k + v + 4;
        }
        if (total > MAX_BYTES / 2) {
            return "metadata takes " + total + " bytes; at most " + MAX_BYTES / 2;
        }
        return null;
    }

    private static int utf8(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    /**
     * Reads a note; never throws.
     *
     * @param b   the bytes
     * @param off where the note starts
     * @param len its length
     * @return the note, or null when the bytes are not a well-formed note of this version
     */
    static Note decode(byte[] b, int off, int len) {
        if (b == null || len < 6 || len > MAX_BYTES) {
            return null;
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b, off, len))) {
            if (in.readInt() != MAGIC || in.readUnsignedByte() != VERSION) {
                return null;
            }
            int k = in.readUnsignedByte();
            if (k >= Kind.values().length) {
                return null;
            }
            Kind kind = Kind.values()[k];
            String node = string(in);
            long incarnation = in.readLong();
            if (node == null || node.isBlank()) {
                return null;
            }
            InetSocketAddress transport = null;
            Map<String, String> metadata = new LinkedHashMap<>();
            if (kind == Kind.INFO) {
                String host = string(in);
                int port = in.readUnsignedShort();
                int n = in.readUnsignedByte();
                if (host == null || host.isBlank() || port == 0 || n > MAX_ENTRIES) {
                    return null;
                }
                for (int i = 0; i < n; i++) {
                    String key = string(in);
                    String value = string(in);
                    if (key == null || key.isEmpty() || value == null || metadata.put(key, value) != null) {
                        return null;
                    }
                }
                transport = address(host, port);
            }
            if (in.available() != 0) {
                return null;
            }
            return new Note(kind, node, transport, incarnation, metadata);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * An IP literal becomes a resolved address without any lookup; a name stays unresolved, since a
     * received note must never make this node query DNS on the sender's behalf.
     */
    static InetSocketAddress address(String host, int port) {
        try {
            return new InetSocketAddress(java.net.InetAddress.ofLiteral(host), port);
        } catch (IllegalArgumentException e) {
            return InetSocketAddress.createUnresolved(host, port);
        }
    }

    private static String string(DataInputStream in) throws IOException {
        String s = in.readUTF();
        return utf8(s) > MAX_STRING ? null : s;
    }
}
