/**
 * Storage in one SQLite file, the default store of a Caxton node ({@code storage.type: sqlite}).
 *
 * <p>The file is opened in WAL mode with one writer connection, guarded by a lock, and a small pool
 * of reader connections, so reads never wait for writes nor for each other. The schema is built and
 * upgraded by versioned migrations shipped in this module
 * ({@code dev/caxton/storage/sqlite/migrations/V<n>__<description>.sql}), each recorded
 * with its checksum in the {@code schema_version} table; a file written by a newer Caxton, or whose
 * recorded migrations differ from the ones shipped here, is refused rather than guessed at.
 *
 * <p>The SQLite engine comes from {@code org.xerial:sqlite-jdbc}, which loads a native library:
 * run with {@code --enable-native-access=org.xerial.sqlitejdbc} (or {@code ALL-UNNAMED} on the class
 * path) to keep the JDK from warning about it.
 */
module dev.caxton.storage.sqlite {
    requires dev.caxton.spi;
    requires java.sql;
    requires org.xerial.sqlitejdbc;

    provides dev.caxton.spi.storage.StorageProvider with dev.caxton.storage.sqlite.SqliteStorageProvider;
}
