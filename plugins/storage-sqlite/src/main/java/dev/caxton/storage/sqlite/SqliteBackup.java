package dev.caxton.storage.sqlite;

import dev.caxton.spi.storage.StorageException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.sqlite.SQLiteConfig;

/**
 * An online backup of a database file in use: a consistent copy written to a new file while the
 * node keeps reading and writing.
 *
 * <p>Why {@code VACUUM INTO} rather than SQLite's backup API (sqlite-jdbc's {@code backup to}):
 * the backup API copies a fixed number of pages per step and starts over whenever another
 * connection writes to the source between two steps, so on a node taking a steady stream of
 * messages a large file may never finish copying; copying everything in a single step instead
 * holds the source's lock for the whole copy. {@code VACUUM INTO} reads the whole file inside one
 * read transaction: in WAL mode that transaction sees one committed state and takes no lock a
 * writer waits for, so writers keep committing at full speed and the copy is exactly the state of
 * one instant. It costs more CPU than a page copy (it rebuilds every table and index), and the WAL
 * cannot be checkpointed past the copy's snapshot until it ends, but the copy comes out compact and
 * the time it takes does not depend on the write load. SqliteBackupTest measures both ways.
 *
 * <p>The copy is made on a connection of its own, opened read-only, so it neither takes a
 * connection from the node's pool nor waits behind the node's writer.
 */
final class SqliteBackup {

    private static final int BUSY_TIMEOUT_MS = 5000;

    private SqliteBackup() {
    }

    /**
     * Copies the database at {@code source} to {@code target}, a new file readable by its owner
     * only, then checks that the copy is intact.
     *
     * @param source the database file in use
     * @param target the file to create; its directory must exist and the file must not
     * @throws StorageException naming the target when it exists, its directory is missing or the
     *         copy fails; a partly written target is removed
     */
    static void copy(Path source, Path target) {
        Path to = target.toAbsolutePath().normalize();
        create(to);
        try {
            vacuumInto(source, to);
            sync(to);
            checkCopy(to);
        } catch (SQLException e) {
            removeQuietly(to);
            throw new StorageException("cannot back up SQLite storage at " + source + " to " + to + ": "
                    + Database.describe(e), e);
        } catch (IOException e) {
            removeQuietly(to);
            throw new StorageException("cannot back up SQLite storage at " + source + " to " + to + ": " + reason(e), e);
        } catch (RuntimeException e) {
            removeQuietly(to);
            throw e;
        }
    }

    /**
     * Creates the target empty and owner-only before SQLite writes a byte into it, so the copy of
     * the node's modules and messages is never readable by others, not even while it is written.
     * {@code VACUUM INTO} accepts an empty file in place of a missing one.
     */
    private static void create(Path to) {
        Path dir = to.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new StorageException("cannot back up to " + to + ": the directory " + dir + " does not exist");
        }
        if (to.toString().indexOf('?') >= 0) {
            throw new StorageException("cannot back up to " + to + ": the path may not contain '?'");
        }
        try {
            try {
                Files.createFile(to, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(to);
            }
        } catch (FileAlreadyExistsException e) {
            throw new StorageException("cannot back up to " + to + ": the file already exists; "
                    + "choose a new file name or remove the old backup first");
        } catch (IOException e) {
            throw new StorageException("cannot back up to " + to + ": cannot create the file: " + reason(e), e);
        }
    }

    private static void vacuumInto(Path source, Path to) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        config.setBusyTimeout(BUSY_TIMEOUT_MS);
        try (Connection c = config.createConnection("jdbc:sqlite:" + source);
                PreparedStatement ps = c.prepareStatement("VACUUM INTO ?")) {
            ps.setString(1, to.toString());
            ps.executeUpdate();
        }
    }

    /** SQLite writes the copy without syncing it; a backup that a power cut can undo is no backup. */
    private static void sync(Path to) throws IOException {
        try (FileChannel ch = FileChannel.open(to, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    /**
     * Reads the copy back: SQLite's quick check and the {@code schema_version} table, the two things
     * a node checks when it starts on the file.
     */
    private static void checkCopy(Path to) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        List<String> problems = new ArrayList<>();
        try (Connection c = config.createConnection("jdbc:sqlite:" + to); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("PRAGMA quick_check(5)")) {
                while (rs.next()) {
                    problems.add(rs.getString(1));
                }
            }
            if (!problems.equals(List.of("ok"))) {
                throw new SQLException("the copy fails SQLite's quick check: " + String.join("; ", problems));
            }
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM schema_version")) {
                if (!rs.next() || rs.getInt(1) == 0) {
                    throw new SQLException("the copy has no schema version");
                }
            }
        }
    }

    private static void removeQuietly(Path to) {
        for (String suffix : List.of("", "-journal", "-wal", "-shm")) {
            try {
                Files.deleteIfExists(Path.of(to + suffix));
            } catch (IOException ignored) {
                // The failure being reported matters more than a leftover the message names anyway.
            }
        }
    }

    /** An I/O failure in words, without the exception's class name. */
    private static String reason(IOException e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied" + (m == null ? "" : " (" + m + ")");
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or directory" + (m == null ? "" : " (" + m + ")");
        }
        return m == null || m.isBlank() ? "input/output error" : m;
    }
}
