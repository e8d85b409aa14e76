package dev.caxton.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The management API's shared secret: generated at first start into the data directory, readable
 * by the owner only (mode 0600), and compared in constant time.
 */
public final class ApiToken {

    /** The request header that carries the token. */
    public static final String HEADER = "X-Caxton-Token";

    private final byte[] token;

    private ApiToken(String token) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads the token file, creating it with a fresh random token when absent.
     *
     * @param file the token file
     * @return the token
     * @throws IOException when the file cannot be read or created
     */
    public static ApiToken loadOrCreate(Path file) throws IOException {
        if (!Files.exists(file)) {
            Files.createDirectories(file.toAbsolutePath().getParent());
            byte[] raw = new byte[32];
            new SecureRandom().nextBytes(raw);
            String fresh = HexFormat.of().formatHex(raw);
            try {
                // Created with 0600 from the start so the secret is never readable by others, even briefly.
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(file, fresh + "\n");
            } catch (UnsupportedOperationException e) {
                Files.writeString(file, fresh + "\n");
            } catch (FileAlreadyExistsException e) {
                // Another process created it in between: use theirs.
            }
        }
        String t = Files.readString(file).trim();
        if (t.isEmpty()) {
            throw new IOException("the token file " + file + " is empty; delete it to have a new token generated");
        }
        return new ApiToken(t);
    }

    /**
     * Checks a presented token.
     *
     * @param presented the header value, or null
     * @return whether it matches
     */
    public boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
    }
}
