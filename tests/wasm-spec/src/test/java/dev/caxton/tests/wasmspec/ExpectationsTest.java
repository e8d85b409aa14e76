package dev.caxton.tests.wasmspec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.testkit.spec.CommandResult;
import dev.caxton.testkit.spec.Expectations;
import dev.caxton.testkit.spec.Outcome;
import dev.caxton.testkit.spec.ScriptResult;
import dev.caxton.testkit.spec.SuiteResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Expectation files: a run recorded and read back compares clean; a command that passed and now
 * fails or is skipped is a regression; a known failure that passes is an improvement; hand-written
 * unstable entries are ignored by the comparison and survive re-recording.
 */
class ExpectationsTest {

    @TempDir
    Path dir;

    private static CommandResult pass(String key) {
        return new CommandResult(key, "assert_return", Outcome.PASSED, "");
    }

    private static CommandResult fail(String key, String reason) {
        return new CommandResult(key, "assert_return", Outcome.FAILED, reason);
    }

    private static CommandResult skip(String key, String reason) {
        return new CommandResult(key, "assert_return", Outcome.SKIPPED, reason);
    }

    private static SuiteResult run(ScriptResult... scripts) {
        return new SuiteResult("test engine", Path.of("suite"), List.of(scripts), Duration.ofSeconds(1));
    }

    private static ScriptResult script(String name, CommandResult... commands) {
        return new ScriptResult(name, List.of(commands), Duration.ofMillis(5));
    }

    private Expectations roundTrip(SuiteResult result, Expectations previous) throws IOException {
        Path file = dir.resolve("expected/x.txt");
        Expectations.of(result, previous).write(file, List.of("header line"));
        return Expectations.read(file);
    }

    @Test
    void aRecordedRunComparesCleanAfterWritingAndReading() throws IOException {
        List<CommandResult> many = new ArrayList<>();
        for (int i = 1; i <= 40; i++) {
            many.add(skip(Integer.toString(i), "text format"));
        }
        many.add(fail("41", "expected i32 1 (0x1), got 2 (0x2) | with a bar"));
        many.add(pass("42"));
        many.add(pass("42#2"));
        SuiteResult result = run(script("a", many.toArray(CommandResult[]::new)), script("b", pass("1")));

        Expectations read = roundTrip(result, null);

        assertThat(read.scripts()).containsExactly("a", "b");
        Expectations.Comparison c = read.compare(result);
        assertThat(c.regressions()).isEmpty();
        assertThat(c.improvements()).isEmpty();
        assertThat(c.notes()).isEmpty();
        assertThat(c.describe()).isEqualTo("no differences from the expectation\n");
        String text = Files.readString(dir.resolve("expected/x.txt"));
        assertThat(text).startsWith("# header line\nscript a passed=2 failed=1 skipped=40\n")
                .contains("  fail 41 assert_return | expected i32 1 (0x1), got 2 (0x2) | with a bar\n")
                .contains("  skip 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n");
    }

    @Test
    void aPassThatNowFailsOrIsSkippedIsARegression() throws IOException {
        Expectations expected = roundTrip(run(script("a", pass("1"), pass("2"), skip("3", "text format"), pass("4"))), null);

        Expectations.Comparison c = expected.compare(run(script("a", fail("1", "expected i32 1 (0x1), got 2 (0x2)"),
                skip("2", "externref value"), fail("3", "now runs and fails"), pass("4"))));

        assertThat(c.hasRegressions()).isTrue();
        assertThat(c.regressions()).containsExactly(
                "a.wast:1 assert_return now fails (expected it to pass): expected i32 1 (0x1), got 2 (0x2)",
                "a.wast:2 assert_return is now skipped (expected it to pass): externref value",
                "a.wast:3 assert_return now fails (expected it to be skipped): now runs and fails");
    }

    @Test
    void knownFailuresDoNotFailAndFixedOnesAreImprovements() throws IOException {
        Expectations expected = roundTrip(run(script("a", fail("1", "gap"), fail("2", "gap"), skip("3", "x"),
                fail("4", "gap"))), null);

        Expectations.Comparison c = expected.compare(run(script("a", fail("1", "gap, reworded"), pass("2"), pass("3"),
                skip("4", "y"))));

        assertThat(c.hasRegressions()).isFalse();
        assertThat(c.improvements()).containsExactly(
                "a.wast:2 assert_return now passes (was a known failure)",
                "a.wast:3 assert_return now runs and passes (was skipped)");
        assertThat(c.notes()).containsExactly("a.wast:4 assert_return is now skipped (it was a known failure): y");
    }

    @Test
    void missingAndUnrecordedScriptsAreRegressions() throws IOException {
        Expectations expected = roundTrip(run(script("a", pass("1")), script("b", pass("1"))), null);

        Expectations.Comparison c = expected.compare(run(script("a", pass("1")), script("c", pass("1"))));

        assertThat(c.regressions()).containsExactly(
                "c: no expectation recorded for this script (record one with the update switch)",
                "b: expected to run, but the run has no such script");
    }

    @Test
    void unstableCommandsAreIgnoredAndSurviveRerecording() throws IOException {
        Path file = dir.resolve("u.txt");
        Files.writeString(file, """
                # hand-edited
                script f32 passed=1 failed=1 skipped=0
                  fail 10 assert_return | some gap
                  unstable 20 21 | returns either NaN operand unquieted, depending on JIT state
                """);
        Expectations expected = Expectations.read(file);

        Expectations.Comparison c = expected.compare(run(script("f32", fail("10", "some gap"), fail("20", "nan"),
                pass("21"))));
        assertThat(c.regressions()).isEmpty();
        assertThat(c.improvements()).isEmpty();

        Expectations again = roundTrip(run(script("f32", fail("10", "some gap"), pass("20"), fail("21", "nan"))), expected);
        assertThat(again.compare(run(script("f32", fail("10", "some gap"), fail("20", "nan"), pass("21")))).regressions())
                .isEmpty();
        assertThat(Files.readString(dir.resolve("expected/x.txt")))
                .contains("  unstable 20 21 | returns either NaN operand unquieted, depending on JIT state\n")
                .doesNotContain("fail 21");
    }

    @Test
    void aMalformedFileIsRefusedWithItsLine() throws IOException {
        Path file = dir.resolve("bad.txt");
        Files.writeString(file, "script a passed=1 failed=0 skipped=0\n  pass 3\n");
        assertThatThrownBy(() -> Expectations.read(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(file + ":2: expected a 'script', 'fail', 'skip' or 'unstable' line, got: pass 3");

        Files.writeString(file, "script a passed=x failed=0 skipped=0\n");
        assertThatThrownBy(() -> Expectations.read(file)).hasMessage(file + ":1: expected passed=N, got passed=x");

        Files.writeString(file, "  fail 3 assert_return | x\n");
        assertThatThrownBy(() -> Expectations.read(file)).hasMessage(file + ":1: 'fail' before any 'script' line");

        Files.writeString(file, "script a passed=1 failed=0 skipped=0\n  unstable 3 4\n");
        assertThatThrownBy(() -> Expectations.read(file))
                .hasMessage(file + ":2: expected 'unstable KEY... | reason', got: unstable 3 4");
    }
}
