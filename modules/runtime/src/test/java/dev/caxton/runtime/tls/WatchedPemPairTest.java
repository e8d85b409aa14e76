package dev.caxton.runtime.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.ConfigException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The certificate watcher both TLS listeners share (API and FIPA MTP), on its own: real RSA pairs made
 * with the JDK's keytool, files rewritten in place as a renewer would. Polls are called by hand, so
 * "held still for one interval" is two polls with no change between them, never a timing.
 */
class WatchedPemPairTest {

    private static final String CERT_KEY = "server.tls.cert_file";
    private static final String KEY_KEY = "server.tls.key_file";

    /** Two PEM pairs: a certificate (leaf) and its PKCS#8 key, for CN=alpha and CN=beta. */
    private static String[] alpha;
    private static String[] beta;

    @BeforeAll
    static void pairs(@TempDir Path dir) throws Exception {
        alpha = pair(dir, "alpha");
        beta = pair(dir, "beta");
    }

    private static String[] pair(Path dir, String cn) throws Exception {
        Path store = dir.resolve(cn + ".p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", cn, "-keyalg", "RSA",
                "-keysize", "2048", "-dname", "CN=" + cn, "-validity", "30", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("keytool: %s", out).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        X509Certificate cert = (X509Certificate) ks.getCertificate(cn);
        PrivateKey key = (PrivateKey) ks.getKey(cn, "changeit".toCharArray());
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes());
        return new String[] {
            "-----BEGIN CERTIFICATE-----\n" + b64.encodeToString(cert.getEncoded()) + "\n-----END CERTIFICATE-----\n",
            "-----BEGIN PRIVATE KEY-----\n" + b64.encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n"
        };
    }

    /** Writes the files and moves their times on, so a rewrite of equal size is still a change. */
    private static void install(Path dir, String cert, String key, int generation) throws Exception {
        Files.writeString(dir.resolve("tls.crt"), cert);
        Files.writeString(dir.resolve("tls.key"), key);
        FileTime t = FileTime.fromMillis(1_800_000_000_000L + generation * 10_000L);
        Files.setLastModifiedTime(dir.resolve("tls.crt"), t);
        Files.setLastModifiedTime(dir.resolve("tls.key"), t);
    }

    private static WatchedPemPair<String> load(Path dir, Clock clock) {
        return WatchedPemPair.load("server.tls", CERT_KEY, dir.resolve("tls.crt").toString(), KEY_KEY,
                dir.resolve("tls.key").toString(), (k, chain) -> chain.getFirst().getSubjectX500Principal().getName(),
                clock);
    }

    @Test
    void aRenewedPairIsTakenOnlyOnceTheFilesHeldStillForOnePoll(@TempDir Path dir) throws Exception {
        install(dir, alpha[0], alpha[1], 0);
        WatchedPemPair<String> pair = load(dir, Clock.systemUTC());
        assertThat(pair.current()).isEqualTo("CN=alpha");

        install(dir, beta[0], beta[1], 1);
        pair.poll();
        assertThat(pair.current()).as("a change seen once may be half written").isEqualTo("CN=alpha");
        pair.poll();
        assertThat(pair.current()).as("the same change at the next poll is taken").isEqualTo("CN=beta");
    }

    @Test
    void aMismatchedPairKeepsTheOldOneAndSaysWhichFileIsAtFault(@TempDir Path dir) throws Exception {
        install(dir, alpha[0], alpha[1], 0);
        WatchedPemPair<String> pair = load(dir, Clock.systemUTC());

        // A renewer that wrote the certificate and not yet the key.
        install(dir, beta[0], alpha[1], 1);
        pair.poll();
        pair.poll();
        assertThat(pair.current()).isEqualTo("CN=alpha");
        WatchedPemPair.Outcome o = pair.reload();
        assertThat(o.changed()).isFalse();
        assertThat(o.error()).contains(KEY_KEY).contains("does not belong to the certificate");
        assertThat(o.subject()).isEqualTo("CN=alpha");

        install(dir, beta[0], beta[1], 2);
        WatchedPemPair.Outcome now = pair.reload();
        assertThat(now.changed()).isTrue();
        assertThat(now.error()).isNull();
        assertThat(pair.current()).isEqualTo("CN=beta");
        assertThat(pair.reload().changed()).as("the same pair again changes nothing").isFalse();
    }

    @Test
    void garbageAndACertificateOutsideItsDatesAreRefused(@TempDir Path dir) throws Exception {
        install(dir, alpha[0], alpha[1], 0);
        WatchedPemPair<String> pair = load(dir, Clock.systemUTC());
        install(dir, "not a certificate\n", beta[1], 1);
        assertThat(pair.reload().error()).contains(CERT_KEY);
        assertThat(pair.current()).isEqualTo("CN=alpha");

        install(dir, beta[0], beta[1], 2);
        Clock later = Clock.offset(Clock.systemUTC(), Duration.ofDays(60));
        assertThatThrownBy(() -> load(dir, later)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("valid only from");
    }

    @Test
    void aCertificateWithoutItsKeyIsAConfigErrorNamingTheMissingKey(@TempDir Path dir) throws Exception {
        install(dir, alpha[0], alpha[1], 0);
        assertThatThrownBy(() -> WatchedPemPair.load("server.tls", CERT_KEY, dir.resolve("tls.crt").toString(), KEY_KEY,
                "", (k, c) -> "x", Clock.systemUTC()))
                .isInstanceOf(ConfigException.class).hasMessageContaining(KEY_KEY);
        assertThat(WatchedPemPair.load("server.tls", CERT_KEY, "", KEY_KEY, "", (k, c) -> "x", Clock.systemUTC()))
                .as("neither set: plain text").isNull();
        assertThatThrownBy(() -> WatchedPemPair.load("server.tls", CERT_KEY, dir.resolve("none.crt").toString(), KEY_KEY,
                dir.resolve("tls.key").toString(), (k, c) -> "x", Clock.systemUTC()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cannot read");
    }
}
