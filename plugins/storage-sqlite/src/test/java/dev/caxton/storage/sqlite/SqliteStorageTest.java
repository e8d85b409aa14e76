package dev.caxton.storage.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.storage.AgentRecord;
import dev.caxton.spi.storage.ConversationEntry;
import dev.caxton.spi.storage.Storage;
import dev.caxton.spi.storage.StorageException;
import dev.caxton.spi.storage.StorageProvider;
import dev.caxton.spi.storage.StoredMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConfig;

/** What the SQLite store does beyond the conformance suite: options, pragmas, migrations, failures. */
class SqliteStorageTest {

    private static final Instant T = Instant.parse("2025-06-01T12:00:00.123456789Z");

    @TempDir
    Path dataDir;

    private Storage open(Map<String, ?> options) {
        return new SqliteStorageProvider().open(ProviderContext.of(ProviderConfig.of("storage.sqlite", options), dataDir));
    }

    private static Connection jdbc(Path file) throws SQLException {
        return new SQLiteConfig().createConnection("jdbc:sqlite:" + file);
    }

    private static List<List<String>> query(Path file, String sql) throws SQLException {
        try (Connection c = jdbc(file); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            List<List<String>> rows = new ArrayList<>();
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    row.add(rs.getString(i));
                }
                rows.add(row);
            }
            return rows;
        }
    }

    private static void update(Path file, String sql) throws SQLException {
        try (Connection c = jdbc(file); Statement s = c.createStatement()) {
            s.executeUpdate(sql);
        }
    }

    private static AgentRecord agent(String name, List<String> capabilities) {
        return new AgentRecord(name, "id", new byte[] {0, 97, 115, 109}, 1 << 20, 100, 0, capabilities, "json", "",
                "running", T, T);
    }

    // ------------------------------------------------------------------ provider and options

    @Test
    void isFoundByServiceLoaderAndDeclaresItsOptions() {
        assertThat(ServiceLoader.load(StorageProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("sqlite")).toList())
                .singleElement().isInstanceOf(SqliteStorageProvider.class);
        SqliteStorageProvider p = new SqliteStorageProvider();
        assertThat(p.options()).extracting(ConfigOption::key, ConfigOption::defaultValue).containsExactly(
                org.assertj.core.groups.Tuple.tuple("path", "caxton.db"),
                org.assertj.core.groups.Tuple.tuple("busy_timeout", "5s"),
                org.assertj.core.groups.Tuple.tuple("cache_size", "64000KB"),
                org.assertj.core.groups.Tuple.tuple("mmap_size", "256MB"),
                org.assertj.core.groups.Tuple.tuple("synchronous", "normal"),
                org.assertj.core.groups.Tuple.tuple("pool_size", "4"));
        assertThat(p.options()).filteredOn(o -> o.key().equals("pool_size")).singleElement()
                .satisfies(o -> assertThat(o.rangeText()).isEqualTo("1 to 64"));
        assertThat(p.options()).filteredOn(o -> o.key().equals("synchronous")).singleElement()
                .satisfies(o -> assertThat(o.allowed()).containsExactly("off", "normal", "full"));
    }

    @Test
    void badOptionsAreRejectedNamingTheFullKey() {
        assertThatThrownBy(() -> open(Map.of("pool_size", 0))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("storage.sqlite.pool_size").hasMessageContaining("1 to 64");
        assertThatThrownBy(() -> open(Map.of("synchronous", "sometimes"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("storage.sqlite.synchronous").hasMessageContaining("off, normal, full");
        assertThatThrownBy(() -> open(Map.of("busy_timeout", "soon"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("storage.sqlite.busy_timeout");
        assertThatThrownBy(() -> open(Map.of("cache_size", "1KB"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("storage.sqlite.cache_size").hasMessageContaining("64KB to 16GB");
        assertThatThrownBy(() -> open(Map.of("journal_mode", "delete"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("storage.sqlite.journal_mode").hasMessageContaining("unknown option")
                .hasMessageContaining("busy_timeout");
        assertThat(dataDir.resolve("caxton.db")).as("nothing is created for a bad configuration").doesNotExist();
    }

    // ------------------------------------------------------------------ pragmas

    @Test
    void theDefaultPragmasAreInEffectOnEveryConnection() {
        try (SqliteStorage s = (SqliteStorage) open(Map.of())) {
            Map<String, Map<String, String>> pragmas = s.pragmas();
            assertThat(pragmas).containsOnlyKeys("writer", "reader-1", "reader-2", "reader-3", "reader-4");
            pragmas.forEach((connection, values) -> {
                assertThat(values).as(connection).containsEntry("journal_mode", "wal")
                        .containsEntry("synchronous", "1") // NORMAL
                        .containsEntry("cache_size", "-64000") // the tuning guide's figure
                        .containsEntry("temp_store", "2") // MEMORY
                        .containsEntry("mmap_size", "268435456")
                        .containsEntry("foreign_keys", "1")
                        .containsEntry("busy_timeout", "5000")
                        .containsEntry("query_only", connection.equals("writer") ? "0" : "1");
            });
        }
    }

    @Test
    void configuredOptionsChangeThePragmas() {
        try (SqliteStorage s = (SqliteStorage) open(Map.of("synchronous", "full", "busy_timeout", "250ms",
                "cache_size", "8MB", "mmap_size", 0, "pool_size", 2))) {
            Map<String, Map<String, String>> pragmas = s.pragmas();
            assertThat(pragmas).containsOnlyKeys("writer", "reader-1", "reader-2");
            pragmas.values().forEach(values -> assertThat(values).containsEntry("synchronous", "2")
                    .containsEntry("busy_timeout", "250").containsEntry("cache_size", "-8192")
                    .containsEntry("mmap_size", "0"));
        }
        try (SqliteStorage s = (SqliteStorage) open(Map.of("synchronous", "off"))) {
            assertThat(s.pragmas().get("writer")).containsEntry("synchronous", "0");
        }
    }

    @Test
    void readersCannotWrite() {
        try (SqliteStorage s = (SqliteStorage) open(Map.of())) {
            Database db = s.database();
            assertThatThrownBy(() -> db.read("try a write", c -> {
                c.execute("DELETE FROM agents");
                return null;
            })).isInstanceOf(StorageException.class).hasMessageContaining("readonly");
        }
    }

    // ------------------------------------------------------------------ files and paths

    @Test
    void theDefaultFileIsInTheDataDirectoryAndTheWalIsFoldedInOnClose() throws Exception {
        try (Storage s = open(Map.of())) {
            s.agents().put(agent("a", List.of()));
            assertThat(dataDir.resolve("caxton.db-wal")).exists();
        }
        assertThat(dataDir.resolve("caxton.db")).isRegularFile();
        Path wal = dataDir.resolve("caxton.db-wal");
        assertThat(!Files.exists(wal) || Files.size(wal) == 0).as("WAL removed or emptied on close").isTrue();
        assertThat(query(dataDir.resolve("caxton.db"), "SELECT name FROM agents")).containsExactly(List.of("a"));
    }

    @Test
    void aRelativePathIsCreatedWithItsDirectoriesBelowTheDataDirectory() {
        try (SqliteStorage s = (SqliteStorage) open(Map.of("path", "nested/deeper/store.sqlite"))) {
            assertThat(s.path()).isEqualTo(dataDir.resolve("nested/deeper/store.sqlite").toAbsolutePath());
        }
        assertThat(dataDir.resolve("nested/deeper/store.sqlite")).isRegularFile();
    }

    @Test
    void anAbsolutePathIsUsedAsIs(@TempDir Path elsewhere) {
        Path file = elsewhere.resolve("abs.db");
        try (Storage s = open(Map.of("path", file.toString()))) {
            s.outbox().add(new StoredMessage("m", "r", new byte[] {1}, "", 0, T));
        }
        assertThat(file).isRegularFile();
        assertThat(dataDir.resolve("caxton.db")).doesNotExist();
    }

    @Test
    void aFileThatIsNotADatabaseIsRefusedNamingIt() throws IOException {
        Path file = dataDir.resolve("caxton.db");
        Files.writeString(file, "these are not the pages you are looking for\n".repeat(200));
        assertThatThrownBy(() -> open(Map.of())).isInstanceOf(StorageException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("not a database");
        assertThat(Files.readString(file)).startsWith("these are not the pages").as("left untouched");
    }

    @Test
    void aDirectoryThatCannotBeCreatedIsReportedNamingThePath() throws IOException {
        Files.writeString(dataDir.resolve("blocker"), "a file where a directory is wanted");
        Path wanted = dataDir.resolve("blocker/sub/caxton.db");
        assertThatThrownBy(() -> open(Map.of("path", "blocker/sub/caxton.db"))).isInstanceOf(StorageException.class)
                .hasMessageContaining(wanted.toString()).hasMessageContaining("cannot create its directory");
    }

    @Test
    void aPathThatIsADirectoryIsRefused() throws IOException {
        Files.createDirectories(dataDir.resolve("adir"));
        assertThatThrownBy(() -> open(Map.of("path", "adir"))).isInstanceOf(StorageException.class)
                .hasMessageContaining(dataDir.resolve("adir").toString()).hasMessageContaining("is a directory");
    }

    // ------------------------------------------------------------------ file safety

    private static String mode(Path p) throws IOException {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void theDatabaseItsWalAndShmAreOwnerOnlyAndANewDirectoryIs0700() throws Exception {
        try (Storage s = open(Map.of("path", "private/deeper/caxton.db"))) {
            s.agents().put(agent("a", List.of()));
            Path db = dataDir.resolve("private/deeper/caxton.db");
            assertThat(mode(db)).isEqualTo("rw-------");
            assertThat(mode(Path.of(db + "-wal"))).isEqualTo("rw-------");
            assertThat(mode(Path.of(db + "-shm"))).isEqualTo("rw-------");
            assertThat(mode(dataDir.resolve("private"))).isEqualTo("rwx------");
            assertThat(mode(dataDir.resolve("private/deeper"))).isEqualTo("rwx------");
        }
    }

    @Test
    void aWorldReadableDatabaseFromEarlierIsMadeOwnerOnly() throws Exception {
        try (Storage s = open(Map.of())) {
            s.agents().put(agent("a", List.of()));
        }
        Path db = dataDir.resolve("caxton.db");
        Files.setPosixFilePermissions(db, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        try (Storage s = open(Map.of())) {
            assertThat(s.agents().get("a")).isPresent();
            assertThat(mode(db)).isEqualTo("rw-------");
        }
    }

    @Test
    void aDatabaseTruncatedToZeroBytesIsRefusedNamingIt() throws Exception {
        try (Storage s = open(Map.of())) {
            s.agents().put(agent("a", List.of()));
        }
        Path db = dataDir.resolve("caxton.db");
        Files.write(db, new byte[0]);
        assertThatThrownBy(() -> open(Map.of())).isInstanceOf(StorageException.class)
                .hasMessageContaining(db.toString()).hasMessageContaining("empty (0 bytes)")
                .hasMessageContaining("truncated");
        assertThat(Files.size(db)).as("left as it was").isZero();
    }

    @Test
    void garbageInTheMiddleOfTheFileIsRefusedAtOpenWithThePathAndTheCause() throws Exception {
        try (Storage s = open(Map.of())) {
            for (int i = 0; i < 2000; i++) {
                s.deadLetters().add(new StoredMessage("m-" + i, "r", ("payload " + i).repeat(20)
                        .getBytes(StandardCharsets.UTF_8), "reason " + i, 0, T));
            }
        }
        Path db = dataDir.resolve("caxton.db");
        long size = Files.size(db);
        assertThat(size).isGreaterThan(64 * 4096);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(db, java.nio.file.StandardOpenOption.WRITE)) {
            byte[] junk = new byte[3 * 4096];
            new java.util.Random(42).nextBytes(junk);
            // Page-aligned, in the middle: b-tree pages of the dead-letter table.
            ch.write(java.nio.ByteBuffer.wrap(junk), (size / 2) / 4096 * 4096);
        }
        assertThatThrownBy(() -> open(Map.of())).isInstanceOf(StorageException.class)
                .hasMessageContaining(db.toString()).hasMessageContaining("damaged")
                .hasMessageNotContaining("java.").hasMessageNotContaining("Exception");
    }

    // ------------------------------------------------------------------ migrations

    @Test
    void appliedMigrationsAreRecordedOnceWithTheirChecksums() throws Exception {
        open(Map.of()).close();
        Path file = dataDir.resolve("caxton.db");
        List<List<String>> rows = query(file, "SELECT version, description, applied_at, checksum FROM schema_version");
        assertThat(rows).hasSize(6);
        assertThat(rows.get(1).subList(0, 2)).containsExactly("2", "durability");
        assertThat(rows.get(2).subList(0, 2)).containsExactly("3", "wasi");
        assertThat(rows.get(3).subList(0, 2)).containsExactly("4", "wasi settings");
        assertThat(rows.get(4).subList(0, 2)).containsExactly("5", "extism");
        assertThat(rows.get(5).subList(0, 2)).containsExactly("6", "cpu share");
        List<String> v1 = rows.getFirst();
        assertThat(v1.get(0)).isEqualTo("1");
        assertThat(v1.get(1)).isEqualTo("initial");
        assertThat(Instant.parse(v1.get(2))).isBetween(Instant.now().minusSeconds(60), Instant.now());
        assertThat(v1.get(3)).isEqualTo(sha256OfShippedV1()).hasSize(64);
        assertThat(query(file, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")).flatMap(r -> r)
                .contains("agents", "agent_capabilities", "outbox", "dead_letters", "conversations",
                        "conversation_entries", "schema_version", "handled", "checkpoints", "checkpoint_chunks", "agent_wasi_settings");

        open(Map.of()).close();
        assertThat(query(file, "SELECT version, applied_at FROM schema_version"))
                .as("reopening applies nothing again").containsExactly(List.of("1", v1.get(2)),
                        List.of("2", rows.get(1).get(2)), List.of("3", rows.get(2).get(2)),
                        List.of("4", rows.get(3).get(2)), List.of("5", rows.get(4).get(2)),
                        List.of("6", rows.get(5).get(2)));
    }

    private static String sha256OfShippedV1() throws Exception {
        try (InputStream in = SqliteStorageTest.class.getResourceAsStream("migrations/V1__initial.sql")) {
            byte[] text = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("\r\n", "\n")
                    .getBytes(StandardCharsets.UTF_8);
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(text));
        }
    }

    @Test
    void aDatabaseFromANewerCaxtonIsRefused() throws Exception {
        try (Storage s = open(Map.of())) {
            s.agents().put(agent("keep-me", List.of()));
        }
        Path file = dataDir.resolve("caxton.db");
        update(file, "INSERT INTO schema_version VALUES (7, 'shiny future', '2031-01-01T00:00:00Z', 'abc')");

        assertThatThrownBy(() -> open(Map.of())).isInstanceOf(StorageException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("version 7 (shiny future)")
                .hasMessageContaining("newer than this Caxton knows (up to version 6)");
        assertThat(query(file, "SELECT name FROM agents")).containsExactly(List.of("keep-me"));
    }

    @Test
    void aMigrationWhoseChecksumDiffersIsRefused() throws Exception {
        open(Map.of()).close();
        Path file = dataDir.resolve("caxton.db");
        update(file, "UPDATE schema_version SET checksum = 'deadbeef' WHERE version = 1");

        assertThatThrownBy(() -> open(Map.of())).isInstanceOf(StorageException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("migration V1 (initial) was applied with checksum deadbeef")
                .hasMessageContaining(sha256OfShippedV1());
    }

    @Test
    void aFailedMigrationLeavesTheFileAsItWas() throws Exception {
        Path file = dataDir.resolve("caxton.db");
        update(file, "CREATE TABLE agents (something_else TEXT)");

        assertThatThrownBy(() -> open(Map.of())).isInstanceOf(StorageException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("migration V1 (initial) failed")
                .hasMessageContaining("already exists");
        assertThat(query(file, "SELECT count(*) FROM schema_version")).containsExactly(List.of("0"));
        assertThat(query(file, "SELECT name FROM sqlite_master WHERE name = 'outbox'")).as("rolled back").isEmpty();
    }

    @Test
    void theShippedMigrationsAreWellFormed() {
        assertThat(Migrations.shipped()).extracting(Migrations.Migration::version).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(Migrations.shipped()).extracting(Migrations.Migration::description)
                .containsExactly("initial", "durability", "wasi", "wasi settings", "extism", "cpu share");
        assertThat(Migrations.checksum("a\r\nb")).as("line endings do not matter").isEqualTo(Migrations.checksum("a\nb"));
        assertThat(Migrations.checksum("a\nb")).isNotEqualTo(Migrations.checksum("a\nc"));
    }

    // ------------------------------------------------------------------ schema behaviour

    @Test
    void removalsTakeTheDependentRowsWithThem() throws Exception {
        try (Storage s = open(Map.of())) {
            s.agents().put(agent("a", List.of("x", "y")));
            s.agents().put(agent("b", List.of("z")));
            s.agents().put(agent("a", List.of("only")));
            s.agents().remove("b");
            for (int i = 0; i < 3; i++) {
                s.conversations().append(new ConversationEntry("old", 0, "m" + i, "a", "b", "inform", new byte[0], T));
            }
            s.conversations().append(new ConversationEntry("new", 0, "n", "a", "b", "inform", new byte[0], T.plusSeconds(9)));
            assertThat(s.conversations().removeIdleSince(T.plusSeconds(1))).isEqualTo(1);
        }
        Path file = dataDir.resolve("caxton.db");
        assertThat(query(file, "SELECT agent_name, capability FROM agent_capabilities")).containsExactly(List.of("a", "only"));
        assertThat(query(file, "SELECT conversation_id, count(*) FROM conversation_entries GROUP BY conversation_id"))
                .containsExactly(List.of("new", "1"));
    }

    // ------------------------------------------------------------------ locking and failures

    @Test
    void aWriteBlockedByAnotherProcessFailsAfterTheBusyTimeoutWhileReadsGoOn() throws Exception {
        try (Storage s = open(Map.of("busy_timeout", "200ms"))) {
            s.outbox().add(new StoredMessage("before", "r", new byte[] {1}, "", 0, T));
            try (Connection other = jdbc(dataDir.resolve("caxton.db")); Statement st = other.createStatement()) {
                st.executeUpdate("BEGIN IMMEDIATE");
                long start = System.nanoTime();
                assertThatThrownBy(() -> s.outbox().add(new StoredMessage("blocked", "r", new byte[] {1}, "", 0, T)))
                        .isInstanceOf(StorageException.class)
                        .hasMessageContaining(dataDir.resolve("caxton.db").toString())
                        .hasMessageContaining("store outbox message blocked")
                        .hasMessageContaining("SQLITE_BUSY");
                assertThat((System.nanoTime() - start) / 1_000_000).as("waited about the busy timeout")
                        .isBetween(150L, 5_000L);
                assertThat(s.outbox().pending(10)).as("WAL readers are not blocked by a writer")
                        .extracting(StoredMessage::id).containsExactly("before");
                st.executeUpdate("ROLLBACK");
            }
            s.outbox().add(new StoredMessage("after", "r", new byte[] {1}, "", 0, T));
            assertThat(s.outbox().count()).isEqualTo(2);
        }
    }

    private static List<dev.caxton.spi.storage.StorageWrite> everyKindOfWrite(int i) {
        StoredMessage m = new StoredMessage("m" + i, "r", new byte[] {1}, "", 0, T);
        return List.of(new dev.caxton.spi.storage.StorageWrite.OutboxAdd(m),
                new dev.caxton.spi.storage.StorageWrite.OutboxRemove("r", "m" + (i - 1)),
                new dev.caxton.spi.storage.StorageWrite.MarkHandled("r", "m" + i, T),
                new dev.caxton.spi.storage.StorageWrite.DeadLetterAdd(m),
                new dev.caxton.spi.storage.StorageWrite.CheckpointHeader("a", "d", 64, 16, new long[] {i}, i),
                new dev.caxton.spi.storage.StorageWrite.CheckpointChunk("a", i % 4, new byte[16]),
                new dev.caxton.spi.storage.StorageWrite.CheckpointChunk("a", (i + 1) % 4, null),
                new dev.caxton.spi.storage.StorageWrite.CheckpointDrop("b"));
    }

    @Test
    void batchesReuseTheWritersPreparedStatements() {
        try (SqliteStorage s = (SqliteStorage) open(Map.of())) {
            s.apply(everyKindOfWrite(0));
            s.apply(everyKindOfWrite(1));
            int prepared = s.database().writerStatements();
            for (int i = 2; i < 200; i++) {
                s.apply(everyKindOfWrite(i));
            }
            assertThat(s.database().writerStatements()).as("no statement prepared per call").isEqualTo(prepared);
            assertThat(s.outbox().pending(10)).extracting(StoredMessage::id).containsExactly("m199");
        }
    }

    @Test
    void aBatchBlockedByAnotherProcessFailsWholeNamingTheFileAndStoresNothing() throws Exception {
        try (Storage s = open(Map.of("busy_timeout", "200ms"))) {
            try (Connection other = jdbc(dataDir.resolve("caxton.db")); Statement st = other.createStatement()) {
                st.executeUpdate("BEGIN IMMEDIATE");
                assertThatThrownBy(() -> s.apply(everyKindOfWrite(0))).isInstanceOf(StorageException.class)
                        .hasMessageContaining(dataDir.resolve("caxton.db").toString())
                        .hasMessageContaining("apply a batch of 8 writes")
                        .hasMessageContaining("SQLITE_BUSY")
                        .hasMessageContaining("before its first write")
                        .hasMessageContaining("nothing of the batch was stored");
                st.executeUpdate("ROLLBACK");
            }
            assertThat(s.outbox().count()).isZero();
            assertThat(s.handled().count()).isZero();
            assertThat(s.checkpoints().count()).isZero();
            s.apply(everyKindOfWrite(0));
            assertThat(s.checkpoints().load("a").orElseThrow().version()).isZero();
        }
    }

    @Test
    void aClosedStoreRefusesWorkNamingTheFile() {
        Storage s = open(Map.of());
        s.close();
        assertThatThrownBy(() -> s.agents().list()).isInstanceOf(StorageException.class)
                .hasMessageContaining(dataDir.resolve("caxton.db").toString()).hasMessageContaining("closed");
        assertThatThrownBy(() -> s.outbox().add(new StoredMessage("m", "r", new byte[0], "", 0, T)))
                .isInstanceOf(StorageException.class).hasMessageContaining("closed");
    }

    @Test
    void aNegativeLimitIsAnError() {
        try (Storage s = open(Map.of())) {
            assertThatThrownBy(() -> s.outbox().pending(-1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("-1");
            assertThatThrownBy(() -> s.deadLetters().list(-2)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void namesAreOrderedByTheirUtf8Bytes() {
        String fullwidth = "\uFF5E";
        String robot = "\uD83E\uDD16";
        try (Storage s = open(Map.of())) {
            s.agents().put(agent(robot, List.of()));
            s.agents().put(agent(fullwidth, List.of()));
            s.agents().put(agent("a", List.of()));
            assertThat(s.agents().list()).extracting(AgentRecord::name).containsExactly("a", fullwidth, robot);
        }
    }
}
