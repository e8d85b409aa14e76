package dev.caxton.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/**
 * The management API's shared secret: generated at first start into the data directory, readable
 * by the owner only (mode 0600), and compared in constant time.
 *
 * <p>A token file written by hand is refused when it is shorter than {@link #MIN_LENGTH} characters
 * (guessable) or readable by group or others: the token is the only credential of the API, which
 * deploys code, so a copy readable by every local user is a node anyone on the machine controls.
 * Refusing, like ssh does with an unprotected private key, costs one {@code chmod}; a warning would
 * scroll past while the node runs open.
 */
public final class ApiToken {

    /** The fewest characters a token may have (the generated one has 64 hex digits). */
    public static final int MIN_LENGTH = 32;

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
            createPrivateDirectories(file.toAbsolutePath().getParent());
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
        checkNotShared(file);
        String t = Files.readString(file).trim();
        if (t.isEmpty()) {
            throw new IOException("the token file " + file + " is empty; delete it to have a new token generated");
        }
        if (t.length() < MIN_LENGTH) {
            throw new IOException("the token file " + file + " holds a token of " + t.length()
                    + " characters; at least " + MIN_LENGTH + " are required (delete the file to have a random one generated)");
        }
        return new ApiToken(t);
    }

    static void checkNotShared(Path file) throws IOException {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: its own access control applies.
            return;
        }
        if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
            throw new IOException("the token file " + file + " is open to other users (" + PosixFilePermissions.toString(perms)
                    + "); it must be readable by its owner only: chmod 600 " + file);
        }
    }

    private static void createPrivateDirectories(Path dir) throws IOException {
        if (dir == null || Files.isDirectory(dir)) {
            return;
        }
        createPrivateDirectories(dir.getParent());
        try {
            // The data directory holds the token and the database: owner only (0700).
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            // Created by another process in between.
        }
    }

    /** @return the secret itself, for {@link TokenStore} to hash; never logged */
    String secret() {
        return new String(token, StandardCharsets.UTF_8);
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
