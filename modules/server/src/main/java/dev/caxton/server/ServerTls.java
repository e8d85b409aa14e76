package dev.caxton.server;

import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.spi.ConfigException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The API listener's TLS, from {@code server.tls.cert_file} and {@code server.tls.key_file} (PEM).
 * Both or neither must be set: a certificate without its key (or the reverse) is a mistake that
 * would otherwise leave the API on plain HTTP while the operator believes it encrypted.
 */
final class ServerTls {

    private ServerTls() {
    }

    /**
     * @param config the node's configuration
     * @return the server context, or null when TLS is off
     * @throws ConfigException naming the key and file when a file is missing or not valid PEM
     */
    static SslContext context(CaxtonConfig config) {
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
        try {
            return SslContextBuilder.forServer(new File(cert), new File(key)).build();
        } catch (Exception e) {
            throw new ConfigException("server.tls.cert_file", "'" + cert + "' and '" + key
                    + "' (server.tls.key_file) are not a PEM certificate chain and its PKCS#8 private key (" + e.getMessage() + ")");
        }
    }
}
