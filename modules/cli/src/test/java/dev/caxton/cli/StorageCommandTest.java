package dev.caxton.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code caxton storage backup FILE} against the fake API: what it asks, what it writes, what it refuses. */
class StorageCommandTest {

    private static final byte[] COPY = "SQLite format 3\0 pretend pages".getBytes(StandardCharsets.ISO_8859_1);

    @TempDir
    Path dir;

    private FakeApi api() throws IOException {
        return new FakeApi().onBytes("POST", "/api/v1/storage/backup", 200, "application/octet-stream", COPY,
                Map.of("X-Caxton-Backup-Millis", "42"));
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesTheCopyPrivatelyAndSaysHowBigAndHowLong() throws Exception {
        Path file = dir.resolve("node.db");
        try (FakeApi api = api()) {
            Cli.Result r = Cli.against(api, "storage", "backup", file.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(api.only().method()).isEqualTo("POST");
            assertThat(api.only().path()).isEqualTo("/api/v1/storage/backup");
            assertThat(api.only().token()).isEqualTo(FakeApi.TOKEN);
            assertThat(r.out()).contains("backed up").contains(file.toString()).contains(COPY.length + " bytes")
                    .contains(" s").contains("42 ms");
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(COPY);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(files()).containsExactly("node.db");
    }

    @Test
    void jsonOutputGivesTheFileAndTheFigures() throws Exception {
        Path file = dir.resolve("node.db");
        try (FakeApi api = api()) {
            Cli.Result r = Cli.against(api, "storage", "backup", file.toString(), "--output", "json");
            assertThat(r.code()).as(r.err()).isZero();
            var json = Json.mapper().readTree(r.out());
            assertThat(json.get("file").asText()).isEqualTo(file.toString());
            assertThat(json.get("bytes").asLong()).isEqualTo(COPY.length);
            assertThat(json.get("node_copy_ms").asLong()).isEqualTo(42);
            assertThat(json.has("seconds")).isTrue();
        }
    }

    @Test
    void anExistingFileIsRefusedUnlessForcedAndNothingIsAsked() throws Exception {
        Path file = Files.writeString(dir.resolve("node.db"), "old backup");
        try (FakeApi api = api()) {
            Cli.Result r = Cli.against(api, "storage", "backup", file.toString());
            assertThat(r.code()).isEqualTo(CliException.FAILURE);
            assertThat(r.errLines()).hasSize(1);
            assertThat(r.err()).contains(file.toString()).contains("already exists").contains("--force");
            assertThat(api.requests()).isEmpty();
            assertThat(Files.readString(file)).isEqualTo("old backup");

            Cli.Result forced = Cli.against(api, "storage", "backup", file.toString(), "--force");
            assertThat(forced.code()).as(forced.err()).isZero();
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(COPY);
        assertThat(files()).containsExactly("node.db");
    }

    @Test
    void aRefusalOfTheNodeIsShownAndLeavesNoFile() throws Exception {
        Path file = dir.resolve("node.db");
        try (FakeApi api = new FakeApi().on("POST", "/api/v1/storage/backup", 409,
                "{\"error\":\"a backup of this node is already running; try again when it has finished\",\"details\":{}}")) {
            Cli.Result r = Cli.against(api, "storage", "backup", file.toString());
            assertThat(r.code()).isEqualTo(CliException.FAILURE);
            assertThat(r.errLines()).hasSize(1);
            assertThat(r.err()).contains("409").contains("already running");
        }
        assertThat(files()).isEmpty();
    }

    @Test
    void aMissingDirectoryIsNamedBeforeAnythingIsAsked() throws Exception {
        Path file = dir.resolve("nowhere/node.db");
        try (FakeApi api = api()) {
            Cli.Result r = Cli.against(api, "storage", "backup", file.toString());
            assertThat(r.code()).isEqualTo(CliException.FAILURE);
            assertThat(r.err()).contains(dir.resolve("nowhere").toString()).contains("does not exist");
            assertThat(api.requests()).isEmpty();
        }
    }

    @Test
    void aWrongTokenIsRefusedWithTheHint() throws Exception {
        Path file = dir.resolve("node.db");
        try (FakeApi api = api()) {
            Cli.Result r = Cli.run("storage", "backup", file.toString(), "--server", api.url(), "--token", "wrong");
            assertThat(r.code()).isEqualTo(CliException.FAILURE);
            assertThat(r.err()).contains("401").contains("--token");
        }
        assertThat(files()).isEmpty();
    }
}
