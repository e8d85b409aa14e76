package dev.caxton.cli;

import dev.caxton.testkit.Wat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code caxton agent new}: template expansion, the SDK copied in, and what is refused. */
class AgentNewTest {

    @TempDir
    Path dir;

    @Test
    void aWatProjectHasItsNameEverywhereAndAnExecutableBuildScript() throws Exception {
        Path project = dir.resolve("greeter");
        Cli.Result r = Cli.run("agent", "new", "greeter", "--lang", "wat", "--dir", project.toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("created " + project + " (wat): 3 files");
        assertThat(project.resolve("greeter.wat")).exists();
        assertThat(Files.isExecutable(project.resolve("build.sh"))).isTrue();
        assertThat(Files.readString(project.resolve("build.sh"))).contains("greeter.wat").doesNotContain("{{");
        assertThat(Files.readString(project.resolve("README.md")))
                .contains("caxton agent test greeter.wat --content").doesNotContain("{{name}}");
        // The template is a real module, not just text.
        assertThat(Wat.compile(Files.readString(project.resolve("greeter.wat")))).isNotEmpty();
    }

    @Test
    void aCProjectCarriesTheSdkHeaderByteForByte() throws Exception {
        Path project = dir.resolve("summer");
        Cli.Result r = Cli.run("agent", "new", "summer", "--lang", "c", "--dir", project.toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(project.resolve("summer.c")).content().contains("#include \"caxton.h\"").contains("summer ready");
        // The module's working directory is modules/cli; the SDK is the repository's sdk/ tree.
        assertThat(Files.readAllBytes(project.resolve("caxton.h")))
                .isEqualTo(Files.readAllBytes(Path.of("../../sdk/c/caxton.h")));
        assertThat(Files.isExecutable(project.resolve("build.sh"))).isTrue();
    }

    @Test
    void everyLanguageExpandsWithEverySdkFileItNames() throws Exception {
        for (String lang : AgentNew.LANGUAGES) {
            Path project = dir.resolve("p-" + lang);
            Cli.Result r = Cli.run("agent", "new", "p-" + lang, "--lang", lang, "--dir", project.toString());
            assertThat(r.code()).as("%s: %s", lang, r.err()).isZero();
            assertThat(project.resolve("build.sh")).isExecutable();
        }
        Path sdk = Path.of("../../sdk");
        assertThat(Files.readAllBytes(dir.resolve("p-rust/caxton-agent/src/lib.rs")))
                .isEqualTo(Files.readAllBytes(sdk.resolve("rust/caxton-agent/src/lib.rs")));
        assertThat(Files.readAllBytes(dir.resolve("p-assemblyscript/caxton-agent/assembly/index.ts")))
                .isEqualTo(Files.readAllBytes(sdk.resolve("assemblyscript/assembly/index.ts")));
    }

    @Test
    void aNonEmptyDirectoryIsRefusedAndLeftAlone() throws Exception {
        Files.writeString(dir.resolve("keep.txt"), "mine");

        Cli.Result r = Cli.run("agent", "new", "x", "--lang", "wat", "--dir", dir.toString());

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains(dir + ": the directory is not empty");
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(dir.resolve("keep.txt"));
        }
    }

    @Test
    void aBadNameOrLanguageIsAUsageError() {
        Cli.Result name = Cli.run("agent", "new", "../evil", "--lang", "wat", "--dir", dir.resolve("a").toString());
        Cli.Result lang = Cli.run("agent", "new", "ok", "--lang", "cobol", "--dir", dir.resolve("b").toString());

        assertThat(name.code()).isEqualTo(2);
        assertThat(name.err()).contains("NAME: '../evil' is not an agent name");
        assertThat(lang.code()).isEqualTo(2);
        assertThat(lang.err()).contains("--lang: 'cobol' is not one of wat, c, rust, assemblyscript");
        assertThat(dir.resolve("a")).doesNotExist();
        assertThat(dir.resolve("b")).doesNotExist();
    }
}
