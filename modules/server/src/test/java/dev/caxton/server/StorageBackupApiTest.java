package dev.caxton.server;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /api/v1/storage/backup} on a real server: the copy streamed as bytes with its length,
 * the temporary copy gone afterwards, one backup at a time, and clear refusals.
 */
class StorageBackupApiTest {

    private static final String FAKE = "storage:\n  type: fake-file\n";

    @TempDir
    Path dir;

    @AfterEach
    void reset() {
        FakeFileStorageProvider.gate = null;
        FakeFileStorageProvider.failure = null;
        FakeFileStorageProvider.size = 0;
        FakeFileStorageProvider.atGate = new CountDownLatch(0);
    }

    private long leftovers() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("data"))) {
            return files.filter(p -> p.getFileName().toString().startsWith(StorageBackup.TEMP_PREFIX)).count();
        }
    }

    @Test
    void theCopyIsStreamedWithItsLengthAndTheTemporaryFileIsDeleted() throws Exception {
        try (TestServer s = new TestServer(dir, "", FAKE)) {
            TestServer.Res r = s.call("POST", "/api/v1/storage/backup", null);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.header("content-type")).isEqualTo("application/octet-stream");
            assertThat(r.header("content-length")).isEqualTo(Integer.toString(FakeFileStorageProvider.CONTENT.length()));
            assertThat(r.header("content-disposition")).startsWith("attachment; filename=\"caxton-");
            assertThat(r.header(StorageBackup.MILLIS_HEADER)).containsOnlyDigits();
            assertThat(r.body()).isEqualTo(FakeFileStorageProvider.CONTENT);
            TestServer.await("the temporary copy is deleted", () -> {
                try {
                    return leftovers() == 0;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            // The endpoint is free again for the next backup.
            assertThat(s.call("POST", "/api/v1/storage/backup", null).status()).isEqualTo(200);
        }
    }

    @Test
    void aLargeCopyArrivesWholeOnAConnectionThatStaysUsable() throws Exception {
        FakeFileStorageProvider.size = 8 << 20;
        try (TestServer s = new TestServer(dir, "", FAKE);
                java.net.Socket socket = new java.net.Socket("127.0.0.1", s.port)) {
            socket.setSoTimeout(120_000);
            var out = socket.getOutputStream();
            var in = new java.io.BufferedInputStream(socket.getInputStream());
            out.write(TestServer.request("POST", "/api/v1/storage/backup", null, s.token, true).getBytes(StandardCharsets.UTF_8));
            out.flush();
            TestServer.Res r = TestServer.readOne(in);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(new String(FakeFileStorageProvider.pattern(8 << 20), StandardCharsets.UTF_8));
            // The same connection takes the next request: the file's end was framed right.
            out.write(TestServer.request("GET", "/api/v1/health", null, s.token, true).getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertThat(TestServer.readOne(in).status()).isEqualTo(200);
        }
    }

    @Test
    void aClientThatHangsUpMidDownloadFreesTheEndpointAndTheFileIsDeleted() throws Exception {
        FakeFileStorageProvider.size = 32 << 20;
        try (TestServer s = new TestServer(dir, "", FAKE)) {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", s.port)) {
                socket.getOutputStream().write(TestServer.request("POST", "/api/v1/storage/backup", null, s.token, true)
                        .getBytes(StandardCharsets.UTF_8));
                socket.getOutputStream().flush();
                // Some of the body, then away: far more than the socket buffers remains unsent.
                assertThat(socket.getInputStream().readNBytes(4096)).hasSize(4096);
                socket.setSoLinger(true, 0);
            }
            TestServer.await("the abandoned copy is deleted", () -> {
                try {
                    return leftovers() == 0;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            FakeFileStorageProvider.size = 0;
            TestServer.await("the endpoint takes a new backup", () -> {
                try {
                    return s.call("POST", "/api/v1/storage/backup", null).status() == 200;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
    }

    @Test
    void withoutTheTokenNothingIsCopied() throws Exception {
        try (TestServer s = new TestServer(dir, "", FAKE)) {
            int before = FakeFileStorageProvider.STARTED.get();
            TestServer.Res r = TestServer.raw(s.port, TestServer.request("POST", "/api/v1/storage/backup", null, null, false));
            assertThat(r.status()).isEqualTo(401);
            assertThat(r.body()).contains("token");
            assertThat(FakeFileStorageProvider.STARTED.get()).isEqualTo(before);
            TestServer.Res get = s.call("GET", "/api/v1/storage/backup", null);
            assertThat(get.status()).isEqualTo(405);
            assertThat(get.header("allow")).isEqualTo("POST");
        }
    }

    @Test
    void aSecondBackupWhileOneRunsGets409AndTheFirstCompletes() throws Exception {
        FakeFileStorageProvider.gate = new Semaphore(0);
        FakeFileStorageProvider.atGate = new CountDownLatch(1);
        try (TestServer s = new TestServer(dir, "", FAKE)) {
            CompletableFuture<TestServer.Res> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return s.call("POST", "/api/v1/storage/backup", null);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            FakeFileStorageProvider.atGate.await();
            TestServer.Res second = s.call("POST", "/api/v1/storage/backup", null);
            assertThat(second.status()).isEqualTo(409);
            assertThat(second.body()).contains("already running");
            assertThat(second.header("retry-after")).isNotNull();
            FakeFileStorageProvider.gate.release(2);
            assertThat(first.get().status()).isEqualTo(200);
            assertThat(first.get().body()).isEqualTo(FakeFileStorageProvider.CONTENT);
        }
    }

    @Test
    void aFailedCopyIsA500SayingWhyAndLeavesNoFile() throws Exception {
        FakeFileStorageProvider.failure = "cannot back up to /x: disk full";
        try (TestServer s = new TestServer(dir, "", FAKE)) {
            TestServer.Res r = s.call("POST", "/api/v1/storage/backup", null);
            assertThat(r.status()).isEqualTo(500);
            assertThat(r.body()).contains("the backup failed").contains("disk full").doesNotContain("Exception");
            assertThat(leftovers()).isZero();
            FakeFileStorageProvider.failure = null;
            assertThat(s.call("POST", "/api/v1/storage/backup", null).status()).as("the lock was released").isEqualTo(200);
        }
    }

    @Test
    void memoryStorageIsRefusedWithAClearMessage() throws Exception {
        try (TestServer s = new TestServer(dir, "", "")) {
            TestServer.Res r = s.call("POST", "/api/v1/storage/backup", null);
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.header("content-type")).isEqualTo("application/json");
            assertThat(r.body()).contains("storage.type: memory").contains("cannot be backed up")
                    .doesNotContain("Exception").doesNotContain("java.").doesNotContain("dev.caxton");
            assertThat(leftovers()).isZero();
        }
    }
}
