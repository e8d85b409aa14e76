package dev.caxton.runtime.tls;

import dev.caxton.spi.ConfigException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A certificate chain and its private key read from two PEM files, turned into whatever a listener
 * serves TLS with ({@code T}: a Netty context, a JDK key manager), and replaced while the node runs.
 *
 * <p>Certificates are renewed in place (cert-manager, certbot), so the files are watched: a change is
 * loaded only once both files have stayed the same for one whole poll interval, because renewers
 * write the certificate and the key one after the other and the pair in between does not match. A
 * new pair is checked completely (both parse, the key signs what the certificate's public key
 * verifies, the certificate is in its validity period) before it replaces the old one; a pair that
 * fails keeps the old one, and is logged once, not at every poll. Only new connections see a new
 * pair: one already open keeps the certificate it was handshaked with.
 *
 * <p>Every message names the file at fault and the configuration key it came from.
 *
 * @param <T> what the listener serves with, built from a checked pair
 */
public final class WatchedPemPair<T> {

    private static final System.Logger LOG = System.getLogger(WatchedPemPair.class.getName());
    private static final Pattern PKCS8 = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    /** Turns a checked pair into what the listener serves with. */
    @FunctionalInterface
    public interface Builder<T> {
        /**
         * @param key   the private key, proven to belong to the leaf
         * @param chain the chain, leaf first, the leaf within its dates
         * @return what the listener serves with
         * @throws Exception when the pair cannot be served (the message is shown to the operator)
         */
        T build(PrivateKey key, List<X509Certificate> chain) throws Exception;
    }

    /**
     * What a reload did.
     *
     * @param changed  whether new connections now see a different certificate
     * @param error    why the files were not taken (naming the file and key), or null when they were
     * @param notAfter when the certificate in use expires
     * @param subject  the subject of the certificate in use
     */
    public record Outcome(boolean changed, String error, Instant notAfter, String subject) {
        /** @return the outcome as the API answers it */
        public Map<String, Object> json() {
            return error == null
                    ? Map.of("reloaded", changed, "not_after", notAfter.toString(), "subject", subject)
                    : Map.of("reloaded", false, "error", error, "not_after", notAfter.toString(), "subject", subject);
        }
    }

    private record Loaded<T>(T served, List<X509Certificate> chain) {
        X509Certificate leaf() {
            return chain.getFirst();
        }
    }

    private final String name;
    private final String certKey;
    private final String keyKey;
    private final Path cert;
    private final Path key;
    private final Builder<T> builder;
    private final Clock clock;
    private volatile Loaded<T> current;
    /** The files' stamp behind {@link #current}, or behind the last failure (so it is logged once). */
    private String settled;
    /** The stamp seen at the previous poll: a change is loaded only when it has held for one poll. */
    private String previous;

    private WatchedPemPair(String name, String certKey, String keyKey, Path cert, Path key, Builder<T> builder,
                           Clock clock) {
        this.name = name;
        this.certKey = certKey;
        this.keyKey = keyKey;
        this.cert = cert;
        this.key = key;
        this.builder = builder;
        this.clock = clock;
    }

    /**
     * Reads the pair the configuration names, for a listener to start with.
     *
     * @param name     the settings' prefix, for log lines (e.g. {@code server.tls})
     * @param certKey  the key naming the certificate file (e.g. {@code server.tls.cert_file})
     * @param certFile its value
     * @param keyKey   the key naming the private key file
     * @param keyFile  its value
     * @param builder  turns the checked pair into what the listener serves with
     * @param clock    the clock the validity period is checked against
     * @param <T>      what the listener serves with
     * @return the pair, or null when both files are unset (plain, no TLS)
     * @throws ConfigException naming the key and file when only one is set, a file is missing or the
     *                         pair is not valid
     */
    public static <T> WatchedPemPair<T> load(String name, String certKey, String certFile, String keyKey, String keyFile,
                                             Builder<T> builder, Clock clock) {
        if (certFile.isBlank() && keyFile.isBlank()) {
            return null;
        }
        if (certFile.isBlank() || keyFile.isBlank()) {
            // A certificate without its key (or the reverse) is a mistake that would otherwise leave the
            // listener in plain text while the operator believes it encrypted.
            throw new ConfigException(certFile.isBlank() ? certKey : keyKey, "must be set together with the other of "
                    + certKey + " and " + keyKey + " (or clear both for plain text)");
        }
        for (String[] k : new String[][] {{certKey, certFile}, {keyKey, keyFile}}) {
            if (!Files.isReadable(Path.of(k[1]))) {
                throw new ConfigException(k[0], "cannot read '" + k[1] + "' (missing or not readable)");
            }
        }
        WatchedPemPair<T> p = new WatchedPemPair<>(name, certKey, keyKey, Path.of(certFile), Path.of(keyFile), builder, clock);
        String stamp = p.stamp();
        try {
            p.current = p.build();
        } catch (GeneralSecurityException e) {
            throw new ConfigException(e.getMessage().contains(keyKey) && !e.getMessage().contains(certKey) ? keyKey : certKey,
                    "'" + certFile + "' and '" + keyFile + "' (" + keyKey + ") are not a usable PEM certificate chain "
                            + "and its PKCS#8 private key (" + e.getMessage() + ")");
        }
        p.settled = stamp;
        p.previous = stamp;
        return p;
    }

    /** @return what new connections handshake with */
    public T current() {
        return current.served();
    }

    /** @return when the certificate in use expires */
    public Instant notAfter() {
        return current.leaf().getNotAfter().toInstant();
    }

    /** @return the certificate in use, leaf first */
    public List<X509Certificate> chain() {
        return current.chain();
    }

    /**
     * One poll of the files: loads them when they changed and have not changed since the previous
     * poll. Never throws; a failure is logged (once per version of the files) and the old pair stays.
     */
    public synchronized void poll() {
        String now = stamp();
        boolean stable = now.equals(previous);
        previous = now;
        if (!stable || now.equals(settled)) {
            return;
        }
        Outcome o = reload();
        if (o.error() != null) {
            LOG.log(System.Logger.Level.WARNING, "{0}: kept the certificate in use ({1}, valid until {2}): {3}",
                    name, o.subject(), o.notAfter(), o.error());
        }
    }

    /**
     * Loads the files now, whatever their stamp (an operator's explicit reload).
     *
     * @return what happened; on failure the old pair stays and the error says which file and why
     */
    public synchronized Outcome reload() {
        Loaded<T> before = current;
        settled = stamp();
        try {
            Loaded<T> l = build();
            // The same chain means the same key pair: what is in use stays.
            boolean changed = !l.chain().equals(before.chain());
            if (changed) {
                current = l;
                LOG.log(System.Logger.Level.INFO, "{0}: new connections now use {1} (valid until {2}) from {3}",
                        name, subject(l.leaf()), l.leaf().getNotAfter().toInstant(), cert);
            }
            return new Outcome(changed, null, l.leaf().getNotAfter().toInstant(), subject(l.leaf()));
        } catch (GeneralSecurityException e) {
            return new Outcome(false, e.getMessage(), before.leaf().getNotAfter().toInstant(), subject(before.leaf()));
        }
    }

    private static String subject(X509Certificate c) {
        return c.getSubjectX500Principal().getName();
    }

    private String stamp() {
        return stamp(cert) + "|" + stamp(key);
    }

    private static String stamp(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis() + ":" + Files.size(p);
        } catch (IOException e) {
            return "missing";
        }
    }

    /** Loads and checks the pair; the message of what it throws names the file at fault and why. */
    private Loaded<T> build() throws GeneralSecurityException {
        List<X509Certificate> chain = new ArrayList<>();
        try (InputStream in = Files.newInputStream(cert)) {
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                chain.add((X509Certificate) c);
            }
        } catch (IOException | GeneralSecurityException | ClassCastException e) {
            throw new GeneralSecurityException(cert + " (" + certKey + "): not a PEM certificate chain: " + e.getMessage());
        }
        if (chain.isEmpty()) {
            throw new GeneralSecurityException(cert + " (" + certKey + "): holds no certificate");
        }
        X509Certificate leaf = chain.getFirst();
        Instant now = clock.instant();
        if (now.isAfter(leaf.getNotAfter().toInstant()) || now.isBefore(leaf.getNotBefore().toInstant())) {
            throw new GeneralSecurityException(cert + " (" + certKey + "): the certificate is valid only from "
                    + leaf.getNotBefore().toInstant() + " to " + leaf.getNotAfter().toInstant());
        }
        PrivateKey pk = privateKey(leaf);
        try {
            return new Loaded<>(builder.build(pk, List.copyOf(chain)), List.copyOf(chain));
        } catch (Exception e) {
            throw new GeneralSecurityException(cert + " and " + key + ": cannot serve TLS with them: " + e.getMessage());
        }
    }

    /** Reads the PKCS#8 key and proves it belongs to the certificate by a signature the certificate verifies. */
    private PrivateKey privateKey(X509Certificate leaf) throws GeneralSecurityException {
        String pem;
        try {
            pem = Files.readString(key, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new GeneralSecurityException(key + " (" + keyKey + "): cannot read it: " + e.getMessage());
        }
        Matcher m = PKCS8.matcher(pem);
        if (!m.find()) {
            throw new GeneralSecurityException(key + " (" + keyKey + "): no unencrypted PKCS#8 "
                    + "'-----BEGIN PRIVATE KEY-----' block");
        }
        String alg = leaf.getPublicKey().getAlgorithm();
        PrivateKey pk;
        try {
            pk = KeyFactory.getInstance(alg).generatePrivate(
                    new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(m.group(1))));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new GeneralSecurityException(key + " (" + keyKey + "): not a " + alg
                    + " private key matching the certificate's: " + e.getMessage());
        }
        String sigAlg = switch (alg) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> alg; // EdDSA, Ed25519, Ed448 sign without a separate digest
        };
        byte[] challenge = new byte[32];
        new SecureRandom().nextBytes(challenge);
        boolean matches;
        try {
            Signature s = Signature.getInstance(sigAlg);
            s.initSign(pk);
            s.update(challenge);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(sigAlg);
            v.initVerify(leaf.getPublicKey());
            v.update(challenge);
            matches = v.verify(sig);
        } catch (GeneralSecurityException e) {
            matches = false;
        }
        if (!matches) {
            throw new GeneralSecurityException(key + " (" + keyKey + "): the key does not belong to the certificate in "
                    + cert + " (" + certKey + ")");
        }
        return pk;
    }
}
