package dev.caxton.spi.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.security.auth.x500.X500Principal;

/**
 * The handshake frame with which the first-party transports name the nodes at both ends of a
 * connection, and the check that ties a name to a TLS certificate. Transports written elsewhere
 * may use it too, so that nodes on different transports of the same family agree on it.
 *
 * <p>Payload: the ASCII magic {@code CXTN}, a version byte ({@value #VERSION}), then the node id in
 * UTF-8 (1 to {@value #MAX_ID_BYTES} bytes). How the payload is framed is the transport's business.
 * Stateless and thread-safe.
 */
public final class NodeHandshake {

    /** The version this node speaks. */
    public static final int VERSION = 1;

    /** The longest node id, in UTF-8 bytes. */
    public static final int MAX_ID_BYTES = 255;

    private static final byte[] MAGIC = {'C', 'X', 'T', 'N'};

    private NodeHandshake() {
    }

    /**
     * The handshake payload announcing a node.
     *
     * @param nodeId the node id
     * @return a new array holding the payload
     * @throws IllegalArgumentException when the id is empty or longer than {@value #MAX_ID_BYTES} bytes
     */
    public static byte[] encode(String nodeId) {
        byte[] id = nodeId.getBytes(StandardCharsets.UTF_8);
        if (id.length == 0 || id.length > MAX_ID_BYTES) {
            throw new IllegalArgumentException("a node id must be 1 to " + MAX_ID_BYTES + " bytes of UTF-8, got " + id.length);
        }
        byte[] out = new byte[MAGIC.length + 1 + id.length];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        out[MAGIC.length] = VERSION;
        System.arraycopy(id, 0, out, MAGIC.length + 1, id.length);
        return out;
    }

    /**
     * Reads the node id from a peer's first frame.
     *
     * @param payload the frame, between position and limit; not modified
     * @return the peer's node id
     * @throws IOException saying what is wrong when the frame is not a handshake this node speaks
     */
    public static String decode(ByteBuffer payload) throws IOException {
        ByteBuffer b = payload.duplicate();
        if (b.remaining() < MAGIC.length + 2) {
            throw new IOException("the first frame is not a Caxton transport handshake (" + b.remaining() + " bytes)");
        }
        for (byte m : MAGIC) {
            if (b.get() != m) {
                throw new IOException("the first frame is not a Caxton transport handshake (bad magic)");
            }
        }
        int version = b.get() & 0xff;
        if (version != VERSION) {
            throw new IOException("unsupported transport handshake version " + version + " (this node speaks " + VERSION + ")");
        }
        if (b.remaining() > MAX_ID_BYTES) {
            throw new IOException("the node id in the handshake is " + b.remaining() + " bytes; at most " + MAX_ID_BYTES);
        }
        return StandardCharsets.UTF_8.decode(b).toString();
    }

    /**
     * Checks that a peer's certificate names the node it claims to be: the subject's common name,
     * or one of its DNS subject alternative names, equals the node id.
     *
     * @param nodeId the id the peer presented in its handshake
     * @param chain  the peer's certificate chain, leaf first, as TLS verified it
     * @throws IOException naming both when they do not match, or when there is no X.509 certificate
     */
    public static void checkCertificate(String nodeId, Certificate[] chain) throws IOException {
        if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate cert)) {
            throw new IOException("node " + nodeId + " presented no X.509 certificate");
        }
        String subject = cert.getSubjectX500Principal().getName(X500Principal.RFC2253);
        for (String rdn : splitUnescaped(subject)) {
            int eq = rdn.indexOf('=');
            if (eq > 0 && rdn.substring(0, eq).trim().equalsIgnoreCase("CN") && nodeId.equals(unescape(rdn.substring(eq + 1)))) {
                return;
            }
        }
        try {
            if (cert.getSubjectAlternativeNames() != null) {
                for (List<?> san : cert.getSubjectAlternativeNames()) {
                    if (Integer.valueOf(2).equals(san.get(0)) && nodeId.equals(san.get(1))) {
                        return;
                    }
                }
            }
        } catch (CertificateParsingException e) {
            throw new IOException("cannot read the alternative names in the certificate of node " + nodeId + ": " + e.getMessage(), e);
        }
        throw new IOException("the peer calls itself " + nodeId + " but its certificate names " + subject);
    }

    // RFC 2253 as X500Principal writes it: RDNs separated by ',' or '+', specials escaped with '\'
    private static List<String> splitUnescaped(String name) {
        java.util.ArrayList<String> parts = new java.util.ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '\\' && i + 1 < name.length()) {
                cur.append(c).append(name.charAt(++i));
            } else if (c == ',' || c == '+') {
                parts.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        parts.add(cur.toString());
        return parts;
    }

    private static String unescape(String v) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\\' && i + 1 < v.length()) {
                c = v.charAt(++i);
            }
            out.append(c);
        }
        return out.toString();
    }
}
