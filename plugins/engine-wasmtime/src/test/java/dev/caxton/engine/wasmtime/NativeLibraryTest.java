package dev.caxton.engine.wasmtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import dev.caxton.engine.wasmtime.probe.NativeCacheProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native library's place and the platforms it exists for: extracted once into the data
 * directory, repaired when damaged, loaded from there (never from the temporary directory), and a
 * clear reason on platforms the binding has no library for.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class NativeLibraryTest {

    @Test
    void platformsTheBindingHasNoLibraryForAreExplained() {
        assertThat(Platform.of("FreeBSD", "amd64").unsupportedReason()).get().asString()
                .contains("FreeBSD (amd64)")
                .contains(Platform.SUPPORTED)
                .contains("chicory");
        assertThat(Platform.of("Linux", "ppc64le").unsupportedReason()).get().asString().contains("Linux (ppc64le)");
        assertThat(Platform.of("Linux", "riscv64").unsupportedReason()).isPresent();
        assertThat(Platform.of("Windows 11", "aarch64").unsupportedReason()).isPresent();
        for (String[] supported : new String[][] {{"Linux", "amd64"}, {"Linux", "aarch64"}, {"Mac OS X", "x86_64"},
                {"Mac OS X", "aarch64"}, {"Windows Server 2022", "amd64"}}) {
            assertThat(Platform.of(supported[0], supported[1]).unsupportedReason()).as(String.join(" ", supported)).isEmpty();
        }
    }

    @Test
    void libraryFilesAreNamedAsTheBindingNamesThem() {
        assertThat(Platform.of("Linux", "amd64").libraryFile("0.19.0")).isEqualTo("libwasmtime_jni_0.19.0_linux_x86_64.so");
        assertThat(Platform.of("Mac OS X", "aarch64").libraryFile("0.19.0"))
                .isEqualTo("libwasmtime_jni_0.19.0_macos_aarch64.dylib");
        assertThat(Platform.of("Windows 10", "amd64").libraryFile("0.19.0")).isEqualTo("wasmtime_jni_0.19.0_windows_x86_64.dll");
        assertThat(NativeLibrary.isBundled(Platform.of("Linux", "aarch64"))).isTrue();
        assertThat(NativeLibrary.bindingVersion()).isEqualTo("0.19.0");
    }

    @Test
    void theLibraryIsExtractedOnceAndRepairedWhenDamaged(@TempDir Path dataDir) throws IOException {
        Platform platform = Platform.current();
        Path library = NativeLibrary.extract(dataDir, platform);
        assertThat(library).isEqualTo(dataDir.resolve("native/wasmtime-java-0.19.0").resolve(platform.libraryFile("0.19.0")));
        long size = Files.size(library);
        assertThat(size).isGreaterThan(1_000_000);

        FileTime old = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(library, old);
        assertThat(NativeLibrary.extract(dataDir, platform)).isEqualTo(library);
        assertThat(Files.getLastModifiedTime(library)).as("an intact copy is not rewritten").isEqualTo(old);

        Files.write(library, new byte[100]);
        NativeLibrary.extract(dataDir, platform);
        assertThat(Files.size(library)).as("a damaged copy is replaced").isEqualTo(size);
        try (Stream<Path> files = Files.list(library.getParent())) {
            assertThat(files).as("no partial copies are left").containsExactly(library);
        }
    }

    @Test
    void aFreshJvmLoadsTheCachedLibraryAndLeavesTheTempDirAlone(@TempDir Path work) throws Exception {
        Path dataDir = Files.createDirectories(work.resolve("data"));
        Path tmp = Files.createDirectories(work.resolve("tmp"));
        Path library = NativeLibrary.cachedPath(dataDir, Platform.current());

        Run first = probe(dataDir, tmp, classPath());
        assertThat(first.stdout).isEqualTo("answer 42 from the class path\n");
        assertThat(first.stderr).as("no JDK native-access warning, no SLF4J notice").isEmpty();
        assertThat(library).isRegularFile();
        try (Stream<Path> files = Files.list(tmp)) {
            assertThat(files).as("the temporary directory is not written").isEmpty();
        }
        BasicFileAttributes before = Files.readAttributes(library, BasicFileAttributes.class);

        Run second = probe(dataDir, tmp, classPath());
        assertThat(second.stdout).isEqualTo("answer 42 from the class path\n");
        assertThat(second.stderr).isEmpty();
        BasicFileAttributes after = Files.readAttributes(library, BasicFileAttributes.class);
        assertThat(after.fileKey()).as("the second start reuses the same file").isEqualTo(before.fileKey());
        assertThat(after.lastModifiedTime()).isEqualTo(before.lastModifiedTime());
        try (Stream<Path> files = Files.list(tmp)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void asAModuleItNeedsNativeAccessForItselfAndTheBindingOnly(@TempDir Path work) throws Exception {
        // The plugin, the binding (an automatic module) and SLF4J as modules, as in a plugin folder:
        // the plugin must be able to take over the binding's loader, and nothing may print.
        Path dataDir = Files.createDirectories(work.resolve("data"));
        Path tmp = Files.createDirectories(work.resolve("tmp"));
        List<String> modulePath = new ArrayList<>();
        String testClasses = null;
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (entry.endsWith("test-classes")) {
                testClasses = entry;
            } else if (entry.endsWith("classes") || name.startsWith("caxton-spi-") || name.startsWith("wasmtime-java-")
                    || name.startsWith("caxton-wasm-metering-") || name.startsWith("slf4j-")) {
                modulePath.add(entry);
            }
        }
        // the plugin, the SPI, the metering library, the binding and SLF4J
        assertThat(modulePath).hasSize(6);
        List<String> options = List.of("--module-path", String.join(java.io.File.pathSeparator, modulePath),
                "--add-modules", "dev.caxton.engine.wasmtime",
                "--enable-native-access=dev.caxton.engine.wasmtime,wasmtime.java",
                "-cp", testClasses);
        Run run = probe(dataDir, tmp, options);
        assertThat(run.stdout).isEqualTo("answer 42 from module dev.caxton.engine.wasmtime\n");
        assertThat(run.stderr).isEmpty();
        try (Stream<Path> files = Files.list(tmp)) {
            assertThat(files).isEmpty();
        }
    }

    private record Run(String stdout, String stderr) {
    }

    private static List<String> classPath() {
        return List.of("--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"));
    }

    private static Run probe(Path dataDir, Path tmp, List<String> options) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Djava.io.tmpdir=" + tmp);
        command.addAll(options);
        command.add(NativeCacheProbe.class.getName());
        command.add(dataDir.toString());
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Run run = new Run(new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
        assertThat(p.exitValue()).as("probe exit code; stderr: %s", run.stderr).isZero();
        return run;
    }
}
