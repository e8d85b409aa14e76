package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code caxton storage backup} through the image: a backup of a node on SQLite taken while a
 * client keeps sending it messages, a second node started on the copy (by pointing
 * {@code storage.sqlite.path} at it, and by copying it into a data directory), and the refusals.
 */
class StorageBackupTest {

    private static final List<String> AGENTS = List.of("echo-1", "echo-2", "echo-3");

    private static TreeSet<String> agentNames(Image.Server s) throws IOException, InterruptedException {
        TreeSet<String> names = new TreeSet<>();
        s.api("GET", "/api/v1/agents", null).get("agents").forEach(a -> names.add(a.get("name").asText()));
        return names;
    }

    private static void awaitAtLeast(AtomicLong counter, long n, CompletableFuture<?> client) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (counter.get() < n) {
            if (client.isDone()) {
                client.join();
                throw new AssertionError("the client stopped early");
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the client did not reach " + n + " messages (at " + counter.get() + ")");
            }
            Thread.sleep(20);
        }
    }

    private static void echoAnswers(Image.Server s, String agent) {
        Image.Result r = s.cli("message", "send", "--to", agent, "--performative", "request",
                "--content", "{\"text\":\"after restore\"}", "--wait", "30s", "--output", "json");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("after restore");
    }

    @Test
    @DisplayName("a backup taken under traffic starts a second node with the same agents, by path and by copy")
    void backupUnderTrafficAndRestore(@TempDir Path dir) throws Exception {
        Path backup = dir.resolve("node-a.db");
        try (Image.Server a = new Image.Server(Files.createDirectories(dir.resolve("a")), "")) {
            for (String name : AGENTS) {
                Image.Result d = a.cli("agent", "deploy", Image.example("echo/echo.wasm").toString(), "--name", name);
                assertThat(d.exit()).as(d.err()).isZero();
            }
            String token = a.token();
            AtomicLong accepted = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            List<String> refusals = new ArrayList<>();
            CompletableFuture<Void> client = CompletableFuture.runAsync(() -> {
                try {
                    long i = 0;
                    while (!stop.get()) {
                        HttpResponse<String> r = a.http("POST", "/api/v1/messages", "{\"performative\":\"inform\","
                                + "\"receiver\":\"" + AGENTS.get((int) (i % AGENTS.size())) + "\",\"content\":\"m" + i++ + "\"}",
                                token);
                        if (r.statusCode() == 202) {
                            accepted.incrementAndGet();
                        } else {
                            refusals.add(r.statusCode() + " " + r.body());
                        }
                    }
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            try {
                awaitAtLeast(accepted, 50, client);
                long before = accepted.get();
                Image.Result r = a.cli("storage", "backup", backup.toString());
                assertThat(r.exit()).as(r.err()).isZero();
                assertThat(r.out()).contains("backed up").contains(backup.toString()).contains(" s");
                // The figures, for the report: size and time as the command printed them.
                System.out.println("[backup under traffic] " + r.out().strip() + "; " + (accepted.get() - before)
                        + " messages accepted while it ran");
                // Traffic goes on after the backup, untouched by it.
                awaitAtLeast(accepted, accepted.get() + 50, client);
            } finally {
                stop.set(true);
                client.join();
            }
            assertThat(refusals).as("no message was refused while the backup ran").isEmpty();

            // Without the right token the node copies nothing.
            Path refused = dir.resolve("refused.db");
            Image.Result noToken = Image.run("storage", "backup", refused.toString(), "--server", a.url(), "--token", "wrong");
            assertThat(noToken.exit()).isEqualTo(1);
            assertThat(noToken.err()).contains("401");
            assertThat(refused).doesNotExist();
            assertThat(a.http("POST", "/api/v1/storage/backup", null, null).statusCode()).isEqualTo(401);

            // An existing file is kept unless --force.
            Image.Result again = a.cli("storage", "backup", backup.toString());
            assertThat(again.exit()).isEqualTo(1);
            assertThat(again.err()).contains("already exists").contains("--force");

            try (Stream<Path> files = Files.list(a.dataDir)) {
                assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("backup-in-progress-"));
            }
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(backup))).isEqualTo("rw-------");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".partial"));
        }

        // Restore 1: a node whose storage.sqlite.path names the backup file.
        Path inPlace = dir.resolve("restored-in-place.db");
        Files.copy(backup, inPlace);
        try (Image.Server b = new Image.Server(Files.createDirectories(dir.resolve("b")), "storage:\n  sqlite:\n    path: " + inPlace + "\n")) {
            assertThat(agentNames(b)).containsExactlyElementsOf(new TreeSet<>(AGENTS));
            echoAnswers(b, "echo-2");
            assertThat(Files.exists(b.dataDir.resolve("caxton.db"))).as("the configured file is used").isFalse();
        }

        // Restore 2: the backup copied into a stopped node's data directory as its database.
        Path cData = dir.resolve("c/data");
        Files.createDirectories(cData, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.copy(backup, cData.resolve("caxton.db"));
        try (Image.Server c = new Image.Server(dir.resolve("c"), "")) {
            assertThat(agentNames(c)).containsExactlyElementsOf(new TreeSet<>(AGENTS));
            echoAnswers(c, "echo-3");
        }
    }

    @Test
    @DisplayName("a node on memory storage refuses a backup with a clear message and no file is written")
    void memoryStorageRefuses(@TempDir Path dir) throws Exception {
        Path backup = dir.resolve("memory.db");
        try (Image.Server s = new Image.Server(Files.createDirectories(dir.resolve("m")), "storage:\n  type: memory\n")) {
            Image.Result r = s.cli("storage", "backup", backup.toString());
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err().lines().toList()).singleElement().asString().startsWith("caxton: 400 ")
                    .contains("storage.type: memory").contains("cannot be backed up")
                    .doesNotContain("Exception").doesNotContain("java.");
            JsonNode body = Image.JSON.readTree(s.http("POST", "/api/v1/storage/backup", null, s.token()).body());
            assertThat(body.get("error").asText()).contains("cannot be backed up");
        }
        assertThat(backup).doesNotExist();
    }
}
