package dev.caxton.cli;

/**
 * A command failed for a reason the user can act on. {@link Main} prints its message as the one
 * line on standard error and exits with its code; no stack trace, because the message already says
 * what went wrong and where.
 */
final class CliException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Exit code of a command that ran but failed (server error, unreachable server, bad file). */
    static final int FAILURE = 1;

    /** Exit code of a command line that could not be understood (unknown option, bad value). */
    static final int USAGE = 2;

    private final int exitCode;

    /**
     * Creates a failure with exit code {@link #FAILURE}.
     *
     * @param message the one-line reason
     */
    CliException(String message) {
        this(message, FAILURE);
    }

    /**
     * Creates a failure with a given exit code.
     *
     * @param message  the one-line reason
     * @param exitCode the process exit code
     */
    CliException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    /**
     * A usage error: the command line itself is wrong.
     *
     * @param message the one-line reason, naming the option at fault
     * @return the exception
     */
    static CliException usage(String message) {
        return new CliException(message, USAGE);
    }

    /**
     * The exit code the process ends with.
     *
     * @return the code
     */
    int exitCode() {
        return exitCode;
    }
}
