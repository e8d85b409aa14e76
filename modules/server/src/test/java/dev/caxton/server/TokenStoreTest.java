package dev.caxton.server;

import dev.caxton.server.TokenStore.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Named tokens on a clock the test moves, so grace periods are checked without waiting. */
class TokenStoreTest {

    /** A clock the test sets by hand. */
    private static final class ManualClock extends Clock {
        long now = 1_000_000;

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now);
        }
    }

    @Test
    void theLegacyTokenIsTheDefaultAdmin(@TempDir Path dir) throws Exception {
        TokenStore store = TokenStore.load(dir.resolve("api-token"), dir.resolve("api-tokens"), new ManualClock());
        String legacy = Files.readString(dir.resolve("api-token")).trim();
        assertThat(store.authenticate(legacy)).hasValue(new TokenStore.Principal("default", Role.ADMIN));
        assertThat(store.authenticate("f".repeat(64))).isEmpty();
        assertThat(store.authenticate(null)).isEmpty();
    }

    @Test
    void theOldSecretWorksUntilTheGraceEndsAndNotAfter(@TempDir Path dir) throws Exception {
        ManualClock clock = new ManualClock();
        TokenStore store = TokenStore.load(dir.resolve("api-token"), dir.resolve("api-tokens"), clock);
        String old = store.create("ci", Role.OPERATOR);
        Map<String, Object> r = store.rotate("ci", Duration.ofMinutes(10));
        String fresh = (String) r.get("token");
        assertThat(store.authenticate(old)).hasValue(new TokenStore.Principal("ci", Role.OPERATOR));
        assertThat(store.authenticate(fresh)).hasValue(new TokenStore.Principal("ci", Role.OPERATOR));
        clock.now += Duration.ofMinutes(10).toMillis() - 1;
        assertThat(store.authenticate(old)).isPresent();
        clock.now += 1;
        assertThat(store.authenticate(old)).isEmpty();
        assertThat(store.authenticate(fresh)).isPresent();

        // What was written survives a restart, as hashes only.
        TokenStore again = TokenStore.load(dir.resolve("api-token"), dir.resolve("api-tokens"), clock);
        assertThat(again.authenticate(fresh)).isPresent();
        assertThat(again.authenticate(old)).isEmpty();
        assertThat(Files.readString(dir.resolve("api-tokens"))).doesNotContain(fresh);
    }

    @Test
    void namesAndRolesAreChecked(@TempDir Path dir) throws Exception {
        TokenStore store = TokenStore.load(dir.resolve("api-token"), dir.resolve("api-tokens"), new ManualClock());
        store.create("a", Role.METRICS);
        assertThatThrownBy(() -> store.create("a", Role.ADMIN)).hasMessageContaining("exists");
        assertThatThrownBy(() -> store.create("bad name", Role.ADMIN)).hasMessageContaining("token name");
        assertThatThrownBy(() -> store.revoke("default")).hasMessageContaining("rotate it");
        assertThatThrownBy(() -> Role.parse("root")).hasMessageContaining("admin, operator, metrics");
    }

    @Test
    void aMalformedTokensFileIsNamedWithItsLine(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("api-tokens"), "# comment\nci admin nothex 0\n");
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThatThrownBy(() -> TokenStore.load(dir.resolve("api-token"), file, new ManualClock()))
                .hasMessageContaining("api-tokens, line 2");
    }
}
