package dev.caxton.fipa.mtp;

import dev.caxton.runtime.tls.WatchedPemPair;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;
import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The MTP listener's TLS from PEM files ({@code fipa.http_mtp.tls.*}, the same kind the API takes):
 * a certificate chain, leaf first, and a PKCS#8 private key, checked and reloaded while the node
 * runs by the runtime's {@link WatchedPemPair}, the same watcher the API's TLS uses.
 *
 * <p>The JDK's HTTPS server takes one {@link SSLContext} for its whole life, so the context built
 * here never changes: its key manager asks the watched pair at every handshake, and a renewed pair
 * is presented to the next connection without restarting the listener.
 */
public final class PemTls {

    private static final AtomicLong GENERATION = new AtomicLong();

    private PemTls() {
    }

    /**
     * Reads the pair {@code fipa.http_mtp.tls.cert_file} and {@code key_file} name.
     *
     * @param certFile the PEM certificate chain, or blank
     * @param keyFile  the PEM PKCS#8 private key, or blank
     * @param clock    the clock validity periods are checked against
     * @return the watched pair, or null when both are blank (plain HTTP)
     * @throws dev.caxton.spi.ConfigException naming the key and the file when one is set alone, missing,
     *                                        or the pair is not valid
     */
    @SuppressWarnings("exports") // the watcher's package is exported to the server, which polls it
    public static WatchedPemPair<X509ExtendedKeyManager> watch(String certFile, String keyFile, Clock clock) {
        return WatchedPemPair.load("fipa.http_mtp.tls", "fipa.http_mtp.tls.cert_file", certFile,
                "fipa.http_mtp.tls.key_file", keyFile, PemTls::keyManager, clock);
    }

    /**
     * A server context that always presents the pair in use now.
     *
     * @param pair the watched pair
     * @return the context, for the listener's whole life
     */
    public static SSLContext serverContext(@SuppressWarnings("exports") WatchedPemPair<X509ExtendedKeyManager> pair) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(new javax.net.ssl.KeyManager[] {new Current(pair)}, null, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK offers no TLS context: " + e.getMessage(), e);
        }
    }

    /** The JDK's own key manager for one pair, under an alias no other pair of this process has. */
    private static X509ExtendedKeyManager keyManager(PrivateKey key, List<X509Certificate> chain)
            throws GeneralSecurityException, IOException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] none = new char[0];
        ks.setKeyEntry("mtp-" + GENERATION.incrementAndGet(), key, none, chain.toArray(X509Certificate[]::new));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, none);
        for (var km : kmf.getKeyManagers()) {
            if (km instanceof X509ExtendedKeyManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("the JDK's key manager factory gave no X.509 key manager");
    }

    /**
     * Chooses with the pair in use, and answers for aliases of the pair before it too: a handshake
     * that chose its alias just before a reload still finds that alias's key and chain.
     */
    private static final class Current extends X509ExtendedKeyManager {
        private final WatchedPemPair<X509ExtendedKeyManager> pair;
        private volatile X509ExtendedKeyManager last;
        private volatile X509ExtendedKeyManager previous;

        Current(WatchedPemPair<X509ExtendedKeyManager> pair) {
            this.pair = pair;
            this.last = pair.current();
        }

        private X509ExtendedKeyManager now() {
            X509ExtendedKeyManager c = pair.current();
            if (c != last) {
                synchronized (this) {
                    if (c != last) {
                        previous = last;
                        last = c;
                    }
                }
            }
            return c;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return now().chooseEngineServerAlias(keyType, issuers, engine);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return now().chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return now().getServerAliases(keyType, issuers);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            X509Certificate[] c = now().getCertificateChain(alias);
            X509KeyManager p = previous;
            return c != null || p == null ? c : p.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            PrivateKey k = now().getPrivateKey(alias);
            X509KeyManager p = previous;
            return k != null || p == null ? k : p.getPrivateKey(alias);
        }

        // The MTP is a server only: it never presents a client certificate.
        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return null;
        }
    }
}
