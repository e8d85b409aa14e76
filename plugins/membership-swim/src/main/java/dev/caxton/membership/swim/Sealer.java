package dev.caxton.membership.swim;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Seals and opens packets with the cluster's gossip key ({@code security.cluster.gossip_key}), or
 * passes them plain when there is none. With a key every packet is AES-GCM encrypted and
 * authenticated (the header is the associated data, so it cannot be altered either); a plain packet,
 * or one sealed with another key, is refused. Without a key, an encrypted packet is refused: the two
 * sides of a misconfigured cluster ignore each other rather than half-talk.
 */
final class Sealer {

    /** Bytes sealing adds: a 12-byte nonce and a 16-byte tag. */
    static final int OVERHEAD = 12 + 16;
    private static final int TAG_BITS = 128;

    private final SecretKey key;
    private final SecureRandom random;

    /**
     * @param key the AES key (16, 24 or 32 bytes), or null for plain packets
     */
    Sealer(SecretKey key) {
        this.key = key;
        this.random = key == null ? null : new SecureRandom();
    }

    /** Bytes sealing adds to a packet. */
    int overhead() {
        return key == null ? 0 : OVERHEAD;
    }

    /**
     * Seals a plain packet from {@link Wire.Builder}.
     *
     * @param plain the packet
     * @return the packet to send
     */
    byte[] seal(byte[] plain) {
        if (key == null) {
            return plain;
        }
        byte[] nonce = new byte[12];
        random.nextBytes(nonce);
        byte[] header = {plain[0], plain[1], plain[2], Wire.FLAG_ENCRYPTED};
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(header);
            byte[] sealed = c.doFinal(plain, Wire.HEADER_PLAIN, plain.length - Wire.HEADER_PLAIN);
            return ByteBuffer.allocate(header.length + nonce.length + sealed.length)
                    .put(header).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            // AES-GCM is part of every JDK; a failure here is a broken installation, not bad input.
            throw new IllegalStateException("AES-GCM is not available: " + e.getMessage(), e);
        }
    }

    /**
     * Opens and decodes a packet received.
     *
     * @param packet the bytes
     * @return the packet
     * @throws Wire.Malformed with the reason it was refused ({@code unauthenticated} when the key does
     *                        not open it, {@code plain} or {@code encrypted} when the sender and this
     *                        node disagree about using a key)
     */
    Wire.Packet open(byte[] packet) throws Wire.Malformed {
        boolean encrypted = Wire.header(packet);
        if (key == null) {
            if (encrypted) {
                throw new Wire.Malformed("encrypted");
            }
            return Wire.decodeBody(ByteBuffer.wrap(packet, Wire.HEADER_PLAIN, packet.length - Wire.HEADER_PLAIN));
        }
        if (!encrypted) {
            throw new Wire.Malformed("plain");
        }
        if (packet.length < Wire.HEADER_PLAIN + OVERHEAD + 1) {
            throw new Wire.Malformed("truncated");
        }
        byte[] body;
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, packet, Wire.HEADER_PLAIN, 12));
            c.updateAAD(packet, 0, Wire.HEADER_PLAIN);
            body = c.doFinal(packet, Wire.HEADER_PLAIN + 12, packet.length - Wire.HEADER_PLAIN - 12);
        } catch (GeneralSecurityException e) {
            throw new Wire.Malformed("unauthenticated");
        }
        return Wire.decodeBody(ByteBuffer.wrap(body));
    }
}
