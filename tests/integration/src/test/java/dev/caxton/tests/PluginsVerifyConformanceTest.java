package dev.caxton.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code caxton plugins verify PATH} runs the testkit's conformance suite (shipped in
 * {@code tools/verify}, loaded on demand) against the providers of a plugin folder: a copy of a
 * first-party plugin passes it, a serializer built here whose decoding is wrong fails it, naming
 * the tests it fails; and none of the kit is linked into the runtime image.
 */
class PluginsVerifyConformanceTest {

    private static final Pattern SUMMARY = Pattern.compile(
            "(\\d+) tests of the (\\w+) suite run: (\\d+) passed, (\\d+) failed, (\\d+) skipped");

    @TempDir
    Path tmp;

    /** A copy of one of the image's plugin folders, as an author would hand one over. */
    private Path copyOfImagePlugin(String name) throws IOException {
        Path to = Files.createDirectories(tmp.resolve("copies").resolve(name));
        try (Stream<Path> jars = Files.list(Image.HOME.resolve("plugins").resolve(name))) {
            for (Path jar : jars.toList()) {
                Files.copy(jar, to.resolve(jar.getFileName()));
            }
        }
        return to;
    }

    /** A serializer plugin whose decoding gives back the text of the value instead of the value. */
    private Path brokenSerializer() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("src/test/serializer/broken"));
        Files.writeString(tmp.resolve("src/module-info.java"), """
                module test.serializer.broken {
                    requires dev.caxton.spi;
                    provides dev.caxton.spi.serializer.SerializerProvider with test.serializer.broken.Broken;
                }
                """);
        Files.writeString(src.resolve("Broken.java"), """
                package test.serializer.broken;

                import java.nio.charset.StandardCharsets;

                public final class Broken implements dev.caxton.spi.serializer.SerializerProvider {
                    public String name() { return "broken"; }
                    public String description() { return "decodes every value to its text (a test's broken plugin)"; }
                    public dev.caxton.spi.serializer.Serializer create(dev.caxton.spi.ProviderContext c,
                            dev.caxton.spi.serializer.SerializerLimits l) {
                        return new dev.caxton.spi.serializer.Serializer() {
                            public String name() { return "broken"; }
                            public String mediaType() { return "text/plain"; }
                            public byte[] encodeValue(Object v) { return String.valueOf(v).getBytes(StandardCharsets.UTF_8); }
                            public Object decodeValue(byte[] b) { return new String(b, StandardCharsets.UTF_8); }
                        };
                    }
                }
                """);
        Path classes = tmp.resolve("classes");
        tool("javac", "--release", "25", "-d", classes.toString(),
                "--module-path", Image.ROOT.resolve("modules/spi/target/classes").toString(),
                tmp.resolve("src/module-info.java").toString(), src.resolve("Broken.java").toString());
        Path manifest = Files.writeString(tmp.resolve("MANIFEST.MF"), "Caxton-Spi-Range: [1.0,2.0)\n");
        Path folder = Files.createDirectories(tmp.resolve("plugins/serializer-broken"));
        tool("jar", "--create", "--file", folder.resolve("test-serializer-broken.jar").toString(),
                "--manifest", manifest.toString(), "-C", classes.toString(), ".");
        return folder;
    }

    private static void tool(String name, String... args) {
        StringWriter log = new StringWriter();
        int rc = ToolProvider.findFirst(name).orElseThrow().run(new PrintWriter(log), new PrintWriter(log), args);
        assertThat(rc).as("%s: %s", name, log).isZero();
    }

    @Test
    void aCopyOfTheJsonSerializerPassesItsSuite() throws Exception {
        Path folder = copyOfImagePlugin("serializer-json");

        Image.Result r = Image.run("plugins", "verify", folder.toString());

        assertThat(r.exit()).as("stdout:\n%s\nstderr:\n%s", r.out(), r.err()).isZero();
        assertThat(r.out()).doesNotContainPattern("(?m)^FAIL");
        Matcher m = SUMMARY.matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        assertThat(m.group(2)).isEqualTo("serializer");
        assertThat(Integer.parseInt(m.group(3))).as("tests passed").isGreaterThan(100);
        assertThat(m.group(4)).isEqualTo("0");
        assertThat(r.out()).containsPattern("(?m)^PASS +conformance +serializer/json +\\d+ tests")
                .as("what needs the plugin's own build is said").contains("hostileInputs()");
        System.out.println("plugins verify serializer-json: " + m.group());
    }

    @Test
    void aSerializerThatDecodesWronglyFailsNamingItsFailedTests() throws Exception {
        Path folder = brokenSerializer();

        Image.Result r = Image.run("plugins", "verify", folder.toString());
        Image.Result json = Image.run("plugins", "verify", folder.toString(), "--output", "json");

        assertThat(r.exit()).as("stdout:\n%s\nstderr:\n%s", r.out(), r.err()).isEqualTo(1);
        assertThat(r.out()).containsPattern("(?m)^PASS +load +serializer/broken ")
                .containsPattern("(?m)^FAIL +conformance +serializer/broken +minimalEnvelopeRoundTrips: ")
                .containsPattern("(?m)^FAIL +conformance +serializer/broken +integersAndDoublesKeepTheirKind: ");
        Matcher m = SUMMARY.matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        assertThat(Integer.parseInt(m.group(4))).as("tests failed").isPositive();
        assertThat(r.out()).containsPattern("(?m)^FAIL +conformance +serializer/broken +\\d+ tests of the serializer suite");
        assertThat(r.err()).contains("fails its conformance suite").doesNotContain("would be refused");

        assertThat(json.exit()).isEqualTo(1);
        List<String> failedTests = new ArrayList<>();
        for (JsonNode c : json.json()) {
            if (c.get("check").asText().equals("conformance") && c.get("result").asText().equals("FAIL")) {
                failedTests.add(c.get("detail").asText());
            }
        }
        assertThat(failedTests).as("a line per failed test, then the summary")
                .hasSize(Integer.parseInt(m.group(4)) + 1)
                .anySatisfy(d -> assertThat(d).startsWith("fullEnvelopeRoundTrips: "));
        System.out.println("plugins verify serializer-broken: " + m.group());
    }

    @Test
    void theKitStaysOutOfTheRuntimeImage() throws Exception {
        Process p = new ProcessBuilder(Image.HOME.resolve("runtime/bin/java").toString(), "--list-modules")
                .redirectErrorStream(true).start();
        String modules = new String(p.getInputStream().readAllBytes());
        p.waitFor();

        assertThat(modules).contains("dev.caxton.spi").doesNotContain("org.junit", "org.assertj", "dev.caxton.testkit");
        assertThat(Image.HOME.resolve("tools/verify")).isDirectoryContaining("glob:**/caxton-testkit-*.jar")
                .isDirectoryContaining("glob:**/junit-platform-launcher-*.jar");
    }
}
