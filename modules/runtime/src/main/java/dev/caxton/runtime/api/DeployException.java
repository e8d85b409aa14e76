package dev.caxton.runtime.api;

/**
 * A deployment or reload that was refused: an invalid module, a missing export, a forbidden import,
 * a failing {@code init}, a name already taken. The message says which, in the ABI's words (e.g.
 * {@code Missing required export: 'handle_message'}).
 */
public class DeployException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The kinds of refusal, which the API maps to status codes. */
    public enum Kind {
        /** The request itself is wrong (bad name, bad limits). */
        INVALID_REQUEST,
        /** The module breaks the ABI or is not WebAssembly. */
        INVALID_MODULE,
        /** An agent of that name exists. */
        CONFLICT,
        /** No agent of that name. */
        NOT_FOUND,
        /** The node is at runtime.max_agents. */
        CAPACITY
    }

    private final Kind kind;

    /**
     * Creates the exception.
     *
     * @param kind    the kind of refusal
     * @param message what was wrong
     */
    public DeployException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    /**
     * Creates the exception with a cause.
     *
     * @param kind    the kind of refusal
     * @param message what was wrong
     * @param cause   the underlying failure
     */
    public DeployException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    /** @return the kind of refusal */
    public Kind kind() {
        return kind;
    }
}
