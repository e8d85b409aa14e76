package dev.caxton.storage.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.storage.AgentRecord;
import dev.caxton.spi.storage.Storage;
import dev.caxton.spi.storage.StorageException;
import dev.caxton.spi.storage.StoredMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConfig;

/** The online backup: a consistent, private, intact copy made while another thread keeps writing. */
class SqliteBackupTest {

    private static final Instant T = Instant.parse("2025-06-01T12:00:00Z");

    @TempDir
    Path dir;

    private Storage open(Path file) {
        return new SqliteStorageProvider().open(ProviderContext.of(
                ProviderConfig.of("storage.sqlite", Map.of("path", file.toString())), dir));
    }

    private static AgentRecord agent(String name, int moduleBytes) {
        byte[] module = new byte[moduleBytes];
        module[1] = 97;
        return new AgentRecord(name, "id-" + name, module, 1 << 20, 100, 0, List.of("echo"), "json", "", "running", T, T);
    }

    private static StoredMessage letter(long i) {
        return new StoredMessage("m" + i, "echo", ("payload " + i).getBytes(StandardCharsets.UTF_8), "test", 0, T);
    }

    private static List<String> column(Path file, String sql) throws SQLException {
        try (Connection c = new SQLiteConfig().createConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            List<String> values = new ArrayList<>();
            while (rs.next()) {
                values.add(rs.getString(1));
            }
            return values;
        }
    }

    /** Writes dead letters as fast as it can until stopped; counts what it committed. */
    private static final class Writer implements AutoCloseable {
        final AtomicLong committed = new AtomicLong();
        final AtomicBoolean stop = new AtomicBoolean();
        final CompletableFuture<Void> done;

        Writer(Storage s) {
            done = CompletableFuture.runAsync(() -> {
                while (!stop.get()) {
                    s.deadLetters().add(letter(committed.get()));
                    committed.incrementAndGet();
                }
            });
        }

        /** Waits until at least {@code n} more writes have committed, so the copy surely overlapped writes. */
        void await(long n) throws InterruptedException {
            long target = committed.get() + n;
            while (committed.get() < target) {
                if (done.isDone()) {
                    done.join();
                }
                Thread.sleep(5);
            }
        }

        @Override
        public void close() {
            stop.set(true);
            done.join();
        }
    }

    @Test
    void aBackupTakenWhileWritingOpensAsACaxtonDatabaseWithEverythingCommittedBeforeIt() throws Exception {
        Path file = dir.resolve("caxton.db");
        Path copy = dir.resolve("backup.db");
        long before;
        long after;
        try (Storage s = open(file)) {
            for (int i = 0; i < 20; i++) {
                s.agents().put(agent("a" + i, 50_000));
            }
            try (Writer w = new Writer(s)) {
                w.await(50);
                before = w.committed.get();
                s.backup(copy);
                after = w.committed.get();
                w.await(50);
            }
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy))).isEqualTo("rw-------");
        assertThat(column(copy, "PRAGMA integrity_check")).containsExactly("ok");
        assertThat(column(copy, "SELECT version || ' ' || checksum FROM schema_version ORDER BY version"))
                .isEqualTo(column(file, "SELECT version || ' ' || checksum FROM schema_version ORDER BY version"));
        long copied = Long.parseLong(column(copy, "SELECT count(*) FROM dead_letters").getFirst());
        // One instant's state: everything committed before the call, nothing after it returned.
        assertThat(copied).isBetween(before, after);
        // The node's own code opens it: migrations accept it and the agents are there.
        try (Storage restored = open(copy)) {
            assertThat(restored.agents().list()).hasSize(20);
            assertThat(restored.agents().get("a7")).hasValueSatisfying(a -> assertThat(a.module()).hasSize(50_000));
            assertThat(restored.deadLetters().count()).isEqualTo(copied);
        }
    }

    @Test
    void anExistingTargetIsRefusedByNameAndLeftAlone() throws Exception {
        Path copy = Files.writeString(dir.resolve("old.db"), "precious");
        try (Storage s = open(dir.resolve("caxton.db"))) {
            assertThatThrownBy(() -> s.backup(copy)).isInstanceOf(StorageException.class)
                    .hasMessageContaining(copy.toString()).hasMessageContaining("already exists");
        }
        assertThat(Files.readString(copy)).isEqualTo("precious");
    }

    @Test
    void aMissingDirectoryIsNamedAndNothingIsCreated() {
        Path copy = dir.resolve("no/such/dir/backup.db");
        try (Storage s = open(dir.resolve("caxton.db"))) {
            assertThatThrownBy(() -> s.backup(copy)).isInstanceOf(StorageException.class)
                    .hasMessageContaining(dir.resolve("no/such/dir").toString()).hasMessageContaining("does not exist");
        }
        assertThat(dir.resolve("no")).doesNotExist();
    }

    /**
     * The figures behind the choice in {@link SqliteBackup}: VACUUM INTO against sqlite-jdbc's
     * {@code backup to} (the backup API, stepwise), each while a writer commits as fast as it can.
     * Reported, not asserted: the machine's load decides the numbers.
     */
    @Test
    void measureVacuumIntoAgainstTheBackupApiUnderWrites() throws Exception {
        Path file = dir.resolve("caxton.db");
        try (Storage s = open(file)) {
            for (int i = 0; i < 200; i++) {
                s.agents().put(agent("a" + i, 100_000));
            }
            try (Writer w = new Writer(s)) {
                w.await(50);
                long n0 = w.committed.get();
                long t0 = System.nanoTime();
                s.backup(dir.resolve("vacuum.db"));
                long vacuumMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                long vacuumWrites = w.committed.get() - n0;

                long n1 = w.committed.get();
                long t1 = System.nanoTime();
                CompletableFuture<Void> api = CompletableFuture.runAsync(() -> {
                    try (Connection c = new SQLiteConfig().createConnection("jdbc:sqlite:" + file);
                            Statement st = c.createStatement()) {
                        st.executeUpdate("backup to " + dir.resolve("api.db"));
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                String apiResult;
                try {
                    api.get(10, TimeUnit.SECONDS);
                    apiResult = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1) + " ms";
                } catch (TimeoutException e) {
                    apiResult = "not finished after 10 s (it restarts whenever the writer commits)";
                }
                long apiWrites = w.committed.get() - n1;
                System.out.printf("[backup figures] %.1f MB database: VACUUM INTO %d ms with %d writes committed "
                        + "meanwhile; backup API (backup to) %s with %d writes committed meanwhile%n",
                        Files.size(file) / 1e6, vacuumMs, vacuumWrites, apiResult, apiWrites);
                w.stop.set(true);
                api.exceptionally(t -> null).get(5, TimeUnit.MINUTES);
            }
        }
    }
}
