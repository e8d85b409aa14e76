package dev.caxton.storage.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.storage.AgentCheckpoint;
import dev.caxton.spi.storage.AgentRecord;
import dev.caxton.spi.storage.ConversationEntry;
import dev.caxton.spi.storage.Storage;
import dev.caxton.spi.storage.StorageException;
import dev.caxton.spi.storage.StorageWrite;
import dev.caxton.spi.storage.StoredMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConfig;

/**
 * Opening files written by earlier schemas, by a newer Caxton, and damaged files: the upgrade keeps
 * the data, and a file that cannot be used is refused without being changed.
 */
class SqliteMigrationTest {

    private static final Instant T = Instant.parse("2025-06-01T12:00:00.123456789Z");

    @TempDir
    Path dataDir;

    private Storage open() {
        return new SqliteStorageProvider().open(ProviderContext.of(ProviderConfig.of("storage.sqlite", Map.of()), dataDir));
    }

    /**
     * Writes a file the way a Caxton that shipped only the first {@code upTo} migrations did: their
     * SQL, their schema_version rows, nothing else.
     */
    private static Connection fileAtVersion(Path file, int upTo) throws SQLException {
        Connection c = new SQLiteConfig().createConnection("jdbc:sqlite:" + file);
        try (Statement s = c.createStatement()) {
            // Every Caxton so far puts its file in WAL mode first thing.
            s.execute("PRAGMA journal_mode = WAL");
            s.executeUpdate("CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, description TEXT NOT NULL, "
                    + "applied_at TEXT NOT NULL, checksum TEXT NOT NULL)");
            for (Migrations.Migration m : Migrations.shipped().subList(0, upTo)) {
                s.executeUpdate(m.sql());
                s.executeUpdate("INSERT INTO schema_version VALUES (" + m.version() + ", '" + m.description()
                        + "', '2025-01-01T00:00:00Z', '" + m.checksum() + "')");
            }
        }
        return c;
    }

    private static void insertMessage(Connection c, String table, long seq, String id, String receiver, Instant at)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (seq, id, receiver, envelope, reason, "
                + "attempts, at_seconds, at_nanos) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setLong(1, seq);
            ps.setString(2, id);
            ps.setString(3, receiver);
            ps.setBytes(4, ("envelope of " + id).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            ps.setString(5, table.equals("outbox") ? "" : "why " + id);
            ps.setInt(6, (int) seq);
            ps.setLong(7, at.getEpochSecond());
            ps.setInt(8, at.getNano());
            ps.executeUpdate();
        }
    }

    private static StoredMessage stored(String table, long seq, String id, String receiver, Instant at) {
        return new StoredMessage(id, receiver, ("envelope of " + id).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                table.equals("outbox") ? "" : "why " + id, (int) seq, at);
    }

    @Test
    void aFileOfTheFirstSchemaWithDataOpensUnderTheCurrentOneWithItsData() throws Exception {
        Path file = dataDir.resolve("caxton.db");
        try (Connection c = fileAtVersion(file, 1); Statement s = c.createStatement()) {
            // seq decides among messages of one instant: "late-seq" was written after "early-seq".
            insertMessage(c, "outbox", 7, "late-seq", "alice", T);
            insertMessage(c, "outbox", 3, "early-seq", "bob", T);
            insertMessage(c, "outbox", 9, "oldest", "alice", T.minusSeconds(1));
            insertMessage(c, "dead_letters", 1, "dl", "nobody", T);
            s.executeUpdate("INSERT INTO agents VALUES ('counter', 'id-1', x'0061736d', 1048576, 100, 0, 'json', '', "
                    + "'running', 1, 2, 3, 4)");
            s.executeUpdate("INSERT INTO agent_capabilities VALUES ('counter', 0, 'count')");
            s.executeUpdate("INSERT INTO conversations VALUES ('conv', 2, 5, 6)");
            s.executeUpdate("INSERT INTO conversation_entries VALUES ('conv', 1, 'm1', 'a', 'b', 'inform', x'01', 5, 6), "
                    + "('conv', 2, 'm2', 'b', 'a', 'agree', x'02', 5, 6)");
        }

        try (Storage s = open()) {
            assertThat(s.outbox().pending(10)).containsExactly(stored("outbox", 9, "oldest", "alice", T.minusSeconds(1)),
                    stored("outbox", 3, "early-seq", "bob", T), stored("outbox", 7, "late-seq", "alice", T));
            assertThat(s.outbox().remove("bob", "early-seq")).as("now keyed by receiver and id").isTrue();
            s.outbox().add(stored("outbox", 0, "oldest", "bob", T));
            assertThat(s.outbox().count()).as("the same id for another receiver is another entry").isEqualTo(3);
            assertThat(s.deadLetters().get("dl")).contains(stored("dead_letters", 1, "dl", "nobody", T));
            assertThat(s.agents().get("counter").orElseThrow().capabilities()).containsExactly("count");
            assertThat(s.agents().get("counter").orElseThrow().cpuShare()).as("stored before shares existed")
                    .isEqualTo(AgentRecord.DEFAULT_CPU_SHARE);
            assertThat(s.agents().get("counter").orElseThrow().module()).containsExactly(0, 'a', 's', 'm');
            assertThat(s.conversations().history("conv")).extracting(ConversationEntry::messageId)
                    .containsExactly("m1", "m2");
            assertThat(s.conversations().append(new ConversationEntry("conv", 0, "m3", "a", "b", "inform", new byte[0],
                    T))).isEqualTo(3);
            s.apply(List.of(new StorageWrite.MarkHandled("alice", "x", T),
                    new StorageWrite.CheckpointHeader("counter", "d", 16, 16, new long[] {1}, 0),
                    new StorageWrite.CheckpointChunk("counter", 0, new byte[16])));
            assertThat(s.handled().contains("alice", "x")).isTrue();
            assertThat(s.checkpoints().load("counter")).contains(new AgentCheckpoint("counter", "d", 16, 16,
                    new long[] {1}, Map.of(0, new byte[16]), 0));
        }
        try (Connection c = new SQLiteConfig().createConnection("jdbc:sqlite:" + file); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT group_concat(version) FROM schema_version")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("1,2,3,4,5,6");
        }
    }

    @Test
    void aFileOfANewerSchemaFailsStartupNamingBothVersionsAndIsLeftAlone() throws Exception {
        Path file = dataDir.resolve("caxton.db");
        int current = Migrations.shipped().size();
        try (Connection c = fileAtVersion(file, current); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO schema_version VALUES (" + (current + 1) + ", 'from the future', "
                    + "'2030-01-01T00:00:00Z', 'feed')");
            insertMessage(c, "outbox", 1, "kept", "r", T);
        }
        byte[] before = Files.readAllBytes(file);
        List<String> filesBefore = filesBeside();

        assertThatThrownBy(this::open).isInstanceOf(StorageException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("version " + (current + 1) + " (from the future)")
                .hasMessageContaining("up to version " + current);
        assertThat(Files.readAllBytes(file)).as("the newer file is not changed").isEqualTo(before);
        assertThat(filesBeside()).isEqualTo(filesBefore);
    }

    // ------------------------------------------------------------------ damaged files

    /** A file of real data, closed cleanly (its WAL folded in), to damage. */
    private Path healthyFile() {
        try (Storage s = open()) {
            for (int i = 0; i < 500; i++) {
                s.deadLetters().add(new StoredMessage("m-" + i, "r", new byte[600], "reason " + i, 0, T));
            }
        }
        Path file = dataDir.resolve("caxton.db");
        for (String suffix : List.of("-wal", "-shm", "-journal")) {
            try {
                Files.deleteIfExists(Path.of(file + suffix));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return file;
    }

    private List<String> filesBeside() throws IOException {
        try (Stream<Path> files = Files.list(dataDir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private void assertRefusedAndUntouched(Path file, String... causes) throws IOException {
        byte[] before = Files.readAllBytes(file);
        List<String> filesBefore = filesBeside();
        var thrown = assertThatThrownBy(this::open).isInstanceOf(StorageException.class)
                .hasMessageContaining(file.toString())
                .hasMessageNotContaining("java.").hasMessageNotContaining("Exception");
        for (String cause : causes) {
            thrown.hasMessageContaining(cause);
        }
        assertThat(Arrays.equals(Files.readAllBytes(file), before)).as("the file keeps its bytes").isTrue();
        assertThat(filesBeside()).as("no -wal, -shm or journal created beside it").isEqualTo(filesBefore);
    }

    @Test
    void aFileOfGarbageFailsStartupWithThePathAndTheCauseAndTouchesNothing() throws IOException {
        Path file = dataDir.resolve("caxton.db");
        byte[] garbage = new byte[64 * 1024];
        new Random(5).nextBytes(garbage);
        Files.write(file, garbage);
        assertRefusedAndUntouched(file, "not a database");
    }

    @Test
    void aTruncatedFileFailsStartupWithThePathAndTheCauseAndTouchesNothing() throws IOException {
        Path file = healthyFile();
        long size = Files.size(file);
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(size / 3);
        }
        assertRefusedAndUntouched(file, "damaged");
    }

    @Test
    void aFileCutInsideItsHeaderFailsStartupAndTouchesNothing() throws IOException {
        Path file = healthyFile();
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(50);
        }
        assertRefusedAndUntouched(file);
    }

    @Test
    void garbageOverPagesInTheMiddleFailsStartupAndTouchesNothing() throws IOException {
        Path file = healthyFile();
        long size = Files.size(file);
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            byte[] junk = new byte[4 * 4096];
            new Random(6).nextBytes(junk);
            ch.write(java.nio.ByteBuffer.wrap(junk), (size / 2) / 4096 * 4096);
        }
        assertRefusedAndUntouched(file, "damaged");
    }

    /**
     * Leaves the file as a node killed while running leaves it: its last commits only in the WAL,
     * beside the main file, with the shared-memory index.
     */
    private Path crashedFile(Path scratch) throws IOException {
        Path file = healthyFile();
        try (Storage s = open()) {
            for (int i = 0; i < 20; i++) {
                s.outbox().add(new StoredMessage("late-" + i, "r", new byte[100], "", 0, T));
            }
            for (String suffix : List.of("", "-wal", "-shm")) {
                Files.copy(Path.of(file + suffix), scratch.resolve("caxton.db" + suffix));
            }
        }
        for (String suffix : List.of("", "-wal", "-shm")) {
            Files.deleteIfExists(Path.of(file + suffix));
            Files.copy(scratch.resolve("caxton.db" + suffix), Path.of(file + suffix));
        }
        return file;
    }

    @Test
    void aHealthyFileLeftByACrashOpensWithTheCommitsOfItsWal(@TempDir Path scratch) throws IOException {
        crashedFile(scratch);
        try (Storage s = open()) {
            assertThat(s.outbox().count()).isEqualTo(20);
            assertThat(s.deadLetters().count()).isEqualTo(500);
        }
    }

    @Test
    void aDamagedFileLeftWithTheWalOfACrashIsNotCheckpointedIntoOnRefusal(@TempDir Path scratch) throws IOException {
        Path file = crashedFile(scratch);
        assertThat(Files.size(Path.of(file + "-wal"))).as("the crash left commits in the WAL").isPositive();
        long size = Files.size(file);
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            byte[] junk = new byte[4 * 4096];
            new Random(7).nextBytes(junk);
            ch.write(java.nio.ByteBuffer.wrap(junk), (size / 2) / 4096 * 4096);
        }
        byte[] wal = Files.readAllBytes(Path.of(file + "-wal"));

        assertRefusedAndUntouched(file, "damaged");
        assertThat(Arrays.equals(Files.readAllBytes(Path.of(file + "-wal")), wal))
                .as("the WAL, which may hold the only copy of the last commits, keeps its bytes").isTrue();
    }

    @Test
    void anUnreadableFileFailsStartupWithThePathAndTouchesNothing() throws IOException {
        Path file = healthyFile();
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("---------"));
        try {
            org.junit.jupiter.api.Assumptions.assumeFalse(Files.isReadable(file), "running as root: every file is readable");
            List<String> filesBefore = filesBeside();
            assertThatThrownBy(this::open).isInstanceOf(StorageException.class).hasMessageContaining(file.toString());
            assertThat(filesBeside()).isEqualTo(filesBefore);
        } finally {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
    }
}
