package dev.caxton.cli;

import dev.caxton.spi.ConfigException;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;

/**
 * The entry point of {@code bin/caxton}.
 *
 * <p>Every failure ends as exactly one line on standard error, {@code caxton: <reason>}, and a
 * non-zero exit code: {@value CliException#FAILURE} when the command ran and failed,
 * {@value CliException#USAGE} when the command line was wrong. Set {@code CAXTON_DEBUG=1} to also
 * get the stack trace of an unexpected error.
 */
public final class Main {

    private Main() {
    }

    /**
     * Runs the command line and exits with its code.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the command line on this process's standard streams and environment.
     *
     * @param args the arguments
     * @return the exit code
     */
    public static int run(String... args) {
        PrintWriter out = new PrintWriter(System.out, true, System.out.charset());
        PrintWriter err = new PrintWriter(System.err, true, System.err.charset());
        return run(out, err, System.getenv(), args);
    }

    /**
     * Runs the command line with the given streams and environment, for embedding and tests.
     *
     * @param out  standard output
     * @param err  standard error
     * @param env  the environment variables to consult ({@code CAXTON_TOKEN}, {@code CAXTON_DEBUG})
     * @param args the arguments
     * @return the exit code
     */
    public static int run(PrintWriter out, PrintWriter err, Map<String, String> env, String... args) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            // The one command that needs no command model: picocli would build the root's (with an
            // annotation proxy class per annotation type, which no AOT cache holds) only to print
            // this line. The text is the version provider's, as picocli prints it.
            for (String line : new VersionInfo().getVersion()) {
                out.println(line);
            }
            out.flush();
            return 0;
        }
        String home = System.getProperty("caxton.home");
        CliContext ctx = new CliContext(Map.copyOf(env), home == null || home.isBlank() ? null : Path.of(home));
        CommandLine cl = new CommandLine(new CaxtonCommand(ctx));
        CaxtonCommand.addSubcommands(cl, args);
        // "@FILE" is ours (--content @FILE), not picocli's argument-file expansion.
        cl.setExpandAtFiles(false);
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, arguments) -> {
            String help = ex.getCommandLine().getCommandSpec().qualifiedName() + " --help";
            fail(err, oneLine(ex.getMessage()) + " (see '" + help + "')");
            return CliException.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof CliException e) {
                fail(err, e.getMessage());
                return e.exitCode();
            }
            if (ex instanceof ConfigException e) {
                fail(err, e.getMessage());
                return CliException.FAILURE;
            }
            fail(err, "unexpected error: " + describe(ex) + (ctx.envVar(CliContext.DEBUG_ENV).isPresent()
                    ? "" : " (set " + CliContext.DEBUG_ENV + "=1 for details)"));
            if (ctx.envVar(CliContext.DEBUG_ENV).isPresent()) {
                ex.printStackTrace(err);
            }
            return CliException.FAILURE;
        });
        try {
            return cl.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    private static void fail(PrintWriter err, String message) {
        err.println("caxton: " + oneLine(message));
        err.flush();
    }

    /** Folds a message onto one line: the contract is one line of reason, whatever the source wrote. */
    static String oneLine(String message) {
        if (message == null || message.isBlank()) {
            return "(no message)";
        }
        return message.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /**
     * Names an unexpected exception for a person: its message, or its type when it has none, and
     * the root cause when that differs.
     *
     * @param t the exception
     * @return the description
     */
    static String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String own = t.getMessage() == null || t.getMessage().isBlank() ? t.getClass().getSimpleName() : t.getMessage();
        if (root == t) {
            return own;
        }
        String cause = root.getMessage() == null || root.getMessage().isBlank()
                ? root.getClass().getSimpleName() : root.getMessage();
        return own.contains(cause) ? own : own + ": " + cause;
    }
}
