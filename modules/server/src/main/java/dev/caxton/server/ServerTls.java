package dev.caxton.server;

import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.spi.ConfigException;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

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
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The API and metrics listeners' TLS, from {@code server.tls.cert_file} and {@code server.tls.key_file}
 * (PEM), and its replacement while the node runs.
 *
 * <p>Both files or neither must be set: a certificate without its key (or the reverse) is a mistake
 * that would otherwise leave the API on plain HTTP while the operator believes it encrypted.
 *
 * <p>Certificates are renewed in place (cert-manager, certbot), so the files are watched: a change is
 * loaded only once both files have stayed the same for one whole interval, because renewers write
 * the certificate and the key one after the other and the pair in between does not match. A new pair
 * is checked completely (both parse, the key signs what the certificate's public key verifies, the
 * certificate is in its validity period) before it replaces the old one; a pair that fails keeps the
 * old context, and is logged once, not at every poll. Only new connections see a new context: one
 * already open keeps the certificate it was handshaked with.
 */
final class ServerTls {

    private static final System.Logger LOG = System.getLogger(ServerTls.class.getName());
    private static final Pattern PKCS8 = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    /** What a reload did: {@code error} is null when the new pair is in use. */
    record Outcome(boolean changed, String error, Instant notAfter, String subject) {
        Map<String, Object> json() {
            return error == null
                    ? Map.of("reloaded", changed, "not_after", notAfter.toString(), "subject", subject)
                    : Map.of("reloaded", false, "error", error, "not_after", notAfter.toString(), "subject", subject);
        }
    }

    /** One loaded pair. */
    private record Loaded(SslContext context, List<? extends java.security.cert.Certificate> chain) {
        X509Certificate leaf() {
            return (X509Certificate) chain.getFirst();
        }
    }

    private final Path cert;
    private final Path key;
    private final boolean http2;
    private final Clock clock;
    private volatile Loaded current;
    /** The files' stamp behind {@link #current}, or behind the last failure (so it is logged once). */
    private String settled;
    /** The stamp seen at the previous poll: a change is loaded only when it has held for one poll. */
    private String previous;

    private ServerTls(Path cert, Path key, boolean http2, Clock clock) {
        this.cert = cert;
        this.key = key;
        this.http2 = http2;
        this.clock = clock;
    }

    /**
     * @param config the node's configuration
     * @param http2  whether to offer h2 by ALPN besides HTTP/1.1
     * @return the TLS of the listeners, or null when TLS is off
     * @throws ConfigException naming the key and file when a file is missing or the pair is not valid
     */
    static ServerTls load(CaxtonConfig config, boolean http2) {
        String cert = config.string("server.tls.cert_file");
        String key = config.string("server.tls.key_file");
        if (cert.isBlank() && key.isBlank()) {
            return null;
        }
        if (cert.isBlank() || key.isBlank()) {
            String missing = cert.isBlank() ? "server.tls.cert_file" : "server.tls.key_file";
            throw new ConfigException(missing, "must be set together with the other of server.tls.cert_file and "
                    + "server.tls.key_file (or clear both for plain HTTP)");
        }
        for (String[] k : new String[][] {{"server.tls.cert_file", cert}, {"server.tls.key_file", key}}) {
            if (!Files.isReadable(Path.of(k[1]))) {
                throw new ConfigException(k[0], "cannot read '" + k[1] + "' (missing or not readable)");
            }
        }
        ServerTls tls = new ServerTls(Path.of(cert), Path.of(key), http2, Clock.systemUTC());
        String stamp = tls.stamp();
        try {
            tls.current = tls.build();
        } catch (Exception e) {
            throw new ConfigException("server.tls.cert_file", "'" + cert + "' and '" + key
                    + "' (server.tls.key_file) are not a usable PEM certificate chain and its PKCS#8 private key ("
                    + e.getMessage() + ")");
        }
        tls.settled = stamp;
        tls.previous = stamp;
        return tls;
    }

    /** @return the context new connections handshake with */
    SslContext context() {
        return current.context();
    }

    /** @return when the certificate in use expires */
    Instant notAfter() {
        return current.leaf().getNotAfter().toInstant();
    }

    /**
     * One poll of the files: loads them when they changed and have not changed since the previous
     * poll. Never throws; a failure is logged (once per version of the files) and the old pair stays.
     */
    synchronized void poll() {
        String now = stamp();
        boolean stable = now.equals(previous);
        previous = now;
        if (!stable || now.equals(settled)) {
            return;
        }
        settled = now;
        Outcome o = reload();
        if (o.error() != null) {
            LOG.log(System.Logger.Level.WARNING, "server.tls: kept the certificate in use ({0}, valid until {1}): {2}",
                    o.subject(), o.notAfter(), o.error());
        }
    }

    /**
     * Loads the files now, whatever their stamp (the API's {@code POST /tls/reload}).
     *
     * @return what happened; on failure the old pair stays and the error says which file and why
     */
    synchronized Outcome reload() {
        Loaded before = current;
        settled = stamp();
        try {
            Loaded l = build();
            // The same chain means the same key pair: the context in use stays.
            boolean changed = !l.chain().equals(before.chain());
            if (changed) {
                current = l;
                LOG.log(System.Logger.Level.INFO, "server.tls: new connections now use {0} (valid until {1}) from {2}",
                        l.leaf().getSubjectX500Principal().getName(), l.leaf().getNotAfter().toInstant(), cert);
            }
            return new Outcome(changed, null, l.leaf().getNotAfter().toInstant(), l.leaf().getSubjectX500Principal().getName());
        } catch (Exception e) {
            return new Outcome(false, e.getMessage(), before.leaf().getNotAfter().toInstant(),
                    before.leaf().getSubjectX500Principal().getName());
        }
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
    private Loaded build() throws GeneralSecurityException {
        X509Certificate leaf;
        List<? extends java.security.cert.Certificate> chain;
        try (InputStream in = Files.newInputStream(cert)) {
            chain = List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
        } catch (IOException | GeneralSecurityException e) {
            throw new GeneralSecurityException(cert + " (server.tls.cert_file): not a PEM certificate chain: " + e.getMessage());
        }
        if (chain.isEmpty()) {
            throw new GeneralSecurityException(cert + " (server.tls.cert_file): holds no certificate");
        }
        leaf = (X509Certificate) chain.getFirst();
        Instant now = clock.instant();
        if (now.isAfter(leaf.getNotAfter().toInstant()) || now.isBefore(leaf.getNotBefore().toInstant())) {
            throw new GeneralSecurityException(cert + " (server.tls.cert_file): the certificate is valid only from "
                    + leaf.getNotBefore().toInstant() + " to " + leaf.getNotAfter().toInstant());
        }
        checkKey(leaf);
        SslContext ctx;
        try {
            SslContextBuilder b = SslContextBuilder.forServer(cert.toFile(), key.toFile());
            if (http2) {
                b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1));
            }
            ctx = b.build();
        } catch (Exception e) {
            throw new GeneralSecurityException(cert + " and " + key + ": cannot serve TLS with them: " + e.getMessage());
        }
        return new Loaded(ctx, chain);
    }

    /** Reads the PKCS#8 key and proves it belongs to the certificate by a signature the certificate verifies. */
    private void checkKey(X509Certificate leaf) throws GeneralSecurityException {
        String pem;
        try {
            pem = Files.readString(key, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new GeneralSecurityException(key + " (server.tls.key_file): cannot read it: " + e.getMessage());
        }
        Matcher m = PKCS8.matcher(pem);
        if (!m.find()) {
            throw new GeneralSecurityException(key + " (server.tls.key_file): no unencrypted PKCS#8 "
                    + "'-----BEGIN PRIVATE KEY-----' block");
        }
        String alg = leaf.getPublicKey().getAlgorithm();
        PrivateKey pk;
        try {
            pk = KeyFactory.getInstance(alg).generatePrivate(
                    new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(m.group(1))));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new GeneralSecurityException(key + " (server.tls.key_file): not a " + alg
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
            throw new GeneralSecurityException(key + " (server.tls.key_file): the key does not belong to the certificate in "
                    + cert + " (server.tls.cert_file)");
        }
    }
}
