package dev.caxton.plugin.transport.quic;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The first frame each end sends: the magic {@code CXTN}, a version byte (1), then the node id in
 * UTF-8 (1 to 255 bytes). It lets each end name the other before any application frame flows,
 * and, under TLS, tie that name to the certificate the peer presented.
 */
final class Handshake {

    static final int VERSION = 1;
    private static final byte[] MAGIC = {'C', 'X', 'T', 'N'};

    private Handshake() {
    }

    /** Encodes a handshake frame with its length prefix. */
    static ByteBuf encode(ByteBufAllocator alloc, String nodeId) {
        byte[] id = nodeId.getBytes(StandardCharsets.UTF_8);
        if (id.length == 0 || id.length > 255) {
            throw new IllegalArgumentException("node id must be 1 to 255 bytes of UTF-8, got " + id.length);
        }
        ByteBuf b = alloc.buffer(4 + MAGIC.length + 1 + id.length);
        b.writeInt(MAGIC.length + 1 + id.length).writeBytes(MAGIC).writeByte(VERSION).writeBytes(id);
        return b;
    }

    /** Reads the peer's node id from its first frame, or says what is wrong with it. */
    static String decode(ByteBuf frame) throws IOException {
        if (frame.readableBytes() < MAGIC.length + 2) {
            throw new IOException("the first frame is not a Caxton transport handshake (" + frame.readableBytes() + " bytes)");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (frame.getByte(frame.readerIndex() + i) != MAGIC[i]) {
                throw new IOException("the first frame is not a Caxton transport handshake (bad magic)");
            }
        }
        int version = frame.getUnsignedByte(frame.readerIndex() + MAGIC.length);
        if (version != VERSION) {
            throw new IOException("unsupported transport handshake version " + version + " (this node speaks " + VERSION + ")");
        }
        int start = frame.readerIndex() + MAGIC.length + 1;
        int length = frame.writerIndex() - start;
        if (length > 255) {
            throw new IOException("node id in the handshake is " + length + " bytes; at most 255");
        }
        return frame.toString(start, length, StandardCharsets.UTF_8);
    }

    /**
     * Checks that a certificate names the node: its subject common name or one of its DNS subject
     * alternative names equals the node id.
     */
    static void checkIdentity(String nodeId, Certificate[] chain) throws IOException {
        if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate cert)) {
            throw new IOException("node " + nodeId + " presented no X.509 certificate");
        }
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN") && nodeId.equals(String.valueOf(rdn.getValue()))) {
                    return;
                }
            }
            if (cert.getSubjectAlternativeNames() != null) {
                for (List<?> san : cert.getSubjectAlternativeNames()) {
                    if (Integer.valueOf(2).equals(san.get(0)) && nodeId.equals(san.get(1))) {
                        return;
                    }
                }
            }
        } catch (InvalidNameException | CertificateParsingException e) {
            throw new IOException("cannot read the certificate of node " + nodeId + ": " + e.getMessage(), e);
        }
        throw new IOException("the peer calls itself " + nodeId + " but its certificate names "
                + cert.getSubjectX500Principal().getName());
    }
}
