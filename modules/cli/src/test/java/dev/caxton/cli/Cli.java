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

    /**
     * Runs {@code caxton benchmark run --suite custom} at a small size in interpreter mode, on the
     * JSON serializer: the test class path has no other, and CAXTON_OPTS reach the benchmark's node
     * as system properties.
     */
    static Result benchmarkSmall(String... more) {
        List<String> args = new ArrayList<>(List.of("benchmark", "run", "--suite", "custom", "--mode", "interpreter",
                "--startups", "3", "--round-trips", "30", "--messages", "300", "--agents", "2", "--in-flight", "20"));
        args.addAll(List.of(more));
        System.setProperty("caxton.messaging.serializer", "json");
        try {
            return run(args.toArray(String[]::new));
        } finally {
            System.clearProperty("caxton.messaging.serializer");
        }
    }

    /** Runs a client command against the fake API with the right token. */
    static Result against(FakeApi api, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--server", api.url(), "--token", FakeApi.TOKEN));
        return run(all.toArray(String[]::new));
    }
}
