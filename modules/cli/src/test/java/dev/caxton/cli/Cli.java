package dev.caxton.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs {@link Main} in-process and captures what it printed. */
final class Cli {

    /** What one run produced. */
    record Result(int code, String out, String err) {
        /** Standard error's lines, to check the one-line contract. */
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    private Cli() {
    }

    /** Runs with an empty environment, so a token in the developer's shell cannot leak into a test. */
    static Result run(String... args) {
        return runWithEnv(Map.of(), args);
    }

    static Result runWithEnv(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), env, args);
        return new Result(code, out.toString(), err.toString());
    }

    /** Runs a client command against the fake API with the right token. */
    static Result against(FakeApi api, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--server", api.url(), "--token", FakeApi.TOKEN));
        return run(all.toArray(String[]::new));
    }
}
