package dev.caxton.transport.netty.testing;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Certificates made at test time (never committed): one self-signed certificate per node name, and
 * a trust bundle of the "trusted" ones, each acting as its own authority. A certificate left out of
 * the bundle stands for one issued by another CA.
 *
 * <p>Shared by the tcp and quic tests through this library's test-jar: the JDK has no public API
 * to issue a certificate, so this leans on Netty's helper and cannot live in the testkit.
 */
public final class TestCertificates {

    private final Path dir;
    private final Map<String, SelfSignedCertificate> certs = new HashMap<>();
    private final Path trust;

    public TestCertificates(Path dir, String... trustedNodes) {
        this.dir = dir;
        this.trust = dir.resolve("trusted-ca.pem");
        try {
            Files.createDirectories(dir);
            Files.writeString(trust, "");
            for (String n : trustedNodes) {
                Files.write(trust, Files.readAllBytes(cert(n)), StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public synchronized Path cert(String node) {
        return Path.of(get(node).certificate().getPath());
    }

    public synchronized Path key(String node) {
        return Path.of(get(node).privateKey().getPath());
    }

    public Path trust() {
        return trust;
    }

    private SelfSignedCertificate get(String node) {
        return certs.computeIfAbsent(node, n -> {
            try {
                return new SelfSignedCertificate(n);
            } catch (Exception e) {
                throw new IllegalStateException("cannot make a test certificate for " + n + " in " + dir, e);
            }
        });
    }

    public void delete() {
        certs.values().forEach(SelfSignedCertificate::delete);
    }
}
