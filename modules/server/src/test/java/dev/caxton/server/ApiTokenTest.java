package dev.caxton.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/** The token file: generated private, and refused when short or readable by others. */
class ApiTokenTest {

    @TempDir
    Path dir;

    @Test
    void aGeneratedTokenAndItsDirectoryAreOwnerOnly() throws IOException {
        Path file = dir.resolve("data/sub/token");
        ApiToken t = ApiToken.loadOrCreate(file);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("data")))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("data/sub")))).isEqualTo("rwx------");
        assertThat(t.matches(Files.readString(file).trim())).isTrue();
        assertThat(t.matches("x")).isFalse();
        // Loading again gives the same token.
        assertThat(ApiToken.loadOrCreate(file).matches(Files.readString(file).trim())).isTrue();
    }

    /** Writes a token file by hand with the given mode, and returns why loading it fails. */
    private String refusal(String content, String mode) throws IOException {
        Path file = dir.resolve("token");
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> ApiToken.loadOrCreate(file));
        assertThat(e.getMessage()).contains(file.toString());
        return e.getMessage();
    }

    @Test
    void aShortTokenIsRefusedWithThePathAndTheRule() throws IOException {
        assertThat(refusal("x\n", "rw-------")).contains("1 characters").contains("at least 32");
        assertThat(refusal("0123456789abcdef0123456789abcde\n", "rw-------")).contains("31 characters");
    }

    @Test
    void aTokenFileReadableByOthersIsRefused() throws IOException {
        String token = "0123456789abcdef0123456789abcdef0123456789";
        assertThat(refusal(token + "\n", "rw-r--r--")).contains("rw-r--r--").contains("chmod 600");
        assertThat(refusal(token + "\n", "rw-r-----")).contains("rw-r-----");
        Files.setPosixFilePermissions(dir.resolve("token"), PosixFilePermissions.fromString("rw-------"));
        assertThat(ApiToken.loadOrCreate(dir.resolve("token")).matches(token)).isTrue();
    }
}
