package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the node keeps on disk, through the image as a process: who may read it, what survives a
 * restart (a failed agent stays failed), what a stop does to queued messages, and how a damaged,
 * truncated database or a weak token file is refused at start instead of discovered later.
 */
class StorageSafetyTest {

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    private static String state(Image.Server s, String agent) {
        Image.Result r = s.cli("agent", "inspect", agent, "--output", "json");
        assertThat(r.exit()).as(r.err()).isZero();
        return r.json().get("state").asText();
    }

    /** Starts the image on the configuration the earlier server of {@code dir} used, expecting it to refuse. */
    private static String startRefused(Path dir) throws Exception {
        Path log = dir.resolve("refused.log");
        Process p = new ProcessBuilder(Image.launcher().toString(), "server", "start", "--config",
                dir.resolve("caxton.yaml").toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the server started although it should have refused:\n" + Files.readString(log));
        }
        assertThat(p.exitValue()).as(Files.readString(log)).isNotZero();
        String out = Files.readString(log);
        assertThat(out).doesNotContain("Exception").doesNotContain("\tat ");
        return out;
    }

    /** Runs a node with one agent until SIGTERM, so its database holds something; returns the file. */
    private static Path databaseOfAStoppedNode(Path dir) throws Exception {
        try (Image.Server s = new Image.Server(dir, "")) {
            assertThat(s.cli("agent", "deploy", Image.example("echo/echo.wasm").toString(), "--name", "echo").exit()).isZero();
            return s.dataDir.resolve("caxton.db");
        }
    }

    @Test
    @DisplayName("the data directory is 0700 and the token, database, -wal and -shm files are 0600")
    void filesArePrivate(@TempDir Path dir) throws Exception {
        try (Image.Server s = new Image.Server(dir, "")) {
            assertThat(s.cli("agent", "deploy", Image.example("echo/echo.wasm").toString(), "--name", "echo").exit()).isZero();
            assertThat(mode(s.dataDir)).isEqualTo("rwx------");
            for (String f : List.of("api-token", "caxton.db", "caxton.db-wal", "caxton.db-shm")) {
                assertThat(mode(s.dataDir.resolve(f))).as(f).isEqualTo("rw-------");
            }
        }
    }

    @Test
    @DisplayName("an agent marked failed is still failed after a restart, and a reload brings it back")
    void failedAgentStaysFailed(@TempDir Path dir) throws Exception {
        String yaml = "agents:\n  max_failures: 1\n";
        try (Image.Server s = new Image.Server(dir, yaml)) {
            assertThat(s.cli("agent", "deploy", Image.testAgent("trap.wasm").toString(), "--name", "t").exit()).isZero();
            s.cli("message", "send", "--to", "t", "--performative", "request", "--content", "{}", "--wait", "10s");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!state(s, "t").equals("failed") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(state(s, "t")).isEqualTo("failed");
            assertThat(s.terminate()).isZero();
        }
        try (Image.Server s = new Image.Server(dir, yaml)) {
            assertThat(state(s, "t")).isEqualTo("failed");
            Image.Result sent = s.cli("message", "send", "--to", "t", "--performative", "request", "--content", "{}",
                    "--wait", "10s", "--output", "json");
            assertThat(sent.out() + sent.err()).contains("failed");
            Image.Result reload = s.cli("agent", "reload", "t", Image.example("echo/echo.wasm").toString());
            assertThat(reload.exit()).as(reload.err()).isZero();
            assertThat(state(s, "t")).isEqualTo("running");
        }
    }

    @Test
    @DisplayName("SIGTERM with messages still queued dead-letters them as 'node stopping', not as agent faults")
    void sigtermDeadLettersQueuedAsNodeStopping(@TempDir Path dir) throws Exception {
        // A dotted key at the top level, since the helper writes the server section itself.
        String yaml = "server.shutdown_timeout: 200ms\n";
        try (Image.Server s = new Image.Server(dir, yaml)) {
            assertThat(s.cli("agent", "deploy", Image.testAgent("sleepy.wasm").toString(), "--name", "slow").exit()).isZero();
            // 100 messages of 50 ms each: far more than 200 ms of work is queued when SIGTERM comes.
            for (int i = 0; i < 100; i++) {
                HttpResponse<String> r = s.http("POST", "/api/v1/messages",
                        "{\"performative\":\"inform\",\"receiver\":\"slow\",\"content\":\"m" + i + "\"}", s.token());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            }
            assertThat(s.terminate()).isZero();
        }
        try (Image.Server again = new Image.Server(dir, yaml)) {
            JsonNode dl = again.api("GET", "/api/v1/dead-letters?limit=1000", null);
            List<String> reasons = new ArrayList<>();
            dl.get("dead_letters").forEach(d -> reasons.add(d.get("reason").asText()));
            assertThat(reasons).isNotEmpty().allSatisfy(r -> assertThat(r).startsWith("node stopping"));
            assertThat(state(again, "slow")).as("a stop is not the agent's fault").isEqualTo("running");
        }
    }

    @Test
    @DisplayName("garbage in the middle of the database stops the start with the path and the cause")
    void damagedDatabaseIsRefused(@TempDir Path dir) throws Exception {
        Path db;
        // The trapping agent must never be marked failed: the API refuses messages to a failed agent,
        // and every message here has to become a dead letter.
        String yaml = "agents:\n  max_failures: 1000000\n";
        try (Image.Server s = new Image.Server(dir, yaml)) {
            // Dead letters give the file pages that nothing reads at start (each message traps).
            assertThat(s.cli("agent", "deploy", Image.testAgent("trap.wasm").toString(), "--name", "t").exit()).isZero();
            String pad = "x".repeat(400);
            for (int i = 0; i < 300; i++) {
                s.http("POST", "/api/v1/messages", "{\"performative\":\"inform\",\"receiver\":\"t\",\"content\":\""
                        + pad + i + "\"}", s.token());
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (s.api("GET", "/api/v1/dead-letters?limit=1", null).get("total").asInt() < 300
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            db = s.dataDir.resolve("caxton.db");
        }
        long size = Files.size(db);
        assertThat(size).isGreaterThan(16 * 4096L);
        try (FileChannel ch = FileChannel.open(db, StandardOpenOption.WRITE)) {
            byte[] junk = new byte[2 * 4096];
            new Random(7).nextBytes(junk);
            // Two pages in the middle of the file, among the dead letters: an unchecked start would
            // come up healthy and fail only when they are read or written.
            ch.write(ByteBuffer.wrap(junk), size / 2 / 4096 * 4096);
        }
        String out = startRefused(dir);
        assertThat(out).contains(db.toString()).contains("damaged").contains("quick_check");
    }

    @Test
    @DisplayName("a database truncated to 0 bytes is refused, not taken for a new one")
    void truncatedDatabaseIsRefused(@TempDir Path dir) throws Exception {
        Path db = databaseOfAStoppedNode(dir);
        Files.write(db, new byte[0]);
        String out = startRefused(dir);
        assertThat(out).contains(db.toString()).contains("0 bytes");
        assertThat(Files.size(db)).isZero();
    }

    @Test
    @DisplayName("a short token file, or one readable by others, is refused with its path and the rule")
    void weakTokenFileIsRefused(@TempDir Path dir) throws Exception {
        try (Image.Server s = new Image.Server(dir, "")) {
            assertThat(s.token()).hasSizeGreaterThanOrEqualTo(32);
        }
        Path token = dir.resolve("data/api-token");
        Files.writeString(token, "x\n");
        String shortOne = startRefused(dir);
        assertThat(shortOne).contains(token.toString()).contains("at least 32");

        Files.writeString(token, "0123456789abcdef".repeat(4) + "\n");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-r--r--"));
        String shared = startRefused(dir);
        assertThat(shared).contains(token.toString()).contains("chmod 600");
    }
}
