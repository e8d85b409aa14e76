package dev.caxton.server;

import dev.caxton.runtime.config.ConfigSchema;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The API's named tokens, each with a {@link Role}: the node's original token (the data directory's
 * {@code api-token}, named {@value #DEFAULT_NAME}, role admin) plus those in the tokens file
 * ({@code security.tokens_file}), which holds one {@code name role sha256-hex valid-until-ms} line
 * per token. Only hashes are stored: a copy of the tokens file gives no access. Plain SHA-256 is
 * enough because every secret is 32 random bytes, not a password a dictionary could guess.
 *
 * <p>Rotation keeps the old hash as a second entry of the same name that stops being accepted at
 * the end of the grace period, so clients can be switched over without a restart and without a
 * window in which neither token works. Rotating the default token also rewrites {@code api-token},
 * so the command line on the node's machine keeps finding the current one.
 */
final class TokenStore {

    /** The name of the token kept in the legacy token file. */
    public static final String DEFAULT_NAME = "default";

    /** What a token may do; each role may do everything the ones below it may. */
    public enum Role {
        /** Read-only: GET requests (health, agents, metrics-like status, dead letters, conversations). */
        METRICS,
        /** Read, and send messages. */
        OPERATOR,
        /** Everything: deploy, undeploy, reload, replay, backup, tokens, cluster leave. */
        ADMIN;

        /** @return the role's name in config, files and API answers */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * @param needed the role an action needs
         * @return whether this role may do it
         */
        public boolean allows(Role needed) {
            return ordinal() >= needed.ordinal();
        }

        /**
         * @param s a role's name
         * @return the role
         * @throws IllegalArgumentException naming the roles when {@code s} is none
         */
        public static Role parse(String s) {
            for (Role r : values()) {
                if (r.label().equals(s)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("unknown role '" + s + "'; roles: admin, operator, metrics");
        }
    }

    /** Who made a request. */
    public record Principal(String name, Role role) {
    }

    private record Entry(String name, Role role, byte[] hash, long validUntilMs) {
    }

    private final Path legacyFile;
    private final Path file;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private volatile List<Entry> entries;

    private TokenStore(Path legacyFile, Path file, Clock clock, List<Entry> entries) {
        this.legacyFile = legacyFile;
        this.file = file;
        this.clock = clock;
        this.entries = entries;
    }

    /**
     * Loads the tokens, creating the default token file when absent.
     *
     * @param legacyFile the single-token file ({@code security.token_file})
     * @param file       the named tokens file ({@code security.tokens_file}); may not exist yet
     * @param clock      the time grace periods are measured against
     * @return the store
     * @throws IOException when a file cannot be read, is open to others, or has a malformed line
     *                     (the message names the file and line)
     */
    public static TokenStore load(Path legacyFile, Path file, Clock clock) throws IOException {
        String secret = ApiToken.loadOrCreate(legacyFile).secret();
        List<Entry> list = new ArrayList<>();
        list.add(new Entry(DEFAULT_NAME, Role.ADMIN, hash(secret), 0));
        if (Files.exists(file)) {
            ApiToken.checkNotShared(file);
            int n = 0;
            for (String line : Files.readAllLines(file)) {
                n++;
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                String[] f = l.split("\\s+");
                try {
                    if (f.length != 4) {
                        throw new IllegalArgumentException("expected 4 fields (name role sha256-hex valid-until-ms), got " + f.length);
                    }
                    byte[] h = HexFormat.of().parseHex(f[2]);
                    if (h.length != 32) {
                        throw new IllegalArgumentException("the hash must be 64 hex digits");
                    }
                    list.add(new Entry(f[0], Role.parse(f[1]), h, Long.parseLong(f[3])));
                } catch (IllegalArgumentException e) {
                    throw new IOException("the tokens file " + file + ", line " + n + ": " + e.getMessage());
                }
            }
        }
        return new TokenStore(legacyFile, file, clock, List.copyOf(list));
    }

    /**
     * Finds who a presented token belongs to; every entry is compared, in constant time each.
     *
     * @param presented the header value, or null
     * @return the principal, or empty when the token is unknown or its grace period is over
     */
    public Optional<Principal> authenticate(String presented) {
        if (presented == null || presented.isEmpty()) {
            return Optional.empty();
        }
        byte[] h = hash(presented.strip());
        long now = clock.millis();
        Principal found = null;
        for (Entry e : entries) {
            if (MessageDigest.isEqual(e.hash(), h) && (e.validUntilMs() == 0 || now < e.validUntilMs()) && found == null) {
                found = new Principal(e.name(), e.role());
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * Adds a token.
     *
     * @param name its name ({@link ConfigSchema#NAME_RULE})
     * @param role its role
     * @return the secret, shown once
     * @throws ApiError 400 for a bad name, 409 when the name is taken
     */
    public synchronized String create(String name, Role role) throws IOException {
        if (name == null || !ConfigSchema.NAME.matcher(name).matches()) {
            throw new ApiError(400, "a token name must be " + ConfigSchema.NAME_RULE, Map.of("field", "name"));
        }
        if (current(name).isPresent()) {
            throw new ApiError(409, "a token named '" + name + "' exists; rotate or revoke it", Map.of("field", "name"));
        }
        String secret = fresh();
        List<Entry> next = new ArrayList<>(live());
        next.add(new Entry(name, role, hash(secret), 0));
        save(next);
        return secret;
    }

    /**
     * Replaces a token's secret; the old one stays valid for {@code grace}.
     *
     * @param name  the token
     * @param grace how long the old secret keeps working (zero: refused at once)
     * @return the new secret and when the old one stops working
     * @throws ApiError 404 when there is no such token
     */
    public synchronized Map<String, Object> rotate(String name, Duration grace) throws IOException {
        Entry old = current(name).orElseThrow(() -> new ApiError(404, "no token named '" + name + "'"));
        String secret = fresh();
        long until = clock.millis() + Math.max(1, grace.toMillis());
        List<Entry> next = new ArrayList<>();
        for (Entry e : live()) {
            if (e == old) {
                next.add(new Entry(name, old.role(), hash(secret), 0));
                if (!grace.isZero()) {
                    next.add(new Entry(name, old.role(), old.hash(), until));
                }
            } else {
                next.add(e);
            }
        }
        if (name.equals(DEFAULT_NAME)) {
            writePrivate(legacyFile, secret + "\n");
        }
        save(next);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", name);
        out.put("role", old.role().label());
        out.put("token", secret);
        out.put("previous_valid_until", grace.isZero() ? null : Instant.ofEpochMilli(until).toString());
        return out;
    }

    /**
     * Removes a token and any rotated-out secrets of it.
     *
     * @param name the token
     * @throws ApiError 404 when there is no such token, 400 for the default one
     */
    public synchronized void revoke(String name) throws IOException {
        if (name.equals(DEFAULT_NAME)) {
            throw new ApiError(400, "the default token cannot be revoked; rotate it (with --grace 0 to refuse the old one at once)");
        }
        if (current(name).isEmpty()) {
            throw new ApiError(404, "no token named '" + name + "'");
        }
        save(live().stream().filter(e -> !e.name().equals(name)).toList());
    }

    /** @return the tokens (names, roles, grace ends), never secrets or hashes */
    public List<Map<String, Object>> list() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Entry e : live()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", e.name());
            m.put("role", e.role().label());
            m.put("valid_until", e.validUntilMs() == 0 ? null : Instant.ofEpochMilli(e.validUntilMs()).toString());
            out.add(m);
        }
        return out;
    }

    private Optional<Entry> current(String name) {
        return entries.stream().filter(e -> e.name().equals(name) && e.validUntilMs() == 0).findFirst();
    }

    /** The entries still accepted: rotated-out ones past their grace are dropped at the next save. */
    private List<Entry> live() {
        long now = clock.millis();
        return entries.stream().filter(e -> e.validUntilMs() == 0 || now < e.validUntilMs()).toList();
    }

    private void save(List<Entry> next) throws IOException {
        StringBuilder sb = new StringBuilder("# Caxton API tokens: name role sha256-of-secret valid-until-ms (0: no end)\n");
        for (Entry e : next) {
            if (e.name().equals(DEFAULT_NAME) && e.validUntilMs() == 0) {
                continue; // lives in the legacy token file
            }
            sb.append(e.name()).append(' ').append(e.role().label()).append(' ')
                    .append(HexFormat.of().formatHex(e.hash())).append(' ').append(e.validUntilMs()).append('\n');
        }
        writePrivate(file, sb.toString());
        entries = List.copyOf(next);
    }

    /** Writes a whole file readable by its owner only, replacing the old one in one step. */
    private static void writePrivate(Path target, String content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp;
        try {
            tmp = Files.createTempFile(dir, ".tokens", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            tmp = Files.createTempFile(dir, ".tokens", ".tmp");
        }
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        try {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private String fresh() {
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        return HexFormat.of().formatHex(raw);
    }

    static byte[] hash(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
