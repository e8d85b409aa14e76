package dev.caxton.storage.sqlite;

import dev.caxton.spi.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The schema as a series of versioned migrations, shipped as SQL resources beside this class in
 * {@code migrations/V<version>__<description>.sql}, and applied to a file in order.
 *
 * <p>Each applied migration is recorded in {@code schema_version} with the SHA-256 of its text, so
 * that opening a file tells three cases apart: a file this code can bring up to date; a file
 * written by a newer Caxton (a version this code does not know), which is refused because guessing
 * at a newer schema could destroy data; and a file whose recorded migration differs from the one
 * shipped here, which is refused because the schema is then not the one this code was written for.
 * Shipped migrations are therefore never edited: a change is a new file with the next version.
 */
final class Migrations {

    /**
     * The shipped migrations in order. A module's resources cannot be listed reliably (a jar on the
     * module path, a jlink image), so they are named here; {@link #shipped()} checks the names.
     */
    private static final List<String> FILES = List.of("V1__initial.sql", "V2__durability.sql", "V3__wasi.sql",
            "V4__wasi_settings.sql", "V5__extism.sql", "V6__cpu_share.sql");

    private static final Pattern NAME = Pattern.compile("V([1-9][0-9]*)__([a-z0-9_]+)\\.sql");

    /**
     * One migration.
     *
     * @param version     its version, 1 for the first
     * @param description its description, from its file name
     * @param sql         its statements
     * @param checksum    the SHA-256 of its text (line endings normalized), in hex
     */
    record Migration(int version, String description, String sql, String checksum) {
    }

    private Migrations() {
    }

    /**
     * The migrations shipped with this code, in version order.
     *
     * @return the migrations
     * @throws IllegalStateException when the shipped files are misnamed, missing or out of order,
     *         which is a defect of the build, not of the database
     */
    static List<Migration> shipped() {
        List<Migration> migrations = new ArrayList<>();
        for (String file : FILES) {
            Matcher m = NAME.matcher(file);
            if (!m.matches()) {
                throw new IllegalStateException("migration file " + file + " is not named V<version>__<description>.sql");
            }
            int version = Integer.parseInt(m.group(1));
            if (version != migrations.size() + 1) {
                throw new IllegalStateException("migration file " + file + " should have version "
                        + (migrations.size() + 1));
            }
            String sql = resource("migrations/" + file);
            migrations.add(new Migration(version, m.group(2).replace('_', ' '), sql, checksum(sql)));
        }
        return List.copyOf(migrations);
    }

    /**
     * Brings the file's schema up to date, or refuses it.
     *
     * @param writer the writer connection, not in a transaction
     * @param path   the file, for messages
     * @throws StorageException when the file is newer than this code or its recorded migrations
     *         differ from the shipped ones
     * @throws SQLException when SQLite fails
     */
    static void apply(Database.Conn writer, Path path) throws SQLException {
        List<Migration> shipped = shipped();
        writer.execute("""
                CREATE TABLE IF NOT EXISTS schema_version (
                    version     INTEGER NOT NULL PRIMARY KEY,
                    description TEXT    NOT NULL,
                    applied_at  TEXT    NOT NULL,
                    checksum    TEXT    NOT NULL
                )""");
        // One IMMEDIATE transaction from the check to the last migration: two nodes opening the same
        // new file at once cannot both migrate it, and a failed migration leaves the file as it was.
        Database.inTransaction(writer, c -> {
            int current = 0;
            PreparedStatement select = c.prepare("SELECT version, description, checksum FROM schema_version ORDER BY version");
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    int version = rs.getInt(1);
                    String description = rs.getString(2);
                    String checksum = rs.getString(3);
                    if (version > shipped.size()) {
                        throw newer(path, version, description);
                    }
                    if (version != current + 1) {
                        throw new StorageException("cannot open SQLite storage at " + path + ": its schema_version table "
                                + "records version " + version + " without version " + (current + 1));
                    }
                    Migration known = shipped.get(version - 1);
                    if (!known.checksum().equals(checksum)) {
                        throw new StorageException("cannot open SQLite storage at " + path + ": migration V" + version
                                + " (" + description + ") was applied with checksum " + checksum
                                + " but this Caxton ships it with checksum " + known.checksum()
                                + "; the schema of the file is not the one this Caxton expects");
                    }
                    current = version;
                }
            }
            for (Migration m : shipped.subList(current, shipped.size())) {
                try {
                    c.execute(m.sql());
                } catch (SQLException e) {
                    throw new SQLException("migration V" + m.version() + " (" + m.description() + ") failed: "
                            + Database.describe(e), e.getSQLState(), e.getErrorCode(), e);
                }
                PreparedStatement record = c.prepare(
                        "INSERT INTO schema_version (version, description, applied_at, checksum) VALUES (?, ?, ?, ?)");
                record.setInt(1, m.version());
                record.setString(2, m.description());
                record.setString(3, Instant.now().toString());
                record.setString(4, m.checksum());
                record.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Refuses a file written by a newer Caxton, naming both versions.
     *
     * @param path        the file
     * @param version     the newest version the file records
     * @param description that version's description
     * @return the exception to throw
     */
    static StorageException newer(Path path, int version, String description) {
        return new StorageException("cannot open SQLite storage at " + path + ": its schema is at version " + version
                + " (" + description + "), newer than this Caxton knows (up to version " + shipped().size()
                + "); it was written by a newer Caxton: run that version, or point storage.sqlite.path at another file");
    }

    /**
     * The SHA-256 of a migration's text in hex, with CRLF line endings turned into LF first so a
     * checkout on Windows does not look like an edited migration.
     *
     * @param sql the text
     * @return the checksum
     */
    static String checksum(String sql) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(sql.replace("\r\n", "\n").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static String resource(String name) {
        // Class#getResourceAsStream finds resources of this class's own module whatever its packages export.
        try (InputStream in = Migrations.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("migration resource " + name + " is missing from the build");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read migration resource " + name, e);
        }
    }
}
