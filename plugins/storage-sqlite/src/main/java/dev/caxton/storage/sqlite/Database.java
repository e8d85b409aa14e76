package dev.caxton.storage.sqlite;

import dev.caxton.spi.storage.StorageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;

/**
 * The connections to one SQLite file: a single writer guarded by a lock, and a pool of readers.
 *
 * <p>Why not one connection: the driver serializes every call on a connection, so with one
 * connection a long read (a 5 MB module, a large history) would hold up every write and every other
 * read. In WAL mode readers see the last committed state without taking the write lock, so a few
 * reader connections let reads run in parallel with each other and with the writer. Why a single
 * writer: SQLite admits one writer at a time anyway; taking a Java lock first makes writers of this
 * process wait in memory instead of sleeping and retrying in SQLite's busy handler. The busy timeout
 * still matters for other processes opening the same file (an operator's {@code sqlite3} shell).
 *
 * <p>Transactions are begun with {@code BEGIN IMMEDIATE} by hand rather than through JDBC's
 * auto-commit switch, because the driver begins the next transaction as soon as one commits, which
 * would keep the write lock of the file held between operations.
 */
final class Database implements AutoCloseable {

    /** Work done with one connection. */
    @FunctionalInterface
    interface Work<T> {
        /**
         * Does the work.
         *
         * @param c the connection
         * @return the result
         * @throws SQLException when SQLite fails
         */
        T run(Conn c) throws SQLException;
    }

    /** A connection with the prepared statements it has used, which are kept for reuse. */
    static final class Conn {
        private final Connection connection;
        private final Map<String, PreparedStatement> statements = new HashMap<>();

        Conn(Connection connection) {
            this.connection = connection;
        }

        /**
         * A prepared statement for the SQL, prepared on first use and then reused.
         *
         * @param sql the statement
         * @return the statement, with parameters from any earlier use cleared
         * @throws SQLException when it does not prepare
         */
        PreparedStatement prepare(String sql) throws SQLException {
            PreparedStatement ps = statements.get(sql);
            if (ps == null) {
                ps = connection.prepareStatement(sql);
                statements.put(sql, ps);
            } else {
                ps.clearParameters();
            }
            return ps;
        }

        /**
         * Runs SQL that takes no parameters and returns no rows (several statements allowed).
         *
         * @param sql the SQL
         * @throws SQLException when it fails
         */
        void execute(String sql) throws SQLException {
            try (Statement s = connection.createStatement()) {
                s.executeUpdate(sql);
            }
        }

        /**
         * Runs a query that returns one value.
         *
         * @param sql the query
         * @return the first column of the first row, or null when there is no row
         * @throws SQLException when it fails
         */
        String queryOne(String sql) throws SQLException {
            try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
                return rs.next() ? rs.getString(1) : null;
            }
        }

        void close() throws SQLException {
            SQLException first = null;
            for (PreparedStatement ps : statements.values()) {
                try {
                    ps.close();
                } catch (SQLException e) {
                    first = first == null ? e : first;
                }
            }
            statements.clear();
            connection.close();
            if (first != null) {
                throw first;
            }
        }
    }

    /** The pragmas that {@link #pragmas} reports; those set on every connection, plus query_only. */
    static final List<String> PRAGMAS = List.of("journal_mode", "synchronous", "cache_size", "temp_store",
            "mmap_size", "foreign_keys", "busy_timeout", "query_only");

    private final Path path;
    private final Settings settings;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final AtomicBoolean closed = new AtomicBoolean();
    private Conn writer;
    private final BlockingQueue<Conn> readers;
    private final List<Conn> allReaders = new ArrayList<>();

    private Database(Settings settings) {
        this.settings = settings;
        this.path = settings.path();
        this.readers = new ArrayBlockingQueue<>(settings.readers());
    }

    /**
     * Opens the file: creates its directory, connects the writer, migrates the schema, then connects
     * the readers.
     *
     * @param settings the options
     * @return the open database
     * @throws StorageException naming the file when any step fails
     */
    static Database open(Settings settings) {
        Database db = new Database(settings);
        Path path = settings.path();
        if (path.toString().indexOf('?') >= 0) {
            // The driver reads what follows a '?' in a file name as connection parameters.
            throw new StorageException("cannot open SQLite storage at " + path + ": the path may not contain '?'");
        }
        if (Files.isDirectory(path)) {
            throw new StorageException("cannot open SQLite storage at " + path + ": it is a directory, not a file");
        }
        boolean created = prepareFile(path);
        if (!created) {
            preflight(path, settings);
        }
        try {
            db.writer = db.connect(false);
            if (!created) {
                checkIntact(db.writer, path);
            }
            Migrations.apply(db.writer, path);
            for (int i = 0; i < settings.readers(); i++) {
                Conn reader = db.connect(true);
                db.allReaders.add(reader);
                db.readers.add(reader);
            }
            // SQLite gives the -wal and -shm files the database file's mode; tighten any left by an
            // older version that created them world-readable.
            for (String suffix : List.of("-wal", "-shm")) {
                ownerOnly(Path.of(path + suffix), false);
            }
            return db;
        } catch (SQLException e) {
            db.closeQuietly();
            throw new StorageException("cannot open SQLite storage at " + path + ": " + damaged(e), e);
        } catch (RuntimeException e) {
            db.closeQuietly();
            throw e;
        }
    }

    /**
     * Creates the directory (0700) and, when absent, the file (0600) before SQLite sees them, so the
     * messages and modules the database holds are never readable by other users, not even briefly.
     * Refuses an existing empty file: SQLite would take it for a new database, and a node whose file
     * was truncated would start with no agents and no dead letters without a word.
     *
     * @return whether this call created the file
     */
    private static boolean prepareFile(Path path) {
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                createPrivateDirectories(parent);
            }
        } catch (IOException e) {
            throw new StorageException("cannot open SQLite storage at " + path + ": cannot create its directory ("
                    + e + ")", e);
        }
        try {
            if (!Files.exists(path)) {
                try {
                    Files.createFile(path, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
                } catch (UnsupportedOperationException e) {
                    Files.createFile(path);
                }
                return true;
            }
            if (Files.size(path) == 0) {
                throw new StorageException("cannot open SQLite storage at " + path + ": the file is empty (0 bytes) "
                        + "although it existed before this start, so it was probably truncated; restore it from a "
                        + "backup, or delete it to start with an empty database");
            }
            ownerOnly(path, true);
            return false;
        } catch (IOException e) {
            throw new StorageException("cannot open SQLite storage at " + path + ": " + e, e);
        }
    }

    private static final java.util.Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private static void createPrivateDirectories(Path dir) throws IOException {
        Path parent = dir.getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            createPrivateDirectories(parent);
        }
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            Files.createDirectory(dir);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // Created by someone else in between: theirs stands.
        }
    }

    /** Removes group and other permissions from an existing file; a missing file is fine. */
    private static void ownerOnly(Path file, boolean mustExist) {
        try {
            java.util.Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.stream().anyMatch(p -> !OWNER_ONLY.contains(p) && p != PosixFilePermission.OWNER_EXECUTE)) {
                Files.setPosixFilePermissions(file, OWNER_ONLY);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            if (mustExist) {
                throw new StorageException("cannot open SQLite storage at " + file + ": " + e, e);
            }
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: the platform's own access control applies.
        } catch (IOException e) {
            throw new StorageException("cannot open SQLite storage at " + file
                    + ": cannot make it readable by its owner only: " + e, e);
        }
    }

    /**
     * Looks at an existing file through a read-only connection before any connection that can write
     * opens it. The writer changes a file as soon as it has it: it switches the journal mode, and
     * when it is closed after a refusal, SQLite checkpoints the WAL into the main file and deletes
     * the WAL. For a damaged file, or one from a newer Caxton, that would destroy what a recovery
     * by hand needs: the original bytes, and the last commits that only the WAL of a crash holds.
     * A read-only connection never checkpoints. When it cannot tell (SQLite wants write access to
     * recover the WAL index after a crash), the writer's own checks run as before.
     */
    private static void preflight(Path path, Settings settings) {
        // Even a read-only connection creates an empty -wal and a -shm for a file in WAL mode, and
        // leaves them; those it created are removed again, so a refused file has nothing new beside it.
        List<Path> absent = new ArrayList<>();
        for (String suffix : List.of("-wal", "-shm")) {
            Path side = Path.of(path + suffix);
            if (!Files.exists(side)) {
                absent.add(side);
            }
        }
        try {
            look(path, settings);
        } finally {
            for (Path side : absent) {
                try {
                    if (side.toString().endsWith("-shm") || Files.size(side) == 0) {
                        Files.deleteIfExists(side);
                    }
                } catch (IOException e) {
                    // Gone already, or not ours to remove: the writer copes with either.
                }
            }
        }
    }

    private static void look(Path path, Settings settings) {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        config.setBusyTimeout(Math.toIntExact(Math.min(Integer.MAX_VALUE, settings.busyTimeout().toMillis())));
        try (Connection c = config.createConnection("jdbc:sqlite:" + path)) {
            Conn look = new Conn(c);
            try {
                checkIntact(look, path);
            } catch (StorageException e) {
                if (inconclusive(e.getMessage())) {
                    return;
                }
                throw e;
            }
            if (look.queryOne("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'") != null) {
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                        "SELECT version, description FROM schema_version ORDER BY version DESC LIMIT 1")) {
                    if (rs.next() && rs.getInt(1) > Migrations.shipped().size()) {
                        throw Migrations.newer(path, rs.getInt(1), rs.getString(2));
                    }
                }
            }
        } catch (SQLException e) {
            if (!inconclusive(describe(e))) {
                throw new StorageException("cannot open SQLite storage at " + path + ": " + damaged(e), e);
            }
        }
    }

    /** Failures of the read-only look that say nothing about the file, only about read-only access. */
    private static boolean inconclusive(String message) {
        return message != null && (message.contains("SQLITE_READONLY") || message.contains("SQLITE_CANTOPEN")
                || message.contains("SQLITE_BUSY") || message.contains("SQLITE_PERM"));
    }

    /**
     * Runs SQLite's quick check, so a damaged file stops the start with its cause instead of
     * surfacing later as failed reads and lost writes.
     */
    private static void checkIntact(Conn c, Path path) throws SQLException {
        List<String> problems = new ArrayList<>();
        try (Statement st = c.connection.createStatement(); ResultSet rs = st.executeQuery("PRAGMA quick_check(5)")) {
            while (rs.next()) {
                problems.add(rs.getString(1));
            }
        } catch (SQLException e) {
            // Damage bad enough that the check itself cannot walk the file.
            problems.add(describe(e));
        }
        if (!(problems.size() == 1 && "ok".equalsIgnoreCase(problems.getFirst()))) {
            throw new StorageException("cannot open SQLite storage at " + path + ": the database is damaged (quick_check: "
                    + String.join("; ", problems) + "); restore it from a backup, or move it away to start with an empty one");
        }
    }

    /** SQLite's own words, with what they mean for the operator when the file is damaged. */
    private static String damaged(SQLException e) {
        String m = describe(e);
        String lower = m.toLowerCase(java.util.Locale.ROOT);
        if (lower.contains("malformed") || lower.contains("not a database") || lower.contains("corrupt")) {
            return "the database is damaged (" + m + "); restore it from a backup, or move it away to start with an empty one";
        }
        return m;
    }

    private Conn connect(boolean reader) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout(Math.toIntExact(Math.min(Integer.MAX_VALUE, settings.busyTimeout().toMillis())));
        Conn c = new Conn(config.createConnection("jdbc:sqlite:" + path));
        try {
            c.execute("PRAGMA busy_timeout = " + settings.busyTimeout().toMillis());
            String mode = c.queryOne("PRAGMA journal_mode = WAL");
            if (!"wal".equalsIgnoreCase(mode)) {
                throw new SQLException("the file cannot be put in WAL mode (journal_mode stays " + mode + ")");
            }
            c.execute("PRAGMA synchronous = " + settings.synchronous());
            c.execute("PRAGMA cache_size = " + settings.cacheSizePragma());
            c.execute("PRAGMA temp_store = MEMORY");
            c.execute("PRAGMA mmap_size = " + settings.mmapBytes());
            c.execute("PRAGMA foreign_keys = ON");
            // Readers are only ever handed reads; making SQLite refuse writes on them keeps it that way.
            c.execute("PRAGMA query_only = " + (reader ? "ON" : "OFF"));
            return c;
        } catch (SQLException | RuntimeException e) {
            try {
                c.close();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** @return how many prepared statements the writer keeps, for tests that check they are reused */
    int writerStatements() {
        return writeOne("count statements", c -> c.statements.size());
    }

    /** @return the database file */
    Path path() {
        return path;
    }

    /**
     * Runs a read on a pooled reader connection. A single statement needs nothing more; work that
     * runs several statements uses {@link #readSnapshot} to see one consistent state.
     *
     * @param what what is being done, for the error message (e.g. "list agents")
     * @param work the work
     * @return its result
     */
    <T> T read(String what, Work<T> work) {
        Conn c = borrow(what);
        try {
            return work.run(c);
        } catch (SQLException e) {
            throw failure(what, e);
        } finally {
            readers.add(c);
        }
    }

    /**
     * Runs several reads inside one read transaction, so they all see the same committed state.
     *
     * @param what what is being done, for the error message
     * @param work the work
     * @return its result
     */
    <T> T readSnapshot(String what, Work<T> work) {
        return read(what, c -> {
            c.execute("BEGIN DEFERRED");
            try {
                T result = work.run(c);
                c.execute("COMMIT");
                return result;
            } catch (SQLException | RuntimeException e) {
                rollback(c, e);
                throw e;
            }
        });
    }

    /**
     * Runs one statement on the writer. SQLite makes a single statement atomic by itself.
     *
     * @param what what is being done, for the error message
     * @param work the work
     * @return its result
     */
    <T> T writeOne(String what, Work<T> work) {
        writeLock.lock();
        try {
            ensureOpen();
            return work.run(writer);
        } catch (SQLException e) {
            throw failure(what, e);
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Runs several statements on the writer in one transaction: all of them or none.
     *
     * @param what what is being done, for the error message
     * @param work the work
     * @return its result
     */
    <T> T writeTransaction(String what, Work<T> work) {
        return writeOne(what, c -> inTransaction(c, work));
    }

    /**
     * Runs work in a {@code BEGIN IMMEDIATE} transaction, rolling back when it fails.
     *
     * @param c    the connection
     * @param work the work
     * @return its result
     * @throws SQLException when SQLite fails
     */
    static <T> T inTransaction(Conn c, Work<T> work) throws SQLException {
        c.execute("BEGIN IMMEDIATE");
        try {
            T result = work.run(c);
            c.execute("COMMIT");
            return result;
        } catch (SQLException | RuntimeException e) {
            rollback(c, e);
            throw e;
        }
    }

    private static void rollback(Conn c, Exception cause) {
        try {
            c.execute("ROLLBACK");
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    /**
     * The pragmas in effect on the writer and on every reader, as SQLite reports them.
     *
     * @return for "writer" and "reader-1".."reader-n", each pragma of {@link #PRAGMAS} and its value
     */
    Map<String, Map<String, String>> pragmas() {
        Map<String, Map<String, String>> all = new LinkedHashMap<>();
        all.put("writer", writeOne("read pragmas", Database::pragmasOf));
        List<Conn> borrowed = new ArrayList<>();
        try {
            for (int i = 1; i <= settings.readers(); i++) {
                Conn c = borrow("read pragmas");
                borrowed.add(c);
                all.put("reader-" + i, pragmasOf(c));
            }
        } catch (SQLException e) {
            throw failure("read pragmas", e);
        } finally {
            readers.addAll(borrowed);
        }
        return all;
    }

    private static Map<String, String> pragmasOf(Conn c) throws SQLException {
        Map<String, String> values = new LinkedHashMap<>();
        for (String pragma : PRAGMAS) {
            values.put(pragma, c.queryOne("PRAGMA " + pragma));
        }
        return values;
    }

    private Conn borrow(String what) {
        try {
            while (true) {
                ensureOpen();
                // Polling rather than waiting forever lets a caller racing with close() see the close.
                Conn c = readers.poll(100, TimeUnit.MILLISECONDS);
                if (c != null) {
                    return c;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("SQLite storage at " + path + ": interrupted while waiting for a connection to "
                    + what, e);
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new StorageException("SQLite storage at " + path + " is closed");
        }
    }

    private StorageException failure(String what, SQLException e) {
        return new StorageException("SQLite storage at " + path + ": cannot " + what + ": " + describe(e), e);
    }

    /**
     * The driver's message, which already carries SQLite's code and explanation, e.g.
     * {@code [SQLITE_NOTADB] File opened that is not a database file (file is not a database)}.
     */
    static String describe(SQLException e) {
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /**
     * Waits for running work, checkpoints the WAL into the main file and closes every connection.
     * Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        List<Exception> failures = new ArrayList<>();
        // Readers first, waiting for those in use to come back, so the writer is the last connection
        // and its checkpoint can fold the whole WAL back into the database file.
        for (int i = 0; i < allReaders.size(); i++) {
            try {
                Conn c = readers.poll(30, TimeUnit.SECONDS);
                if (c == null) {
                    failures.add(new IllegalStateException("a reader connection was not returned within 30s"));
                    break;
                }
                c.close();
            } catch (SQLException e) {
                failures.add(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failures.add(e);
                break;
            }
        }
        writeLock.lock();
        try {
            if (writer != null) {
                try {
                    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)");
                } catch (SQLException e) {
                    failures.add(e);
                }
                writer.close();
            }
        } catch (SQLException e) {
            failures.add(e);
        } finally {
            writer = null;
            writeLock.unlock();
        }
        if (!failures.isEmpty()) {
            StorageException e = new StorageException("SQLite storage at " + path + " did not close cleanly: "
                    + failures.getFirst());
            failures.forEach(e::addSuppressed);
            throw e;
        }
    }

    private void closeQuietly() {
        closed.set(true);
        for (Conn c : allReaders) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // Already failing to open; the first failure is the one to report.
            }
        }
        if (writer != null) {
            try {
                writer.close();
            } catch (SQLException ignored) {
                // As above.
            }
        }
    }
}
